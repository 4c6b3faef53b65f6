"""Syncs and jobs through a real mount: `run` starts a job, `jobs/` lists them newest first with
`latest`, each job's files match the emulator, `wait` blocks until the job is final, `cancel`
cancels, a second sync is EBUSY, and `tail -f` of a running job's log sees new lines."""
import errno
import json
import os
import subprocess
import time

import pytest

from conftest import Emulator, Mount, run


@pytest.fixture(scope="module")
def job_emulator():
    emu = Emulator("--job-duration", "2")
    yield emu
    emu.stop()


@pytest.fixture
def jmount(job_emulator):
    job_emulator.reset()
    m = Mount(job_emulator)
    yield m
    assert m.unmount() == 0, m.log()


def conn_named(emu, name):
    return next(c for c in emu.connections().values() if c["name"] == name)["connectionId"]


def public_jobs(emu, cid):
    return sorted((j for j in emu.state()["jobs"].values() if j.get("connectionId", j.get("configId")) == cid),
                  key=lambda j: -int(j.get("jobId", j.get("id", 0))))


def test_run_sync_and_wait(jmount, job_emulator):
    cid = conn_named(job_emulator, "Faker Demo")
    d = jmount / "connections" / cid
    before = set(os.listdir(d / "jobs"))
    assert run(f"echo sync > {d}/run").returncode == 0
    after = set(os.listdir(d / "jobs"))
    new = after - before
    assert len(new) == 1
    job = new.pop()
    assert os.readlink(d / "jobs" / "latest") == job
    assert (d / "jobs" / "latest" / "type").read_text() == "sync\n"
    assert run(f"cat {d}/jobs/latest/wait").stdout == "succeeded\n"
    j = d / "jobs" / job
    api = json.loads((j / "job.json").read_text())
    assert api["jobId"] == int(job) and api["status"] == "succeeded"
    assert (j / "status").read_text() == "succeeded\n"
    assert (j / "bytes_synced").read_text() == f"{api.get('bytesSynced', 0)}\n"
    assert (j / "rows_synced").read_text() == f"{api.get('rowsSynced', 0)}\n"
    started = (j / "started_at").read_text()
    assert len(started) == len("2026-01-01T00:00:00Z\n") and started.endswith("Z\n")
    assert int((j / "duration").read_text()) >= 1
    log = (j / "log").read_text()
    assert "==== attempt 0 ====" in log and len(log.splitlines()) > 3
    assert os.stat(j / "status").st_size == len("succeeded\n")
    # A finished job never changes: its files are served from the cache for good.
    time.sleep(1.2)
    job_emulator.reset_requests()
    for name in ("status", "type", "job.json", "log", "bytes_synced", "duration", "wait"):
        run(f"cat {j / name}")
    assert [r for r in job_emulator.requests()["log"] if "/jobs" in r["path"]] == []


def test_jobs_listing_newest_first_and_url(jmount, job_emulator):
    cid = conn_named(job_emulator, "Postgres → Snowflake")
    d = jmount / "connections" / cid / "jobs"
    ids = [n for n in os.listdir(d) if n.isdigit()]
    assert ids and ids == sorted(ids, key=int, reverse=True)
    assert (d / "url").read_text().endswith(f"/connections/{cid}/timeline\n")
    assert os.readlink(d / "latest") == ids[0]
    q = [r["query"] for r in job_emulator.requests()["log"] if r["path"] == "/api/public/v1/jobs"]
    assert q and all("orderBy=createdAt%7CDESC" in x and f"connectionId={cid}" in x for x in q)


def test_failed_job_waits_failed_with_every_attempt(jmount, job_emulator):
    cid = conn_named(job_emulator, "Faker Demo")
    d = jmount / "connections" / cid
    job_emulator.admin("POST", "/_emulator/next-job", {"outcome": "failed", "attempts": 2, "duration": 1})
    assert run(f"echo sync > {d}/run").returncode == 0
    assert run(f"cat {d}/jobs/latest/wait").stdout == "failed\n"
    log = (d / "jobs" / "latest" / "log").read_text()
    assert "==== attempt 0 ====" in log and "==== attempt 1 ====" in log


