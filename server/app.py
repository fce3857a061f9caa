"""The Flask application factory.

    create_app({"SCHEMAS": "schemas", "DATA": "data"})

Configuration: SCHEMAS (definitions folder), DATA (the embedded store's folder, also where the
secret key is kept), STORE (where records are stored: a folder or a postgresql:// URL; default
DATA), SECRET_KEY
(signs the session that carries the CSRF token; generated and kept in DATA
when not given), MAX_CONTENT_LENGTH (request bodies above it get 413),
PER_PAGE (list size), MAX_UPLOAD_UNPACKED (Excel uploads), ARCHIVE_JOBS (archives built at once).
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask

from services.catalog import CatalogCache
from services.records import Records
from store import open_store


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__)
    app.config.update(
        SCHEMAS=os.environ.get("BIAOGE_SCHEMAS", "schemas"),
        DATA=os.environ.get("BIAOGE_DATA", "data"),
        STORE=os.environ.get("BIAOGE_STORE") or None,
        MAX_CONTENT_LENGTH=5 * 1024 * 1024,
        MAX_UPLOAD_UNPACKED=50 * 1024 * 1024,
        PER_PAGE=20,
        ARCHIVE_JOBS=2,
        PROPAGATE_EXCEPTIONS=False,
        TRAP_HTTP_EXCEPTIONS=False,
        JSON_AS_ASCII=False,
    )
    app.config.update(config or {})
    app.json.ensure_ascii = False
    data = Path(app.config["DATA"])
    data.mkdir(parents=True, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret(data)
    cache = CatalogCache(Path(app.config["SCHEMAS"]))
    app.extensions["biaoge.records"] = Records(open_store(app.config["STORE"] or str(data)), cache.current)

    from . import api, errors, pages
    from .exports import bp as exports_bp
    errors.register(app)
    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(exports_bp)
    return app


def _secret(data: Path) -> str:
    """A secret kept in the data folder, so that every server process shares it."""
    path = data / ".secret_key"
    if not path.exists():
        tmp = data / f".secret_key.{os.getpid()}"
        tmp.write_text(secrets.token_hex(32))
        try:
            os.link(tmp, path)  # first writer wins; others read its key
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text().strip()
