"""Versioned schema migrations of the PostgreSQL store.

Each file `store/pg_migrations/NNNN_name.sql` moves the schema from version NNNN-1 to NNNN;
`schema_version` records every version applied. `upgrade()` applies the missing ones in one
transaction under an advisory lock, so several server processes starting at once apply each
migration exactly once and a failed migration leaves the previous version intact.
"""
from __future__ import annotations

import re
from pathlib import Path

from .base import StorageError

FOLDER = Path(__file__).resolve().parent / "pg_migrations"
_NAME = re.compile(r"(\d{4})_[a-z0-9_]+\.sql")
_LOCK = 0x6269616F676501   # advisory lock key of schema changes ("biaoge" + 1)


def migrations() -> list[tuple[int, str, Path]]:
    """(version, name, path) of every migration shipped, in order; versions run 1, 2, 3 …"""
    found = sorted((int(m.group(1)), p.stem, p) for p in FOLDER.glob("*.sql") if (m := _NAME.fullmatch(p.name)))
    if [v for v, _, _ in found] != list(range(1, len(found) + 1)):
        raise StorageError(f"数据库迁移文件编号不连续：{[p.name for _, _, p in found]}")
    return found


LATEST = len(migrations())


def current(conn) -> int:
    """The schema version of a database (0: nothing applied yet)."""
    row = conn.execute("SELECT to_regclass('schema_version') IS NOT NULL").fetchone()
    if not row[0]:
        return 0
    return conn.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()[0]


def upgrade(conn, upto: int | None = None, display: str = "") -> tuple[int, int]:
    """Apply the migrations after the database's version, up to `upto` (default: all).
    Returns (version before, version after). `conn` must be in autocommit mode."""
    target = LATEST if upto is None else upto
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK,))
        conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version integer PRIMARY KEY, name text NOT NULL,"
                     " applied timestamptz NOT NULL DEFAULT now())")
        before = current(conn)
        if before > LATEST:
            raise StorageError(f"数据库 {display} 的结构版本为 {before}，比本程序支持的 {LATEST} 新；请升级 biaoge。")
        for version, name, path in migrations():
            if before < version <= target:
                conn.execute(path.read_text("utf-8"))
                conn.execute("INSERT INTO schema_version (version, name) VALUES (%s, %s)", (version, name))
        return before, max(before, min(target, LATEST))
