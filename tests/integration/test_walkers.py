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
    "cp -r {c} {tmp}/copy && diff -r --no-dereference {tmp}/copy {c}",
    "rsync -a {c}/ {tmp}/rsync/",
    "diff -r {d}/jobs {d}/jobs",
    "tar -cf {tmp}/backup.tar -C {c} .",
    "find {c} -type f -exec cat {{}} + > /dev/null",
]


@pytest.mark.parametrize("walker", WALKERS)
def test_walkers_finish_and_exit_0_while_a_job_runs(running, tmp_path, walker):
    """Backups and searches over MOUNT/connections: no walker blocks, and each exits 0 (control
    files read as empty; a copy diff -r finds equal)."""
    m, d = running
    job = os.readlink(d / "jobs" / "latest")
    assert "wait" not in os.listdir(d / "jobs" / job)
    start = time.monotonic()
    r = run(walker.format(c=m / "connections", d=d, tmp=tmp_path), timeout=30)
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


def test_find_by_name_reads_no_file(slow_jobs, tmp_path):
    """find learns each entry's type from the listing (d_type), so `find -name settings.json`
    stats nothing and reads no file: no Config API request (state.json, catalog.json), only the
    listing walk and each connection's job list (find walks into jobs/)."""
    slow_jobs.reset()
    m = Mount(slow_jobs)
    try:
        os.listdir(m / "connections")
        slow_jobs.reset_requests()
        r = run(f"find {m.path}/connections -name settings.json")
        assert r.returncode == 0, r.stderr
        assert len(r.stdout.split()) == len(slow_jobs.connections())
        routes = slow_jobs.requests()["routes"]
        config = {k: v for k, v in routes.items() if "/v1/state" in k or "web_backend" in k or "/v1/jobs/get" in k}
        assert config == {}, routes
    finally:
        assert m.unmount() == 0, m.log()
