"""Health through a real mount: a failing sync shows in connections/<id>/health, health.json,
user.airbyte.health, status/failed/, status/summary and jobs/failed/ within one TTL; a running one
in jobs/running/ and jobs/running.log (which `tail -f` follows, each line prefixed with the
connection's name, and which a plain read reads to its end at once); `ls status/failed` over
1,000 connections costs a fixed number of requests; without the Config API the public job listing
answers instead; the root jobs/ links resolve into each connection's jobs/."""
import json
import os
import select
import subprocess
import time

import pytest

from conftest import Emulator, Mount, run

LIST = "GET /api/public/v1/connections"
STATUS = "POST /api/v1/connections/status"
JOBS = "GET /api/public/v1/jobs"
TTL = 1


@pytest.fixture(scope="module")
def hemu():
    emu = Emulator("--job-duration", "2")
    yield emu
    emu.stop()


@pytest.fixture
def hmount(hemu):
    hemu.reset()
    m = Mount(hemu, [f"cache_ttl={TTL}"])
    yield m
    assert m.unmount() == 0, m.log()


def conn_named(emu, name):
    return next(c for c in emu.connections().values() if c["name"] == name)["connectionId"]


def wait_for(predicate, timeout=10.0, step=0.1):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return predicate()


def all_jobs(emu):
    return list(emu.state()["jobs"].values())


def job_status(emu, job_id):
    return emu.state()["jobs"][str(job_id)]["status"]


def test_a_failing_sync_shows_everywhere_within_one_ttl(hmount, hemu):
    cid = conn_named(hemu, "Faker Demo")
    d = hmount / "connections" / cid
    assert (d / "health").read_text() in ("healthy\n", "failed\n", "not_synced\n")
    hemu.admin("POST", "/_emulator/next-job", {"outcome": "failed", "duration": 3})
    assert run(f"echo sync > {d}/run").returncode == 0
    job = os.readlink(d / "jobs" / "latest")
    # running: health, the active job in health.json and jobs/running/
    assert wait_for(lambda: (d / "health").read_text() == "running\n", TTL + 2)
    health = json.loads((d / "health.json").read_text())
    assert health["active_job"]["id"] == int(job) and health["active_job"]["type"] == "sync"
    assert os.path.realpath(hmount / "jobs" / "running" / job) == str(d / "jobs" / job)
    assert job in os.listdir(hmount / "jobs" / "running")
    # the job fails; within one TTL every view says so
    assert wait_for(lambda: job_status(hemu, int(job)) == "failed", 6)
    failed_at = time.time()
    assert wait_for(lambda: (d / "health").read_text() == "failed\n", TTL + 1.5)
    assert time.time() - failed_at <= TTL + 1.5
    health = json.loads((d / "health.json").read_text())
    assert health["health"] == "failed" and health["sync_status"] == "incomplete"
    assert health["active_job"] is None and health["from"] == "config_api"
    assert health["last_job"] == {"id": int(job), "status": "failed"}
    assert health["failure"]["origin"] == "source" and health["failure"]["retryable"] is True
    assert "Something went wrong" in health["failure"]["message"]
    assert os.getxattr(d, "user.airbyte.health") == b"failed"
    assert os.listxattr(d) == ["user.airbyte.id", "user.airbyte.url", "user.airbyte.health"]
    link = hmount / "status" / "failed" / "Faker Demo"
    assert os.readlink(link) == f"../../connections/{cid}" and (link / "name").read_text() == "Faker Demo\n"
    assert "Faker Demo" not in os.listdir(hmount / "status" / "running")
    assert not os.path.lexists(hmount / "status" / "healthy" / "Faker Demo")
    summary = dict(line.split(" ", 1) for line in (hmount / "status" / "summary").read_text().splitlines())
    assert int(summary["failed"]) == len(os.listdir(hmount / "status" / "failed"))
    assert sum(int(summary[w]) for w in os.listdir(hmount / "status") if w != "summary") == len(hemu.connections())
    assert summary["from"] == "config_api" and summary["computed_at"].endswith("Z")
    assert os.path.realpath(hmount / "jobs" / "failed" / job) == str(d / "jobs" / job)
    assert (hmount / "jobs" / "failed" / job / "status").read_text() == "failed\n"
    # a success afterwards: healthy, last_success set, gone from status/failed
    assert run(f"echo sync > {d}/run").returncode == 0
    assert wait_for(lambda: (d / "health").read_text() == "healthy\n", 8)
    assert (d / "last_success").read_text().strip().endswith("Z")
    assert not os.path.lexists(link) and "Faker Demo" in os.listdir(hmount / "status" / "healthy")


