"""Chinese error pages (HTML) and JSON errors for the API; never a traceback."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.wrappers import Response

from sunshine.extensions import db
from sunshine.failures import PermissionDenied

log = logging.getLogger(__name__)

MESSAGES = {
    400: ("请求有误", "提交的内容无法处理，请检查后重试。"),
    401: ("需要登录", "请先登录后再访问。"),
    403: ("没有权限", "您的账号无权查看或操作这项内容（可能不在您负责的区划内）。"),
    404: ("页面不存在", "您要找的页面不存在或已被撤下。"),
    405: ("请求方式不正确", "这个地址不接受这种请求方式。"),
    413: ("内容过大", "上传或提交的内容超过了大小限制，请缩小后重试。"),
    429: ("操作太频繁", "您的操作太频繁了，请稍后再试。"),
    500: ("服务器出错", "服务器处理时出了问题，我们已记录，请稍后再试。"),
}


def _answer(status: int, detail: str | None = None) -> tuple[Response | str, int]:
    title, text = MESSAGES.get(status, (f"错误 {status}", "请求无法完成。"))
    if request.path.startswith("/api/"):
        return jsonify(error=detail or text), status
    return render_template("errors/error.html", status=status, title=title,
                           text=detail or text), status


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError) -> tuple[Response | str, int]:
        return _answer(400, "表单已过期或缺少安全令牌，请刷新页面后重新提交。")

    @app.errorhandler(PermissionDenied)
    def permission_denied(exc: PermissionDenied) -> tuple[Response | str, int]:
        return _answer(403)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[Response | str, int] | HTTPException:
        if exc.code is None or exc.code < 400:
            return exc
        if exc.code == 401:
            return _answer(401)
        if exc.code == 413:
            db.session.rollback()
        return _answer(exc.code)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> tuple[Response | str, int]:
        db.session.rollback()
        log.exception("unhandled error on %s %s", request.method, request.path)
        return _answer(500)

    @app.errorhandler(InternalServerError)
    def internal(exc: InternalServerError) -> tuple[Response | str, int]:
        db.session.rollback()
        return _answer(500)
