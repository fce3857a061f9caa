"""Several server processes share one store — a data folder, or one PostgreSQL database (as
several hosts behind a load balancer would): 4 processes × 8 clients × 100 submissions give
exactly 3,200 records, every 201 stored, every data file valid, 编号 unique and gap-free."""
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from store import open_store

from .conftest import ROOT, SCHEMAS
from .people import admin_on_store
from .pg_helpers import database

PROCESSES, CLIENTS, EACH = 4, 8, 100
ORDER = {"customer_name": "华联超市", "order_date": "2026-11-27", "pay_method": "现金",
         "items": [{"product_name": "洗衣粉", "quantity": 3, "unit_price": 12.5}]}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


HEADERS = {"Content-Type": "application/json"}


def wait_ready(port, proc, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"a server exited with {proc.returncode} (its log is beside the data folder)")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/forms", headers=HEADERS)
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(port)


def client(port, results, errors):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    body = json.dumps(ORDER, ensure_ascii=False).encode()
    for _ in range(EACH):
        try:
            conn.request("POST", "/api/forms/order_form/submissions", body, HEADERS)
            resp = conn.getresponse()
            payload = json.loads(resp.read())
            if resp.status == 201:
                results.append((payload["id"], payload["number"]))
            else:
                errors.append((resp.status, payload))
        except Exception as exc:  # noqa: BLE001 - counted and reported below
            errors.append(("exception", repr(exc)))
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)


@contextmanager
def folder(tmp_path):
    yield str(tmp_path / "data")


@contextmanager
def postgresql(tmp_path):
    with database() as url:
        yield url


@pytest.mark.parametrize("backend", [folder, postgresql], ids=["folder", "postgresql"])
def test_four_processes_eight_clients_each(tmp_path, backend):
    with backend(tmp_path) as location:
        run_servers(tmp_path, location)


def run_servers(tmp_path, location):
    data = tmp_path / "data"
    HEADERS["Authorization"] = f"Bearer {admin_on_store(location, SCHEMAS)}"
    env = {**os.environ, "BIAOGE_API_RATE": "100000 per minute"}
    ports = [free_port() for _ in range(PROCESSES)]
    procs = [subprocess.Popen([sys.executable, "-m", "cli", "serve", "--port", str(p), "--schemas",
                               str(SCHEMAS), "--data", str(data), "--store", location, "--threads", str(CLIENTS)],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=open(tmp_path / f"server-{p}.log", "wb")) for p in ports]
    try:
        for port, proc in zip(ports, procs):
            wait_ready(port, proc)
        results, errors = [], []
        threads = [threading.Thread(target=client, args=(port, results, errors))
                   for port in ports for _ in range(CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=30)
    total = PROCESSES * CLIENTS * EACH
    logs = "".join(p.read_text("utf-8", "replace")[-3000:] for p in tmp_path.glob("server-*.log"))
    assert not errors, (errors[:5], logs[-6000:])
    assert len(results) == total
    ids = sorted(i for i, _ in results)
    assert ids == list(range(1, total + 1))
    numbers = sorted(n for _, n in results)
    assert numbers == [f"DH-202611-{k:04d}" for k in range(1, total + 1)]
    for path in Path(data).rglob("*.json"):
        json.loads(path.read_text("utf-8"))
    store = open_store(location)
    try:
        assert store.query("order_form", limit=1)[1] == total
        assert store.counters("order_form") == {"2026-11": total}
        for record_id, number in results:
            assert store.get("order_form", record_id)["number"] == number
    finally:
        store.close()
