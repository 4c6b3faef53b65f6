"""No tree walker blocks on a running job (issue 13, first part): `wait` blocks until its job ends,
so it is reachable by its name but never listed. grep -r, cp -r, rsync -a, diff -r, tar and
find -exec cat over a connection whose job runs for 30 s each finish within 5 s, and the named
`wait` still blocks for whoever asks."""
import os
import subprocess
import time

import pytest

from conftest import Emulator, Mount, run


@pytest.fixture(scope="module")
def slow_jobs():
    emu = Emulator("--job-duration", "30")
    yield emu
    emu.stop()


@pytest.fixture
def running(slow_jobs):
    slow_jobs.reset()
    m = Mount(slow_jobs)
    cid = next(c for c, v in slow_jobs.connections().items() if v["name"] == "Faker Demo")
    d = m / "connections" / cid
    assert run(f"echo sync > {d}/run").returncode == 0
    yield m, d
    assert m.unmount() == 0, m.log()


WALKERS = [
    "grep -r zzz-not-there {c} ; test $? = 1",
    # the running job's files change while it runs (pending -> running, its log, streams.tsv), and
    # so do the timelines (its events) and the health files (running, pending): not compared
    "cp -r {c} {tmp}/copy && diff -r --no-dereference -x {job} -x 'timeline*' -x 'health*' {tmp}/copy {c}",
    "rsync -a {c}/ {tmp}/rsync/ && diff -r --no-dereference -x {job} -x 'timeline*' -x 'health*' {tmp}/rsync {c}",
    "diff -r {d}/jobs {d}/jobs",
    "tar -cf {tmp}/backup.tar -C {c} . && mkdir {tmp}/x && tar -xf {tmp}/backup.tar -C {tmp}/x"
    " && diff -r --no-dereference -x {job} -x 'timeline*' -x 'health*' {tmp}/x {c}",
    "find {c} -type f -exec cat {{}} + > /dev/null",
    "du -a {c} > /dev/null",
    "gio list -a 'standard::*' {d} > /dev/null && gio list -a 'standard::*' {d}/jobs/latest/ > /dev/null",
]


@pytest.mark.parametrize("walker", WALKERS)
def test_walkers_finish_and_exit_0_while_a_job_runs(running, tmp_path, walker):
    """Backups and searches over MOUNT/connections: no walker blocks, and each exits 0 (control
    files read as empty; a copy diff -r finds equal)."""
    m, d = running
    job = os.readlink(d / "jobs" / "latest")
    assert "wait" not in os.listdir(d / "jobs" / job)
    start = time.monotonic()
    r = run(walker.format(c=m / "connections", d=d, tmp=tmp_path, job=job), timeout=30)
    took = time.monotonic() - start
    assert took < 5, f"{walker} took {took:.1f} s"
    assert r.returncode == 0, r.stderr[-2000:]


def test_an_empty_control_file_restored_starts_nothing(running, slow_jobs, tmp_path):
    """Restoring a backup (whose run and cancel files are empty) with cp starts and cancels
    nothing: a control file acts only on what is written to it."""
    m, d = running
    before = len(slow_jobs.state()["jobs"])
    assert run(f"cp -r {d} {tmp_path}/backup").returncode == 0
    assert (tmp_path / "backup" / "run").read_text() == ""
    r = run(f"cp {tmp_path}/backup/run {d}/run && touch {d}/run")
    assert r.returncode == 0, r.stderr
    assert len(slow_jobs.state()["jobs"]) == before


def test_wait_by_name_still_blocks(running):
    m, d = running
    job = os.readlink(d / "jobs" / "latest")
    p = subprocess.Popen(["cat", str(d / "jobs" / job / "wait")], stdout=subprocess.PIPE)
    time.sleep(1.5)
    assert p.poll() is None  # still waiting for the job
    assert run(f"echo > {d}/jobs/{job}/cancel").returncode == 0
    out, _ = p.communicate(timeout=15)
    assert out == b"cancelled\n"


