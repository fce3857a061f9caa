"""The catalog as the server sees it: reloaded when a definition file changes."""
from __future__ import annotations

import threading
from pathlib import Path

from forms.catalog import EXTENSIONS, load_catalog


class CatalogCache:
    """Recompiles the definitions when any file under the folder is added, removed or
    changed (by name, size and modification time), checked on every request."""

    def __init__(self, root: Path):
        self.root = root
        self._lock = threading.Lock()
        self._fingerprint = None
        self._catalog = None

    def fingerprint(self):
        items = []
        for path in sorted(self.root.rglob("*")):
            if path.suffix in EXTENSIONS and path.is_file():
                st = path.stat()
                items.append((str(path), st.st_size, st.st_mtime_ns))
        return tuple(items)

    def current(self):
        fp = self.fingerprint()
        with self._lock:
            if fp != self._fingerprint:
                self._catalog = load_catalog(self.root, display_root=self.root.parent)
                self._fingerprint = fp
            return self._catalog