def test_second_sync_is_ebusy_and_cancel(jmount, job_emulator):
    cid = conn_named(job_emulator, "GitHub → Postgres")
    d = jmount / "connections" / cid
    job_emulator.admin("POST", "/_emulator/config", {"job_duration": 30})
    assert run(f"echo sync > {d}/run").returncode == 0
    with pytest.raises(OSError) as exc:
        with open(d / "run", "w") as f:
            f.write("sync\n")
    assert exc.value.errno == errno.EBUSY
    assert "EBUSY: HTTP 409" in (jmount / "errors").read_text().splitlines()[-1]
    job = os.readlink(d / "jobs" / "latest")
    assert run(f"echo > {d}/jobs/{job}/cancel").returncode == 0
    assert run(f"cat {d}/jobs/{job}/wait").stdout == "cancelled\n"
    with pytest.raises(OSError) as exc:
        with open(d / "jobs" / job / "cancel", "w") as f:
            f.write("1")
    assert exc.value.errno == errno.EBUSY


def test_shell_redirection_runs_the_written_word(jmount, job_emulator):
    # bash opens, dup2()s and closes the file before echo writes: that early close must not act.
    cid = conn_named(job_emulator, "Faker Demo")
    d = jmount / "connections" / cid
    assert run(f"bash -c 'echo reset > {d}/run'").returncode == 0
    assert (d / "jobs" / "latest" / "type").read_text() == "reset\n"
    assert run(f"cat {d}/jobs/latest/wait").stdout == "succeeded\n"
    latest = os.readlink(d / "jobs" / "latest")
    assert run(f": > {d}/run && touch {d}/run").returncode == 0  # nothing written: nothing done
    time.sleep(0.2)
    assert os.readlink(d / "jobs" / "latest") == latest
    assert run(f"echo > {d}/run").returncode == 0  # an empty line: a sync
    time.sleep(0.2)
    assert (d / "jobs" / "latest" / "type").read_text() == "sync\n"


def test_refresh_goes_through_the_config_api(jmount, job_emulator):
    cid = conn_named(job_emulator, "Faker Demo")
    d = jmount / "connections" / cid
    job_emulator.reset_requests()
    assert run(f"bash -c 'echo refresh > {d}/run'").returncode == 0
    log = job_emulator.requests()["log"]
    posts = [r for r in log if r["method"] == "POST" and "/jobs" not in r["path"] and "token" not in r["path"]]
    assert [r["path"] for r in posts] == ["/api/v1/connections/refresh"]
    assert json.loads(posts[0]["body"]) == {"connectionId": cid, "refreshMode": "Merge", "streams": []}
    assert not [r for r in log if r["method"] == "POST" and r["path"] == "/api/public/v1/jobs"]
    assert (d / "jobs" / "latest" / "type").read_text() == "refresh\n"
    assert run(f"cat {d}/jobs/latest/wait").stdout == "succeeded\n"


def test_wait_is_interruptible_and_bounded(job_emulator):
    m = Mount(job_emulator, options=["wait_timeout=2"])
    try:
        cid = conn_named(job_emulator, "Faker Demo")
        d = m / "connections" / cid
        job_emulator.admin("POST", "/_emulator/config", {"job_duration": 60})
        assert run(f"echo sync > {d}/run").returncode == 0
        job = os.readlink(d / "jobs" / "latest")
        # Bounded by -o wait_timeout: ETIMEDOUT, and the reason is in errors.
        t0 = time.time()
        r = run(f"cat {d}/jobs/{job}/wait")
        assert r.returncode != 0 and "timed out" in r.stderr.lower()
        assert 1.5 < time.time() - t0 < 10
        assert "ETIMEDOUT" in (m / "errors").read_text().splitlines()[-1]
        # Ctrl-C (SIGINT) interrupts a blocked reader promptly.
        reader = subprocess.Popen(["cat", str(d / "jobs" / job / "wait")], stderr=subprocess.PIPE)
        time.sleep(0.8)
        t0 = time.time()
        reader.send_signal(2)
        reader.wait(5)
        assert reader.returncode != 0 and time.time() - t0 < 2
        run(f"echo > {d}/jobs/{job}/cancel")
    finally:
        assert m.unmount() == 0, m.log()


