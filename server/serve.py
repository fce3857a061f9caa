"""`biaoge serve`: the app under waitress, a production WSGI server."""
from __future__ import annotations

import logging


def serve(host: str, port: int, schemas: str, data: str, threads: int = 8, store: str | None = None,
          public_url: str | None = None) -> None:
    from waitress import serve as waitress_serve

    from .app import create_app
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_app({"SCHEMAS": schemas, "DATA": data, "STORE": store,
                      **({"PUBLIC_URL": public_url} if public_url else {})})
    print(f"biaoge 表格 已启动：在浏览器中打开 http://{host}:{port}/  （按 Ctrl+C 停止）", flush=True)
    token = app.extensions["biaoge.accounts"].setup_token()
    if token is not None:
        print(f"首次使用：请打开下面的一次性链接创建管理员（创建之前其他页面都不可用）：\n"
              f"  http://{host}:{port}/setup?token={token}", flush=True)
    waitress_serve(app, host=host, port=port, threads=threads, ident="biaoge")
