"""The PostgreSQL store (PgStore): the store contract, and what is its own: schema migrations,
gap-free 编号 under concurrent processes and rolled-back transactions, the copy round trip."""
from __future__ import annotations

import pytest

from store import open_store

from .pg_helpers import database
from .store_contract import StoreContract


class TestPgStoreContract(StoreContract):
    @pytest.fixture
    def location(self):
        with database() as url:
            yield url

    @pytest.fixture
    def make(self, location):
        opened = []

        def make(**options):
            opened.append(open_store(location, **{"pool_size": 4, **options}))
            return opened[-1]
        yield make
        for s in opened:
            s.close()