def test_find_by_name_costs_the_listings_only(running, slow_jobs):
    """find learns each entry's type from the listing (d_type), so `find MOUNT -name settings.json`
    over the whole mount stats nothing and reads no file while a job runs: exactly the listing walk
    (the connections, each connection's job list, the root jobs/, sources, destinations, tags) and
    one health report for status/ (one batch status call), nothing else of the Config API."""
    m, d = running
    slow_jobs.reset_requests()
    start = time.monotonic()
    r = run(f"find {m.path} -name settings.json", timeout=30)
    assert time.monotonic() - start < 5
    assert r.returncode == 0, r.stderr
    n = len(slow_jobs.connections())
    assert len(r.stdout.split()) == n
    routes = slow_jobs.requests()["routes"]
    assert routes.pop("GET /api/public/v1/connections", 0) <= 1  # within the TTL: none
    assert routes.pop("GET /api/public/v1/jobs") == n + 1  # and the root jobs/
    assert routes.pop("POST /api/v1/connections/status") == 1  # status/<word>/: one report
    assert routes.pop("GET /api/public/v1/sources", 0) <= 1
    assert routes.pop("GET /api/public/v1/destinations", 0) <= 1
    assert routes.pop("GET /api/public/v1/tags", 0) <= 1  # tags/: one listing
    assert routes == {}, routes


def test_du_costs_the_walk_and_one_request_per_expensive_file(running, slow_jobs):
    """du -a stats every file: the listing walk, then one request per file whose size is exact only
    once fetched (state.json, catalog.json, a job's log; one timeline answer for timeline and
    timeline.json; one last-jobs answer for every stream's last_sync, and the state.json one for
    every stream's state.json), and each is kept for the TTL: a cat of what du sized costs nothing
    more."""
    m, d = running
    slow_jobs.reset_requests()
    r = run(f"du -a {m.path}/connections", timeout=30)
    assert r.returncode == 0, r.stderr
    n = len(slow_jobs.connections())
    jobs = sum(1 for j in slow_jobs.state()["jobs"])
    routes = slow_jobs.requests()["routes"]
    assert routes.pop("GET /api/public/v1/connections") == 1
    assert routes.pop("GET /api/public/v1/jobs") == n  # each connection's jobs/
    assert routes.pop("POST /api/v1/state/get") == n
    assert routes.pop("POST /api/v1/web_backend/connections/get") == n
    assert routes.pop("POST /api/v1/jobs/get") <= jobs  # each log once (a running one may be re-read)
    assert routes.pop("POST /api/v1/connections/events/list") == n
    with_streams = sum(1 for c in slow_jobs.connections().values() if c["configurations"]["streams"])
    assert routes.pop("POST /api/v1/connections/last_job_per_stream") == with_streams
    assert routes.pop("POST /api/v1/connections/status") == 1  # the health files: one report
    assert routes == {}, routes
    slow_jobs.reset_requests()
    for cid in slow_jobs.connections():
        c = m / "connections" / cid
        assert (c / "state.json").read_text() and (c / "catalog.json").read_text()
        run(f"cat {c}/timeline {c}/streams.d/*/state.json {c}/streams.d/*/last_sync > /dev/null")
    assert slow_jobs.requests()["routes"] == {}


def test_a_file_manager_opening_a_connection_sizes_each_file_once(running, slow_jobs):
    """gio (GNOME's file manager layer) lists a connection directory with every attribute: nothing
    blocks on the running job, the only Config API requests are the one each of state.json,
    catalog.json and the timeline (timeline and timeline.json) needs for an exact size (backups
    need it: tar and rsync copy st_size bytes), and the health report (one for every connection),
    and opening the directory again within the TTL asks none."""
    m, d = running
    os.listdir(m / "connections")
    for attempt in range(2):
        slow_jobs.reset_requests()
        start = time.monotonic()
        r = run(f"gio list -a 'standard::*' {d}", timeout=30)
        assert time.monotonic() - start < 5
        assert r.returncode == 0, r.stderr
        assert "state.json" in r.stdout and "wait" not in r.stdout
        config = {k: v for k, v in slow_jobs.requests()["routes"].items() if "/api/v1/" in k}
        if attempt == 0:
            assert config == {"POST /api/v1/state/get": 1, "POST /api/v1/web_backend/connections/get": 1,
                              "POST /api/v1/connections/events/list": 1,
                              "POST /api/v1/connections/status": 1}
        else:
            assert config == {}
        time.sleep(1.1)  # past the kernel's attribute cache (attr_timeout=1): the daemon is asked
