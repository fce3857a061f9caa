"""The API against its own OpenAPI document, fuzzed by schemathesis (bounded: about a minute).

Every operation — the generic ones and each form's own submission paths, whose bodies are the
form's JSON Schema — gets positive and negative cases. Each response must not be a 5xx, must
have a documented status, content type and schema; and a refused submission must store nothing.
"""
import hypothesis
import pytest
from hypothesis import HealthCheck, Phase, given, settings

schemathesis = pytest.importorskip("schemathesis")   # a test dependency in pyproject.toml

from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,  # noqa: E402
                                               status_code_conformance)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
ORDER = {"customer_name": "华联超市", "order_date": "2026-11-27", "pay_method": "现金",
         "items": [{"product_name": "洗衣粉", "quantity": 3, "unit_price": 12.5}]}
GENERIC_EXAMPLES = 40     # per generic operation and mode
FORM_EXAMPLES = 4         # per form's own operation and mode (84 forms × 3 operations)


def stored(app, form_id: str) -> int:
    with app.app_context():
        from server import context
        return context.store().query(form_id, limit=0)[1] if form_id in context.catalog().forms else 0


def test_api_holds_against_its_openapi_document(app, client):
    for _ in range(3):
        assert client.post("/api/forms/order_form/submissions", json=ORDER).status_code == 201
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app,
                                            headers={"Authorization": f"Bearer {app.admin_token}"})
    requests, failures, statuses = 0, [], {}

    def fuzz(operation, mode, pinned, examples):
        nonlocal requests
        strategy = operation.as_strategy(generation_mode=mode, path_parameters=pinned)

        @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck),
                  verbosity=hypothesis.Verbosity.quiet)
        @given(case=strategy)
        def run(case):
            nonlocal requests
            form_id = (case.path_parameters or {}).get("form_id") or \
                (case.path.split("/")[3] if case.path.count("/") >= 4 else None)
            before = stored(app, form_id) if case.method.upper() == "POST" and form_id else None
            response = case.call(headers={"Authorization": f"Bearer {app.admin_token}"})
            requests += 1
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            try:
                case.validate_response(response, checks=CHECKS)
            except BaseExceptionGroup as group:
                failures.extend(f"{operation.label} {response.status_code}: {getattr(f, 'title', f)} "
                                f"{case.as_curl_command()[:300]}" for f in group.exceptions)
            if before is not None and response.status_code >= 400:
                after = stored(app, form_id)
                if after != before:
                    failures.append(f"{operation.label}: refused with {response.status_code} but stored a record")

        try:
            run()
        except hypothesis.errors.Unsatisfiable:
            pass

    for result in schema.get_all_operations():
        operation = result.ok()
        names = {p.name for p in operation.path_parameters}
        concrete = "form_id" not in names and operation.path.startswith("/api/forms/")
        variants = [None]
        if "form_id" in names:   # a generated form_id is almost never a form
            variants.append({"form_id": "order_form"})
        if "record_id" in names:
            variants.append({"record_id": 1, **({"form_id": "order_form"} if "form_id" in names else {})})
        for pinned in variants:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                fuzz(operation, mode, pinned, FORM_EXAMPLES if concrete else GENERIC_EXAMPLES)
    print(f"schemathesis {schemathesis.SCHEMATHESIS_VERSION}: {requests} requests, statuses {dict(sorted(statuses.items()))}")
    assert requests > 1500
    assert statuses.get(201, 0) > 50   # valid submissions were generated, not only refusals
    assert not failures, "\n".join(failures[:20])
