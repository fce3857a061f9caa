"""Move an office's data between stores (`biaoge store copy SRC DST`) and prove the copy.

Everything goes through the `Store` interface, so any backend copies to any other: per form,
every record with all its revisions (same ids, 编号, timestamps, creator, department, authors)
by `Store.load`, the 编号 counters, the definitions; then documents and log entries. The
source is only read. The destination must be empty. Afterwards both sides are digested the
same way (per form: record count and one SHA-256 over every revision, the counters and the
definitions, in id order) and any difference is an error.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from store import StorageError, Store


@dataclass
class FormDigest:
    records: int = 0
    revisions: int = 0
    sha256: str = ""


@dataclass
class CopyReport:
    forms: dict = field(default_factory=dict)        # form -> FormDigest (equal on both sides)
    documents: int = 0
    log_entries: int = 0


def _canon(value) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def _histories(store: Store, form: str):
    """Every record's revisions, oldest record first; history() only for revised records."""
    for rec in store.scan(form):
        yield [rec] if rec["revision"] == 1 else store.history(form, rec["id"])


def digest_form(store: Store, form: str) -> FormDigest:
    h = hashlib.sha256()
    out = FormDigest()
    for hist in _histories(store, form):
        out.records += 1
        out.revisions += len(hist)
        h.update(_canon(hist) + b"\n")
    h.update(_canon(store.counters(form)) + b"\n")
    for digest in store.definitions(form):
        h.update(_canon([digest, store.get_definition(form, digest)]) + b"\n")
    out.sha256 = h.hexdigest()
    return out


def digest_store(store: Store) -> dict:
    """form -> FormDigest, plus "_docs" and "_logs" digests of documents and log entries."""
    out = {form: digest_form(store, form) for form in store.forms()}
    docs, logs = hashlib.sha256(), hashlib.sha256()
    n_docs = n_logs = 0
    for kind in store.doc_kinds():
        for key, doc, _version in store.docs(kind):
            docs.update(_canon([kind, key, doc]) + b"\n")
            n_docs += 1
    for log in store.log_names():
        for entry in _entries(store, log):
            logs.update(_canon([log, entry]) + b"\n")
            n_logs += 1
    out["_docs"] = FormDigest(n_docs, n_docs, docs.hexdigest())
    out["_logs"] = FormDigest(n_logs, n_logs, logs.hexdigest())
    return out


def _entries(store: Store, log: str, batch: int = 1000):
    after = 0
    while True:
        got = store.entries(log, after=after, limit=batch)
        yield from got
        if len(got) < batch:
            return
        after = got[-1]["seq"]


def is_empty(store: Store) -> bool:
    return not (store.forms() or store.doc_kinds() or store.log_names())


def copy_store(src: Store, dst: Store, progress=lambda message: None) -> CopyReport:
    """Copy everything from `src` into the empty `dst`, then verify; StorageError on any difference.
    Document versions start again at 1 in the copy (their content is kept)."""
    if not is_empty(dst):
        raise StorageError("目标存储不是空的：为了不覆盖已有数据，只能复制到空的存储。")
    for form in src.forms():
        count = dst.load(form, _histories(src, form), src.counters(form))
        for digest in src.definitions(form):
            dst.put_definition(form, digest, src.get_definition(form, digest))
        progress(f"{form}：已复制 {count} 条记录")
    for kind in src.doc_kinds():
        for key, doc, _version in src.docs(kind):
            dst.put_doc(kind, key, doc, expect=0)
    for log in src.log_names():
        for entry in _entries(src, log):
            made = dst.append(log, lambda last, e=entry: {k: v for k, v in e.items() if k != "seq"})
            if made["seq"] != entry["seq"]:
                raise StorageError(f"日志 {log} 的序号不一致（{made['seq']} ≠ {entry['seq']}），复制失败。")
    want, got = digest_store(src), digest_store(dst)
    if want != got:
        bad = sorted(k for k in set(want) | set(got) if want.get(k) != got.get(k))
        raise StorageError(f"复制后校验不一致：{'、'.join(bad)}；目标存储中的数据不可用，请清空后重试。")
    report = CopyReport(forms={k: v for k, v in want.items() if not k.startswith("_")})
    report.documents, report.log_entries = want["_docs"].records, want["_logs"].records
    return report