def test_run_rejects_unknown_word(jmount, job_emulator):
    cid = conn_named(job_emulator, "Faker Demo")
    job_emulator.reset_requests()
    with pytest.raises(OSError) as exc:
        with open(jmount / "connections" / cid / "run", "w") as f:
            f.write("explode\n")
    assert exc.value.errno == errno.EINVAL
    assert not [r for r in job_emulator.requests()["log"] if r["method"] == "POST" and r["path"].endswith("/jobs")]
    assert open(jmount / "connections" / cid / "run").read() == ""  # read as empty (tar, rsync)


def test_tail_follows_a_running_log(jmount, job_emulator):
    cid = conn_named(job_emulator, "Faker Demo")
    d = jmount / "connections" / cid
    job_emulator.admin("POST", "/_emulator/config", {"job_duration": 6})
    assert run(f"echo sync > {d}/run").returncode == 0
    job = os.readlink(d / "jobs" / "latest")
    tail = subprocess.Popen(["tail", "-n", "+1", "-s", "0.3", "-f", str(d / "jobs" / job / "log")],
                            stdout=subprocess.PIPE, text=True)
    time.sleep(1.5)
    tail_lines = []
    import select
    deadline = time.time() + 8
    while time.time() < deadline:
        r, _, _ = select.select([tail.stdout], [], [], 0.5)
        if r:
            tail_lines.append(tail.stdout.readline())
    tail.kill()
    final = (d / "jobs" / job / "log").read_text().splitlines()
    assert run(f"cat {d}/jobs/{job}/wait").stdout == "succeeded\n"
    assert len(tail_lines) > 10
    early = os.stat(d / "jobs" / job / "log").st_size
    assert early == len((d / "jobs" / job / "log").read_bytes())
    assert [l.rstrip("\n") for l in tail_lines[:5]] == final[:5]


def test_state_and_catalog_round_trip(jmount, job_emulator):
    cid = conn_named(job_emulator, "Postgres → Snowflake")
    d = jmount / "connections" / cid
    state = json.loads((d / "state.json").read_text())
    assert state["connectionId"] == cid and "stateType" in state
    assert os.stat(d / "state.json").st_size == len((d / "state.json").read_bytes())
    catalog = json.loads((d / "catalog.json").read_text())
    assert catalog["streams"] and all("stream" in s and "config" in s for s in catalog["streams"])
    job_emulator.reset_requests()
    run(f"cat {d}/state.json > /tmp/abfs-st && cp /tmp/abfs-st {d}/state.json")
    run(f"cat {d}/catalog.json > /tmp/abfs-cat && cp /tmp/abfs-cat {d}/catalog.json")
    writes = [r for r in job_emulator.requests()["log"]
              if r["path"].endswith(("create_or_update_safe", "connections/update"))]
    assert writes == []
    if state["stateType"] == "stream":
        state["streamState"][0]["streamState"] = {"cursor": "2001-01-01"}
    else:
        state = {"stateType": "stream", "connectionId": cid, "streamState": [
            {"streamDescriptor": {"name": "users", "namespace": "public"}, "streamState": {"cursor": "2001-01-01"}}]}
    (d / "state.json").write_text(json.dumps(state))
    assert json.loads((d / "state.json").read_text())["streamState"][0]["streamState"] == {"cursor": "2001-01-01"}
    with pytest.raises(OSError) as exc:
        (d / "state.json").write_text('{"stateType": "sideways"}')
    assert exc.value.errno == errno.EINVAL


def test_state_write_during_sync_is_ebusy(jmount, job_emulator):
    cid = conn_named(job_emulator, "Postgres → Snowflake")
    d = jmount / "connections" / cid
    job_emulator.admin("POST", "/_emulator/config", {"job_duration": 30})
    before = (d / "state.json").read_text()
    assert run(f"echo sync > {d}/run").returncode == 0
    with pytest.raises(OSError) as exc:
        (d / "state.json").write_text('{"stateType": "not_set", "connectionId": "%s"}' % cid)
    assert exc.value.errno == errno.EBUSY
    assert (d / "state.json").read_text() == before
    assert "EBUSY: HTTP 423" in (jmount / "errors").read_text().splitlines()[-1]
    run(f"echo > {d}/jobs/latest/cancel")


