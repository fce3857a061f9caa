"""The app's services, as the views reach them (like flaskr's get_db): one store, one catalog
cache, one `Records`, one `Accounts` and one `Audit` per app, made in create_app."""
from __future__ import annotations

from flask import current_app, g, has_request_context, request
from flask_login import current_user


def records():
    return current_app.extensions["biaoge.records"]


def store():
    return records().store


def catalog():
    """The current catalog, looked up once per request (a request sees one version of it)."""
    if not has_request_context():
        return records().catalog
    if "biaoge_catalog" not in g:
        g.biaoge_catalog = records().catalog
    return g.biaoge_catalog


def find_form(form_id: str):
    """The current form with exactly this id, or None."""
    form = catalog().forms.get(form_id) if isinstance(form_id, str) else None
    return form if form is not None and form.id == form_id else None


def accounts():
    return current_app.extensions["biaoge.accounts"]


def audit_log():
    return current_app.extensions["biaoge.audit"]


def audit(action: str, *, user=None, form=None, record=None, detail=None) -> None:
    """Append to the audit trail: who (the signed-in user unless given), what, from where."""
    if user is None and current_user.is_authenticated:
        user = current_user
    audit_log().record(action, user=user, form=getattr(form, "id", form), record=record,
                       ip=request.remote_addr if request else None, detail=detail)
