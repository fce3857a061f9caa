"""Storage behind one door: `open_store(location)`.

A location is a folder (the embedded TinyDB store, the default) or a URL whose
scheme names a backend (``postgresql://…``). Backends register themselves by
name in `BACKENDS`; nothing else in the code chooses a backend.

    store = open_store("data")                       # embedded, under data/
    store = open_store("postgresql://127.0.0.1/biaoge")
"""
from __future__ import annotations

import importlib
import re

from .base import Conflict, Query, StorageError, Store

__all__ = ["open_store", "Conflict", "Query", "StorageError", "Store", "BACKENDS", "backend_name"]

# backend name -> "module:Class"; a URL scheme or the word "folder" picks one
BACKENDS = {
    "folder": "store.tinystore:TinyStore",
    "postgresql": "store.postgres:PgStore",
}

_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*)://")


def backend_name(location: str) -> str:
    """Which backend a location names: its URL scheme, or "folder" for a path."""
    m = _SCHEME.match(str(location))
    if not m:
        return "folder"
    scheme = m.group(1)
    return "postgresql" if scheme in ("postgres", "postgresql") else scheme


def open_store(location, **options) -> Store:
    """The store at `location` (a folder or a URL); raises StorageError for an unknown scheme."""
    name = backend_name(str(location))
    target = BACKENDS.get(name)
    if target is None:
        raise StorageError(f"不支持的存储位置 {location!r}：可用的有 文件夹路径"
                           + "".join(f"、{n}://…" for n in BACKENDS if n != "folder"))
    module, _, cls = target.partition(":")
    return getattr(importlib.import_module(module), cls).open(str(location), **options)
