"""Shared by the approval tests."""
from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def fast_passwords(monkeypatch):
    """argon2 costs ~0.5 s a person on a loaded machine; the approval tests' people never sign in
    with a password (they carry API tokens)."""
    import services.accounts
    monkeypatch.setattr(services.accounts, "hash_password", lambda password: "not-a-hash")
