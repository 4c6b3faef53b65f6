"""Caching through a real mount: listings cost one walk (exact on small workspaces and on warm
refreshes, parallel on big ones), nothing within the TTL, fresh values and sizes after it,
single flight under parallel cold readers, and SIGHUP / .refresh dropping every cache."""
import json
import math
import os
import signal
import subprocess
import threading
import time

import pytest

from conftest import Emulator, Mount, run

LIST = "GET /api/public/v1/connections"


def list_count(emu):
    return emu.requests()["routes"].get(LIST, 0)


@pytest.fixture(scope="module")
def big():
    emu = Emulator("--connections", "1000", "--latency-ms", "20")
    yield emu
    emu.stop()


def test_big_listing_parallel_then_exact_warm_refresh(big):
    m = Mount(big, options=["cache_ttl=2"])
    try:
        big.reset_requests()
        t0 = time.time()
        names = os.listdir(m / "connections")
        cold = time.time() - t0
        assert len(names) == 1000
        cold_pages = list_count(big)
        # 1000 = 10 full pages + the empty 11th; parallel paging may ask for up to 15 empty ones more.
        assert math.ceil(1001 / 100) <= cold_pages <= 11 + 15  # list_parallel=16
        # sequential paging at 20 ms a page would take >= 220 ms of latency alone
        print(f"cold listing of 1000 at 20 ms: {cold:.3f} s, {cold_pages} pages")
        big.reset_requests()
        os.listdir(m / "connections")
        assert list_count(big) == 0  # warm within the TTL
        time.sleep(2.2)
        big.reset_requests()
        assert len(os.listdir(m / "connections")) == 1000
        assert list_count(big) == 11  # the previous count says which pages exist: exact
    finally:
        assert m.unmount() == 0


def test_parallel_cold_readers_single_flight(big):
    m = Mount(big)
    try:
        big.reset_requests()
        ids = sorted(c for c, v in big.state()["connections"].items()
                     if v["workspaceId"].endswith("01"))[:16]
        procs = [subprocess.Popen(["cat", str(m / "connections" / c / "connection.json")],
                                  stdout=subprocess.PIPE) for c in ids]
        outs = [p.communicate(timeout=30)[0] for p in procs]
        assert all(p.returncode == 0 for p in procs)
        for c, out in zip(ids, outs):
            assert json.loads(out) == big.state()["connections"][c]
        log = big.requests()["log"]
        gets = [(r["path"], r["query"]) for r in log if r["method"] == "GET"]
        assert len(gets) == len(set(gets)), "a resource was fetched twice"
        # before any listing, a connection asked for by id is read alone: 16 GETs, no walk
        assert sorted(r["path"] for r in log if r["method"] == "GET") == \
            sorted(f"/api/public/v1/connections/{c}" for c in ids)
        # a listing afterwards is one walk, and values come from it
        big.reset_requests()
        assert len(os.listdir(m / "connections")) == 1000
        assert big.requests()["routes"].get("GET /api/public/v1/connections") >= 11
    finally:
        assert m.unmount() == 0


def test_fresh_value_and_size_after_ttl(emulator):
    emulator.reset()
    m = Mount(emulator, options=["cache_ttl=1"])
    try:
        cid = next(c for c, v in emulator.connections().items() if v["name"] == "Faker Demo")
        f = m / "connections" / cid / "name"
        assert f.read_text() == "Faker Demo\n"
        assert os.stat(f).st_size == 11
        emulator.admin("PATCH", f"/_emulator/connections/{cid}", {"name": "Faker Demo, renamed in the web UI"})
        assert f.read_text() == "Faker Demo\n"  # within the TTL: the cached value
        time.sleep(1.3)
        new = "Faker Demo, renamed in the web UI\n"
        assert os.stat(f).st_size == len(new)
        assert f.read_text() == new
        assert run(f"cat {f}").stdout == new
        # a shorter value: no stale bytes either
        emulator.admin("PATCH", f"/_emulator/connections/{cid}", {"name": "F"})
        time.sleep(1.3)
        assert run(f"cat {f}").stdout == "F\n"
        assert os.stat(f).st_size == 2
    finally:
        assert m.unmount() == 0
        emulator.reset()


@pytest.mark.parametrize("how", ["sighup", "refresh-file"])
def test_sighup_and_refresh_file_drop_caches(emulator, how):
    emulator.reset()
    m = Mount(emulator)  # default TTL: 30 s
    try:
        cid = next(c for c, v in emulator.connections().items() if v["name"] == "Faker Demo")
        f = m / "connections" / cid / "schedule"
        assert f.read_text() == "manual\n"
        emulator.admin("PATCH", f"/_emulator/connections/{cid}",
                       {"schedule": {"scheduleType": "cron", "cronExpression": "0 0 4 * * ?"}})
        assert f.read_text() == "manual\n"
        if how == "sighup":
            m.proc.send_signal(signal.SIGHUP)
            time.sleep(0.6)
        else:
            assert run(f"echo > {m.path}/.refresh").returncode == 0
            assert open(m / ".refresh").read() == ""  # control files read as empty (tar, rsync)
        assert f.read_text() == "0 0 4 * * ?\n"
        assert os.path.ismount(m.path)  # SIGHUP does not unmount
        assert m.proc.poll() is None
    finally:
        assert m.unmount() == 0
        emulator.reset()
