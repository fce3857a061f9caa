"""The cost of the permission check per request.

    .venv/bin/python bench/permissions.py [--repeat 2000]

"with": what one record request spends on permissions as a 业务员 —
the route's declaration (server.access.enforce), the record's scope (Access.allows) and the
field redaction (Access.view) — on a fresh Access per request, as the server does.
"without": the same request's work without them (the record read alone). Also the whole
request (GET /api/forms/order_form/submissions/<id>) for scale. Medians; ends with name=value.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask_login import login_user  # noqa: E402

from forms.sample import sample_submission  # noqa: E402
from server import access as server_access  # noqa: E402
from server.app import create_app  # noqa: E402
from services.access import Access  # noqa: E402
from timing import median_ms  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=2000)
    args = ap.parse_args()
    app = create_app({"SCHEMAS": str(ROOT / "schemas"), "DATA": tempfile.mkdtemp(), "API_RATE": "1000000 per minute"})
    accounts, records = app.extensions["biaoge.accounts"], app.extensions["biaoge.records"]
    accounts.add("admin", "password-1", real_name="管理员", department="总经理办公室", roles=["管理员"], admin=True)
    accounts.add("zhang", "password-1", real_name="张三", department="上海办事处", roles=["业务员"])
    token = accounts.new_token("zhang")
    policy = records.catalog.policy
    results = {}
    for form_id in ("order_form", "collection_notice"):
        form = records.catalog.require(form_id)
        rec = records.save_new(form, sample_submission(form, seed=1, rows=3), creator="zhang", department="上海办事处")
        user = accounts.get("zhang")
        url = f"/api/forms/{form_id}/submissions/{rec['id']}"

        def read():
            return records.get_record(form_id, rec["id"])

        def checked():
            with app.test_request_context(url, headers={"Authorization": f"Bearer {token}"}):
                login_user(user)
                server_access.enforce()
                got = read()
                a = Access(policy, user)
                assert a.allows(form, "read", got)
                a.view(form, got)

        def bare():
            with app.test_request_context(url, headers={"Authorization": f"Bearer {token}"}):
                login_user(user)
                read()
        with_ms = median_ms(checked, repeat=args.repeat, warmup=50)
        without_ms = median_ms(bare, repeat=args.repeat, warmup=50)
        client = app.test_client()
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        assert client.get(url).status_code == 200
        request_ms = median_ms(lambda: client.get(url), repeat=min(args.repeat, 300), warmup=20)
        results[form_id] = (with_ms, without_ms, request_ms)
        print(f"{form_id:24s} with {with_ms:.3f} ms  without {without_ms:.3f} ms  "
              f"check {with_ms - without_ms:.3f} ms  whole request {request_ms:.2f} ms")
    worst = max(w - wo for w, wo, _ in results.values())
    print(f"permission_check_ms={worst:.3f}")


if __name__ == "__main__":
    t = time.perf_counter()
    main()
