"""One error shape for every 4xx/5xx; never a stack trace to a client.

API paths (/api/…) answer JSON: {"error": {"status": 404, "code": "not_found",
"message": "…", "errors": [...]}}; pages answer a Chinese HTML page.
"""
from __future__ import annotations

import logging

from flask import jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from store import StorageError

log = logging.getLogger("biaoge.server")

MESSAGES = {
    400: ("bad_request", "请求有误。"),
    401: ("unauthorized", "请先登录。"),
    403: ("forbidden", "页面已过期或来源不明（CSRF 校验失败），请刷新页面后重新提交。"),
    404: ("not_found", "找不到这个页面或记录。"),
    405: ("method_not_allowed", "不支持这种请求方式。"),
    409: ("conflict", "与现有记录冲突。"),
    413: ("too_large", "提交的内容太大，超过了允许的上限。"),
    415: ("unsupported_media_type", "请以 JSON 提交（Content-Type: application/json）。"),
    422: ("invalid", "提交的数据有误。"),
    429: ("too_many_requests", "请求太频繁，请稍后再试。"),
    500: ("internal_error", "服务器内部错误，已记录，请稍后再试。"),
    503: ("storage_unavailable", "数据存储暂不可用。"),
}


class ApiError(Exception):
    def __init__(self, status: int, message: str | None = None, errors: list | None = None):
        super().__init__(message)
        self.status, self.message, self.errors = status, message or MESSAGES.get(status, ("", ""))[1], errors


def wants_json() -> bool:
    return request.path.startswith("/api/")


def respond(status: int, message: str | None = None, errors: list | None = None):
    code, default = MESSAGES.get(status, ("error", "出错了。"))
    message = message or default
    if wants_json():
        body = {"error": {"status": status, "code": code, "message": message}}
        if errors is not None:
            body["error"]["errors"] = errors
        return jsonify(body), status
    return render_template("error.html", status=status, message=message, errors=errors or []), status


def register(app):
    @app.errorhandler(ApiError)
    def _api_error(exc):
        return respond(exc.status, exc.message, exc.errors)

    @app.errorhandler(StorageError)
    def _storage(exc):
        log.error("storage error: %s", exc)
        return respond(503, str(exc))

    @app.errorhandler(HTTPException)
    def _http(exc):
        # our own aborts carry a Chinese description; werkzeug's default ones are English
        own = exc.description if exc.description != type(exc).description else None
        if exc.code == 429 and not isinstance(exc, ApiError):
            own = None     # Flask-Limiter's description is the limit in English ("5 per 1 minute")
        return respond(exc.code or 500, own)

    @app.errorhandler(Exception)
    def _any(exc):
        log.exception("unhandled error on %s %s", request.method, request.path)
        return respond(500)