def test_locked_and_paused_with_their_reason(hmount, hemu):
    locked = conn_named(hemu, "Locked Billing Sync")
    paused = conn_named(hemu, "Postgres CDC → BigQuery")
    assert (hmount / "connections" / locked / "health").read_text() == "locked\n"
    reason = (hmount / "connections" / locked / "status_reason").read_text()
    assert reason.strip() and reason == hemu.connections()[locked]["statusReason"] + "\n"
    assert json.loads((hmount / "connections" / locked / "health.json").read_text())["status_reason"] == reason.strip()
    assert (hmount / "connections" / paused / "health").read_text() == "paused\n"
    assert (hmount / "connections" / paused / "status_reason").read_text() == "\n"
    assert os.readlink(hmount / "status" / "locked" / "Locked Billing Sync") == f"../../connections/{locked}"


def test_root_jobs_are_links_into_each_connections_jobs(hmount, hemu):
    cid = conn_named(hemu, "GitHub → Postgres")
    assert run(f"echo sync > {hmount.path}/connections/{cid}/run").returncode == 0
    time.sleep(1.1)  # the root listing's TTL (like a connection's jobs/)
    names = os.listdir(hmount / "jobs")
    assert {"running", "failed", "running.log"} <= set(names)
    ids = [n for n in names if n.isdigit()]
    known = {str(j["jobId"]) for j in all_jobs(hemu) if j["connectionId"] in hemu.connections()}
    assert len(ids) == 25 and set(ids) <= known  # the -o jobs bound, like a connection's jobs/
    assert ids[0] == os.readlink(hmount / "connections" / cid / "jobs" / "latest")  # newest first
    expected = all_jobs(hemu)
    hemu.reset_requests()
    for i in ids[:5]:
        link = hmount / "jobs" / i
        job = next(j for j in expected if j["jobId"] == int(i))
        assert os.readlink(link) == f"../connections/{job['connectionId']}/jobs/{i}"
        assert (link / "status").read_text().strip() in ("pending", "running", job["status"])
    # the listing's jobs were kept: following the links read no job alone
    assert hemu.requests()["routes"].get("GET /api/public/v1/jobs/{jobId}", 0) == 0


def test_tail_follows_running_log_with_names(hmount, hemu):
    cid = conn_named(hemu, "Faker Demo")
    hemu.admin("POST", "/_emulator/config", {"job_duration": 6})
    assert run(f"echo sync > {hmount.path}/connections/{cid}/run").returncode == 0
    log = hmount / "jobs" / "running.log"
    started = time.time()
    first = run(f"cat {log}", timeout=10)  # a plain read: what is there now, then EOF
    assert first.returncode == 0 and time.time() - started < 5
    tail = subprocess.Popen(["tail", "-n", "+1", "-s", "0.3", "-f", str(log)], stdout=subprocess.PIPE, text=True)
    lines = []
    deadline = time.time() + 7
    while time.time() < deadline:
        r, _, _ = select.select([tail.stdout], [], [], 0.5)
        if r:
            lines.append(tail.stdout.readline())
    tail.kill()
    tail.wait()
    ours = [l for l in lines if l.startswith("Faker Demo: ")]
    assert len(ours) > 5, lines[:20]
    assert any("Records read" in l for l in ours)
    job = os.readlink(hmount / "connections" / cid / "jobs" / "latest")
    full = (hmount / "connections" / cid / "jobs" / job / "log").read_text().splitlines()
    assert [l[len("Faker Demo: "):].rstrip("\n") for l in ours[:3]] == full[:3]
    # a walker reads it (and everything else under jobs/ and status/) without blocking
    started = time.time()
    walk = run(f"grep -r -s -c Records {hmount.path}/jobs/running.log {hmount.path}/status", timeout=30)
    assert walk.returncode in (0, 1) and time.time() - started < 20


