"""People for tests: an administrator (and others) with API tokens, on an app or a store."""
from __future__ import annotations

PASSWORD = "password-123"


def accounts_of(app):
    return app.extensions["biaoge.accounts"]


def person(app, login, *, roles=("管理员",), department="总经理办公室", admin=None, real_name=None) -> str:
    """Add a person (once) and return a new API token of theirs."""
    accounts = accounts_of(app)
    if accounts.get(login) is None:
        accounts.add(login, PASSWORD, real_name=real_name or f"测试{login}", department=department,
                     roles=list(roles), admin=("管理员" in roles) if admin is None else admin)
    return accounts.new_token(login)


def admin_token(app) -> str:
    return person(app, "admin")


def client_as(app, token: str | None):
    """A test client of `app` whose requests carry `token` (None: anonymous), whatever the app's
    default test client is."""
    from flask.testing import FlaskClient
    return token_client_class(FlaskClient, token)(app, app.response_class, use_cookies=True)


def admin_client(app):
    return client_as(app, admin_token(app))


def admin_on_store(location, schemas) -> str:
    """An administrator in the store at `location` (before a `biaoge serve` starts on it); their token."""
    from services.accounts import Accounts
    from services.catalog import load_catalog
    from store import open_store
    catalog = load_catalog(schemas)
    store = open_store(str(location))
    try:
        accounts = Accounts(store, lambda: catalog.policy)
        if accounts.get("admin") is None:
            accounts.add("admin", PASSWORD, real_name="测试管理员", department="总经理办公室", roles=["管理员"], admin=True)
        return accounts.new_token("admin")
    finally:
        store.close()


def signed_in_session(app, login="admin"):
    """A client signed in through the login page (a browser session: CSRF applies)."""
    import re
    if accounts_of(app).get(login) is None:
        person(app, login)
    client = client_as(app, None)
    page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    r = client.post("/login", data={"csrf_token": csrf, "login": login, "password": PASSWORD})
    assert r.status_code == 303, r.get_data(as_text=True)[:500]
    return client


def token_client_class(base, token):
    """A test client class whose requests carry `token` (pass token=None for an anonymous client)."""
    class TokenClient(base):
        def __init__(self, *args, token=token, **kwargs):
            super().__init__(*args, **kwargs)
            if token:
                self.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return TokenClient


def signed_in_by_default(app):
    """Give an app an administrator and make its test clients use their token (tests written
    before there were people keep testing what they test; anonymous: app.test_client(token=None))."""
    from flask.testing import FlaskClient
    app.admin_token = admin_token(app)
    app.test_client_class = token_client_class(FlaskClient, app.admin_token)
    return app
