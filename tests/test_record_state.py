"""One state per record for reports and lists: 已作废 wins, then the approval flow, else 已提交."""
from services import approval, voiding
from services.record_state import states
from services.reports import generate
from store.tinystore import TinyStore


def test_void_then_flow_then_submitted(catalog, tmp_path):
    store = TinyStore(tmp_path / "data")
    assert catalog.get("delivery_note").flow is not None and catalog.get("order_form").flow is None
    made = [store.add("delivery_note", {}, version=1, definition="d", created="2026-11-27T10:00:00")
            for _ in range(3)]
    order = store.add("order_form", {}, version=1, definition="d", created="2026-11-27T10:00:00")
    store.put_doc(voiding.KIND, voiding.key("delivery_note", made[0]["id"]), {"reason": "录错", "by": "x"})
    store.put_doc(approval.KIND, approval.key("delivery_note", made[1]["id"]), {"state": "审批中"})
    store.put_doc(voiding.KIND, voiding.key("order_form", 99), {"reason": "other form"})
    state_of = states(store, catalog)
    assert [state_of("delivery_note", r) for r in made] == ["已作废", "审批中", "已提交"]   # the third never entered a flow
    assert state_of("order_form", order) == "已提交"


def test_a_shipment_report_counts_only_approved_shipments(catalog, tmp_path):
    """商品发货单 has an approval flow now: of three shipments of the day, only the approved one counts."""
    from forms.sample import sample_submission
    store = TinyStore(tmp_path / "data")
    data = dict(sample_submission(catalog.get("delivery_note")), ship_date="2026-11-27")
    made = [store.add("delivery_note", data, version=1, definition="d", created="2026-11-27T10:00:00")
            for _ in range(3)]
    store.put_doc(approval.KIND, approval.key("delivery_note", made[0]["id"]), {"state": "已通过"})
    store.put_doc(approval.KIND, approval.key("delivery_note", made[1]["id"]), {"state": "审批中"})
    store.put_doc(voiding.KIND, voiding.key("delivery_note", made[2]["id"]), {"reason": "作废"})
    gen = generate(catalog, store, None, catalog.get("shipment_daily_report"), "2026-11-27",
                   state_of=states(store, catalog))
    rows = gen.trace["items"]
    assert rows and {i for row in rows for i in row.get("delivery_note", [])} == {made[0]["id"]}