def test_status_failed_on_1000_connections_costs_a_fixed_number_of_requests():
    emu = Emulator("--connections", "1000")
    m = Mount(emu, ["cache_ttl=60", "list_parallel=1"])  # page by page: an exact count
    try:
        emu.reset_requests()
        listed = run(f"ls {m.path}/status/failed")
        assert listed.returncode == 0
        routes = emu.requests()["routes"]
        # one listing walk (10 full pages of 100 and the empty 11th that ends it) and one status
        # call per 100 connections: 21 requests, whatever the health of each connection
        assert routes.get(LIST) == 11 and routes.get(STATUS) == 10, routes
        assert sum(routes.values()) == 21, routes
        statuses = []
        ids = list(emu.connections())
        for i in range(0, len(ids), 100):
            statuses += emu_status(emu, ids[i:i + 100])
        failing = {s["connectionId"] for s in statuses if s["connectionSyncStatus"] in ("failed", "incomplete")}
        assert len(listed.stdout.splitlines()) == len(failing) > 100
        # everything else of the report within the TTL: no request at all
        emu.reset_requests()
        run(f"ls {m.path}/status/healthy {m.path}/status/paused; cat {m.path}/status/summary {m.path}/connections/{ids[5]}/health")
        assert emu.requests()["total"] == 0
    finally:
        assert m.unmount() == 0, m.log()
        emu.stop()


def emu_status(emu, ids):
    import urllib.request
    req = urllib.request.Request(emu.base + "/api/v1/connections/status", method="POST",
                                 data=json.dumps({"connectionIds": ids}).encode(),
                                 headers={"Content-Type": "application/json",
                                          "Authorization": "Bearer demo-bearer-token"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())


def test_without_config_api_the_job_listing_answers():
    emu = Emulator("--no-config-api", "--job-duration", "1")
    m = Mount(emu, [f"cache_ttl={TTL}"])
    try:
        cid = conn_named(emu, "Faker Demo")
        emu.admin("POST", "/_emulator/next-job", {"outcome": "failed", "duration": 1})
        assert run(f"echo sync > {m.path}/connections/{cid}/run").returncode == 0
        job = int(os.readlink(m / "connections" / cid / "jobs" / "latest"))
        assert wait_for(lambda: job_status(emu, job) == "failed", 5)
        emu.reset_requests()
        assert wait_for(lambda: (m / "connections" / cid / "health").read_text() == "failed\n", TTL + 2)
        health = json.loads((m / "connections" / cid / "health.json").read_text())
        assert health["from"] == "jobs" and health["last_job"] == {"id": job, "status": "failed"}
        assert health["failure"] is None
        assert "Faker Demo" in os.listdir(m / "status" / "failed")
        assert "from jobs" in (m / "status" / "summary").read_text()
        locked = conn_named(emu, "Locked Billing Sync")
        assert (m / "connections" / locked / "health").read_text() == "locked\n"
        routes = emu.requests()["routes"]
        assert routes.get(JOBS, 0) >= 1
        # the Config API is asked once, not at every report
        emu.reset_requests()
        time.sleep(TTL + 0.2)
        (m / "status" / "summary").read_text()
        routes = emu.requests()["routes"]
        assert routes.get(STATUS, 0) == 0 and routes.get(JOBS, 0) >= 1, routes
    finally:
        assert m.unmount() == 0, m.log()
        emu.stop()


def test_run_and_cancel_show_in_health_at_once(hemu):
    """With the report trusted 30 s (the default), `echo sync > run` makes health say running at
    the next read, and `echo > jobs/<id>/cancel` makes it stop saying so: a start or cancel here drops the
    report instead of waiting out the TTL."""
    hemu.reset()
    m = Mount(hemu, [])
    try:
        cid = conn_named(hemu, "Faker Demo")
        d = m / "connections" / cid
        before = (d / "health").read_text()
        assert before != "running\n", before
        assert "Faker Demo" not in os.listdir(m / "status" / "running")
        hemu.admin("POST", "/_emulator/next-job", {"outcome": "succeeded", "duration": 20})
        r = run(f"bash -c 'echo sync > {d}/run'")
        assert r.returncode == 0, r
        assert (d / "health").read_text() == "running\n"
        assert json.loads((d / "health.json").read_text())["active_job"]["type"] == "sync"
        assert "Faker Demo" in os.listdir(m / "status" / "running")
        job = os.readlink(d / "jobs" / "latest")
        r = run(f"bash -c 'echo > {d}/jobs/{job}/cancel'")
        assert r.returncode == 0, r
        assert wait_for(lambda: job_status(hemu, int(job)) == "cancelled", 5)
        assert (d / "health").read_text() != "running\n"
    finally:
        assert m.unmount() == 0, m.log()