def test_without_config_api(tmp_path):
    emu = Emulator("--no-config-api", "--job-duration", "1")
    m = Mount(emu)
    try:
        cid = conn_named(emu, "Faker Demo")
        d = m / "connections" / cid
        assert "state.json" in os.listdir(d)
        for name in ("state.json", "catalog.json"):
            r = run(f"cat {d}/{name}")
            assert r.returncode != 0
        job = os.readlink(d / "jobs" / "latest")
        assert run(f"cat {d}/jobs/{job}/log").returncode != 0
        errors = (m / "errors").read_text()
        assert "Config API" in errors and "state.json" in errors and "/log" in errors
        # Everything else keeps working.
        assert (d / "name").read_text() == "Faker Demo\n"
        assert run(f"echo sync > {d}/run").returncode == 0
        assert run(f"cat {d}/jobs/latest/wait").stdout == "succeeded\n"
    finally:
        assert m.unmount() == 0
        emu.stop()


def test_sed_i_on_state_and_rm_changes_nothing(jmount, job_emulator):
    cid = conn_named(job_emulator, "Postgres → Snowflake")
    d = jmount / "connections" / cid
    text = (d / "state.json").read_text()
    assert '"cursor"' in text or '"stateType"' in text
    # sed -i saves through a temporary file renamed over state.json
    r = run(f"sed -i 's/\"stateType\": \"[a-z_]*\"/\"stateType\": \"not_set\"/' {d}/state.json")
    assert r.returncode == 0, r.stderr + (jmount / "errors").read_text()
    assert json.loads((d / "state.json").read_text())["stateType"] == "not_set"
    with pytest.raises(PermissionError):
        os.unlink(d / "run")
    # rm of a writable file is the first half of a replace (test_replace.py): nothing is sent, and
    # without a create the file is back after the window
    state = (d / "state.json").read_text()
    for name in ("state.json", "name", "catalog.json"):
        os.unlink(d / name)
    time.sleep(3.5)
    assert (d / "state.json").read_text() == state
    assert {"state.json", "name", "catalog.json"} <= set(os.listdir(d))


def test_wait_tells_success_by_exit_status(jmount, job_emulator):
    """`echo sync > run && cat jobs/latest/wait` is a complete run-and-check in a script: the final
    status is printed, and a failed or cancelled job makes cat fail (EIO, ECANCELED)."""
    d = jmount / "connections" / conn_named(job_emulator, "GitHub → Postgres")
    job_emulator.admin("POST", "/_emulator/config", {"job_duration": 1})
    r = run(f"echo sync > {d}/run && cat {d}/jobs/latest/wait")
    assert (r.returncode, r.stdout) == (0, "succeeded\n")
    job_emulator.admin("POST", "/_emulator/next-job", {"outcome": "failed", "attempts": 1, "duration": 1})
    r = run(f"echo sync > {d}/run && cat {d}/jobs/latest/wait")
    assert r.returncode == 1 and r.stdout == "failed\n"
    assert "Input/output error" in r.stderr
    job_emulator.admin("POST", "/_emulator/config", {"job_duration": 30})
    assert run(f"echo sync > {d}/run").returncode == 0
    job = os.readlink(d / "jobs" / "latest")
    assert run(f"echo > {d}/jobs/{job}/cancel").returncode == 0
    r = run(f"cat {d}/jobs/{job}/wait")
    assert r.returncode == 1 and r.stdout == "cancelled\n"
    assert "Operation canceled" in r.stderr


def test_state_is_kept_for_the_ttl_and_read_again_when_a_job_ends(jmount, job_emulator):
    """state.json is fetched once and kept for the TTL (stat, then cat: one request), and the end of
    a job airbytefs sees drops it: after a clear, `cat wait` then `cat state.json` shows the
    emptied state, not the kept one."""
    cid = conn_named(job_emulator, "Postgres → Snowflake")
    d = jmount / "connections" / cid
    job_emulator.reset_requests()
    os.stat(d / "state.json")
    before = json.loads((d / "state.json").read_text())
    assert before["stateType"] != "not_set"
    assert job_emulator.route_count("POST /api/v1/state/get") == 1
    assert run(f"echo clear > {d}/run").returncode == 0
    assert run(f"cat {d}/jobs/latest/wait").stdout == "succeeded\n"
    assert json.loads((d / "state.json").read_text())["stateType"] == "not_set"
