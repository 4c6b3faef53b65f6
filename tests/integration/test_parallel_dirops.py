"""Lookups in one directory run in parallel (issue 17): libfuse 3.14 never asks the kernel for
FUSE_PARALLEL_DIROPS, so the kernel held connections/'s lock across each LOOKUP and 16 readers of
16 cold connections waited for 16 API round trips one after another. fs/init_dirops.c adds the flag
to the INIT reply; these tests assert what that allows (the emulator's peak of GET
/connections/{connectionId} served at once) and that lookups stay exact while they overlap: an id
that does not exist is never answered for, and parallel listings agree."""
import concurrent.futures
import os
import subprocess
import time

import pytest

from conftest import Emulator, Mount, run

ROUTE = "GET /api/public/v1/connections/{connectionId}"
MISSING = "00000000-dead-4000-8000-000000000000"


@pytest.fixture(scope="module")
def slow():
    emu = Emulator("--connections", "40", "--latency-ms", "200")
    yield emu
    emu.stop()


@pytest.fixture
def mount(slow):
    slow.reset()
    m = Mount(slow)
    yield m
    assert m.unmount() == 0, m.log()


def stat_in_parallel(paths):
    """16 processes, each one stat(1): what a shell user's parallel readers do."""
    procs = [subprocess.Popen(["stat", "-c", "%F", str(p)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for p in paths]
    return [(p.wait(30), p.stdout.read().strip(), p.stderr.read()) for p in procs]


def test_cold_lookups_of_16_connections_reach_the_api_at_once(slow, mount):
    ids = sorted(slow.connections())[:16]
    slow.reset_requests()
    started = time.monotonic()
    results = stat_in_parallel([mount / "connections" / c for c in ids])
    elapsed = time.monotonic() - started
    assert [r[:2] for r in results] == [(0, "directory")] * 16, results
    asked = slow.requests()
    assert asked["routes"].get(ROUTE, 0) >= 16
    # one at a time, the peak is 1 and 16 round trips take 3.2 s
    assert asked["peak_in_flight"][ROUTE] >= 8, (asked["peak_in_flight"], elapsed)


def test_missing_id_is_refused_while_others_are_looked_up(slow, mount):
    ids = sorted(slow.connections())[:12]
    paths = [mount / "connections" / c for c in ids] + [mount / "connections" / MISSING] * 4
    results = stat_in_parallel(paths)
    assert [r[:2] for r in results[:12]] == [(0, "directory")] * 12, results
    for status, out, err in results[12:]:
        assert status == 1 and "No such file or directory" in err, (status, out, err)
    assert not os.path.exists(mount / "connections" / MISSING)
    cat = run(f"cat {mount.path}/connections/{MISSING}/name")
    assert cat.returncode == 1 and "No such file or directory" in cat.stderr, cat


def test_parallel_listings_and_lookups_agree(slow, mount):
    expected = sorted(slow.connections())

    def listing(_):
        return sorted(os.listdir(mount / "connections"))

    def name_of(cid):
        with open(mount / "connections" / cid / "name") as f:
            return cid, f.read().strip()

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        lists = list(pool.map(listing, range(8)))
        names = dict(pool.map(name_of, expected[:16]))
    assert all(x == expected for x in lists)
    state = slow.connections()
    assert names == {c: state[c]["name"] for c in expected[:16]}
