"""Several server processes share one data folder: 4 processes × 8 clients × 100
submissions give exactly 3,200 records, every 201 on disk, every data file valid,
编号 unique and gap-free."""
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from store import open_store

from .conftest import ROOT, SCHEMAS
from .people import admin_on_store

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
            raise RuntimeError(proc.stderr.read().decode())
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


def test_four_processes_eight_clients_each(tmp_path):
    data = tmp_path / "data"
    HEADERS["Authorization"] = f"Bearer {admin_on_store(data, SCHEMAS)}"
    env = {**os.environ, "BIAOGE_API_RATE": "100000 per minute"}
    ports = [free_port() for _ in range(PROCESSES)]
    procs = [subprocess.Popen([sys.executable, "-m", "cli", "serve", "--port", str(p), "--schemas",
                               str(SCHEMAS), "--data", str(data), "--threads", str(CLIENTS)],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for p in ports]
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
    assert not errors, errors[:5]
    assert len(results) == total
    ids = sorted(i for i, _ in results)
    assert ids == list(range(1, total + 1))
    numbers = sorted(n for _, n in results)
    assert numbers == [f"DH-202611-{k:04d}" for k in range(1, total + 1)]
    for path in Path(data).rglob("*.json"):
        json.loads(path.read_text("utf-8"))
    store = open_store(str(data))
    assert store.query("order_form", limit=1)[1] == total
    for record_id, number in results:
        assert store.get("order_form", record_id)["number"] == number
