import shutil
import textwrap
import threading
from pathlib import Path

import pytest

from services.catalog import load_catalog
from tests.people import admin_token, client_as, signed_in_by_default

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "schemas"


@pytest.fixture(scope="session")
def catalog():
    cat = load_catalog(SCHEMAS, display_root=ROOT)
    assert cat.ok, "\n".join(map(str, cat.problems))
    return cat


@pytest.fixture
def order_form(catalog):
    return catalog.require("order_form")


@pytest.fixture
def make_schemas(tmp_path):
    """Write definition files into a fresh folder (with the real _shared.yaml) and return it."""
    def write(files: dict) -> Path:
        shutil.copy(SCHEMAS / "_shared.yaml", tmp_path / "_shared.yaml")
        for name, text in files.items():
            p = tmp_path / name
            p.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(text, bytes):
                p.write_bytes(text)
            else:
                p.write_text(textwrap.dedent(text).lstrip("\n"), "utf-8")
        return tmp_path
    return write


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium driven by Playwright (installed by `make test`)."""
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is installed by `make test` (apt package chromium)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, request):
    """A browser page; when the test uses the `app`, it is signed in as its administrator."""
    headers = {}
    if "app" in request.fixturenames:
        headers["Authorization"] = f"Bearer {request.getfixturevalue('app').admin_token}"
    context = browser.new_context(viewport={"width": 1100, "height": 900}, locale="zh-CN",
                                  extra_http_headers=headers)
    pg = context.new_page()
    pg.errors = []
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    yield pg
    context.close()


def pytest_configure(config):
    config.addinivalue_line("markers", "no_people: create_app as it is (no administrator made for the test)")


@pytest.fixture(autouse=True)
def _apps_have_an_administrator(request, monkeypatch):
    """Every app a test makes has an administrator whose token its test clients carry, unless the
    test is marked no_people (first run, start-up checks)."""
    if request.node.get_closest_marker("no_people"):
        return
    import server.app
    real = server.app.create_app

    def create_app(config=None):
        return signed_in_by_default(real(config))
    monkeypatch.setattr(server.app, "create_app", create_app)


@pytest.fixture
def app(tmp_path):
    """The Flask app on a copy of schemas/ and an empty data folder (flaskr-style fixture)."""
    from server.app import create_app
    schemas = tmp_path / "schemas"
    shutil.copytree(SCHEMAS, schemas)
    app = create_app({"SCHEMAS": str(schemas), "DATA": str(tmp_path / "data"), "SECRET_KEY": "test",
                      "MAX_CONTENT_LENGTH": 256 * 1024, "TESTING": False, "API_RATE": "100000 per minute",
                      "ARCHIVE_JOB_WORKERS": 1})
    app.schemas_path = schemas
    if not hasattr(app, "admin_token"):
        app.admin_token = admin_token(app)
    return app


@pytest.fixture
def client(app):
    """A client signed in as the app's administrator (by API token; see tests/people.py)."""
    return client_as(app, app.admin_token)


@pytest.fixture
def anonymous(app):
    return app.test_client(token=None)


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def live_server(app):
    """The app under waitress on a free port, in this process (so tests can patch it)."""
    from waitress.server import create_server
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()
