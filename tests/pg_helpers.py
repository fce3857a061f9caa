"""Throw-away PostgreSQL databases for tests: one per test, created from the server in env
BIAOGE_TEST_PG (default postgresql://127.0.0.1:5432/postgres) and dropped afterwards, so tests
never share data with each other or with other runs on the same server."""
from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

SERVER = os.environ.get("BIAOGE_TEST_PG", "postgresql://127.0.0.1:5432/postgres")


def url_for(dbname: str) -> str:
    parts = urlsplit(SERVER)
    return urlunsplit((parts.scheme, parts.netloc, "/" + dbname, parts.query, ""))


def _admin():
    try:
        return psycopg.connect(SERVER, autocommit=True, connect_timeout=10)
    except psycopg.OperationalError as exc:
        pytest.fail(f"PostgreSQL is not reachable at {SERVER} (set BIAOGE_TEST_PG, or run `make test`, "
                    f"which installs and starts it via scripts/postgres.sh): {exc}", pytrace=False)


@contextmanager
def database():
    """The URL of a new, empty database; dropped at the end."""
    name = f"biaoge_t_{uuid.uuid4().hex[:12]}"
    with _admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url_for(name)
    finally:
        with _admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
