"""The audit trail: every login (and failure), read, download, export, archive and change of
records, and every change to people and permissions — appended to the store's `audit` log,
each entry carrying the hash of the one before it (a hash chain).

    audit.record("read", user=u, form="order_form", record=7, ip="10.0.0.5")
    problems = audit.verify()        # [] when no entry was edited, removed or inserted

An entry's hash is the SHA-256 of its canonical JSON (sorted keys, no spaces) without the hash
itself; the store appends atomically with the previous entry in hand, so the chain has no gaps
even with several server processes.
"""
from __future__ import annotations

import collections
import hashlib
import json
from datetime import datetime

LOG = "audit"
GENESIS = "0" * 64
ACTIONS = {
    "login": "登录", "login_failed": "登录失败", "logout": "退出", "setup": "创建管理员",
    "list": "查看列表", "read": "查看记录", "download": "下载", "export": "导出", "archive": "归档",
    "create": "新建记录", "revise": "修改记录", "void": "作废记录", "user_add": "新增用户", "user_change": "修改用户",
    "password_change": "修改密码", "token_create": "创建令牌", "token_revoke": "吊销令牌", "approval": "审批", "form_import": "导入表单",
}


def entry_hash(entry: dict) -> str:
    body = {k: v for k, v in entry.items() if k != "hash"}
    text = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Audit:
    def __init__(self, store):
        self.store = store
        self.checked = 0      # entries the last verify() read

    def record(self, action: str, *, user=None, form: str | None = None, record=None, ip: str | None = None,
               detail: dict | None = None) -> dict:
        def make(last):
            entry = {"at": datetime.now().isoformat(timespec="seconds"), "action": action,
                     "user": getattr(user, "login", user), "form": form, "record": record, "ip": ip,
                     "detail": detail or {}, "prev": last["hash"] if last else GENESIS,
                     "seq": (last["seq"] if last else 0) + 1}
            entry["hash"] = entry_hash(entry)
            return entry
        return self.store.append(LOG, make)

    def entries(self, after: int = 0, limit: int = 1000) -> list[dict]:
        return self.store.entries(LOG, after, limit)

    def _all(self):
        """Every entry, oldest first, read in batches."""
        after = 0
        while True:
            batch = self.entries(after, 5000)
            if not batch:
                return
            after = batch[-1]["seq"]
            yield from batch

    def search(self, *, user: str | None = None, action: str | None = None, form: str | None = None,
               date_from: str | None = None, date_to: str | None = None, limit: int = 200) -> list[dict]:
        """The newest entries matching, at most `limit` (reads the log from the start)."""
        out = collections.deque(maxlen=limit)
        for e in self._all():
            day = str(e.get("at", ""))[:10]
            if ((user and e.get("user") != user) or (action and e.get("action") != action)
                    or (form and e.get("form") != form) or (date_from and day < date_from)
                    or (date_to and day > date_to)):
                continue
            out.append(e)
        return list(reversed(out))

    def verify(self) -> list[str]:
        """What is wrong with the chain, in Chinese, entry by entry ([] when it holds)."""
        problems, previous, expected_seq = [], None, 1
        for e in self._all():
            seq = e.get("seq")
            if seq != expected_seq:
                problems.append(f"第 {expected_seq} 条之后缺少记录（下一条是第 {seq} 条）：有记录被删除")
            if e.get("hash") != entry_hash(e):
                problems.append(f"第 {seq} 条记录的内容被改动过（哈希不符）")
            want = previous["hash"] if previous else GENESIS
            if e.get("prev") != want:
                problems.append(f"第 {seq} 条记录与前一条接不上（前一条的哈希不符）：前面有记录被改动或删除")
            previous, expected_seq = e, (seq or expected_seq) + 1
        self.checked = expected_seq - 1
        return problems
