"""Job forensics through a real mount: a job's `failure` line (origin, type, retryable, message),
its `streams.tsv`, and `attempts/<n>/` with status, failure, stats.json and log, all compared with
what the emulator's Config API says; `grep -l config_error .../jobs/latest/failure` as a
one-liner; listings that name files without fetching them; ENOTSUP without a Config API."""
import json
import os
import urllib.request

import pytest

from conftest import Emulator, Mount, run

CONFIG_ERROR = {"origin": "source", "type": "config_error", "retryable": False,
                "message": "Incorrect password: check the source's credentials"}


@pytest.fixture(scope="module")
def femu():
    emu = Emulator("--connections", "12", "--job-duration", "1")
    yield emu
    emu.stop()


@pytest.fixture
def fmount(femu):
    femu.reset()
    m = Mount(femu)
    yield m
    assert m.unmount() == 0, m.log()


def conn_named(emu, name):
    return next(c for c in emu.connections().values() if c["name"] == name)["connectionId"]


def config_api(emu, path, body):
    req = urllib.request.Request(emu.base + "/api/v1" + path, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json",
                                          "Authorization": "Bearer demo-bearer-token"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


def config_requests(emu):
    return {r: n for r, n in emu.requests()["routes"].items() if r.startswith("POST /api/v1/")}


def failed_job(emu, mount, cid, attempts=2, failure=CONFIG_ERROR):
    emu.admin("POST", "/_emulator/next-job", {"outcome": "failed", "attempts": attempts, "duration": 1.2,
                                             "failure": failure})
    d = mount / "connections" / cid
    assert run(f"echo sync > {d}/run").returncode == 0
    job = os.readlink(d / "jobs" / "latest")
    r = run(f"cat {d}/jobs/{job}/wait")
    assert r.stdout == "failed\n" and r.returncode != 0
    return d / "jobs" / job


def test_failed_job_failure_line_and_grep_one_liner(fmount, femu):
    cid = conn_named(femu, "Faker Demo")
    j = failed_job(femu, fmount, cid)
    assert (j / "failure").read_text() == \
        "source\tconfig_error\tfalse\tIncorrect password: check the source's credentials\n"
    assert os.stat(j / "failure").st_size == len((j / "failure").read_bytes())
    # the one-liner of the user guide: which connections' latest job failed on configuration
    r = run(f"grep -l config_error {fmount.path}/connections/*/jobs/latest/failure")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [f"{fmount.path}/connections/{cid}/jobs/latest/failure"]
    # cut takes the fields apart
    assert run(f"cut -f2 {j}/failure").stdout == "config_error\n"
    assert run(f"cut -f3 {j}/failure").stdout == "false\n"


def test_attempts_status_failure_stats_and_log(fmount, femu):
    cid = conn_named(femu, "Faker Demo")
    j = failed_job(femu, fmount, cid, attempts=2)
    job = int(j.name)
    info = config_api(femu, "/jobs/get", {"id": job})
    assert sorted(os.listdir(j / "attempts")) == ["0", "1"]
    assert sorted(os.listdir(j / "attempts" / "0")) == ["failure", "log", "stats.json", "status"]
    for n, a in enumerate(info["attempts"]):
        a_dir = j / "attempts" / str(n)
        assert (a_dir / "status").read_text() == a["attempt"]["status"] + "\n" == "failed\n"
        assert (a_dir / "failure").read_text().split("\t")[:3] == ["source", "config_error", "false"]
        stats = json.loads((a_dir / "stats.json").read_text())
        assert stats["recordsSynced"] == a["attempt"]["recordsSynced"]
        assert stats["totalStats"] == a["attempt"]["totalStats"]
        assert stats["streamStats"] == a["attempt"]["streamStats"]
    femu.reset_requests()
    log0 = (j / "attempts" / "0" / "log").read_text()
    # the job's JobInfoRead, read for the files above, holds every attempt's log: no request more
    assert config_requests(femu) == {}
    one = config_api(femu, "/attempt/get_for_job", {"jobId": job, "attemptNumber": 0})
    if "events" in one["logs"]:
        expected = ["[%d] %s: %s" % (e["timestamp"], e["level"], e["message"]) for e in one["logs"]["events"]]
    else:
        expected = one["logs"]["logLines"]
    assert log0.splitlines() == expected
    assert "Attempt 0 failed" in log0
    # the job's log holds every attempt, each under its header; the attempt's log is its part
    whole = (j / "log").read_text()
    assert "==== attempt 1 ====" in whole and log0 in whole
    # a final job's attempt log is kept for good
    femu.reset_requests()
    assert (j / "attempts" / "0" / "log").read_text() == log0
    assert config_requests(femu) == {}
    assert run(f"cat {j}/attempts/7/status").returncode != 0
    assert not (j / "attempts" / "7").exists()


def test_succeeded_job_has_no_failure_and_streams_tsv(fmount, femu):
    cid = conn_named(femu, "Postgres → Snowflake")
    d = fmount / "connections" / cid
    assert run(f"echo sync > {d}/run").returncode == 0
    assert run(f"cat {d}/jobs/latest/wait").stdout == "succeeded\n"
    j = d / "jobs" / os.readlink(d / "jobs" / "latest")
    assert (j / "failure").read_text() == ""
    assert (j / "attempts" / "0" / "failure").read_text() == ""
    info = config_api(femu, "/jobs/get", {"id": int(j.name)})
    rows = [line.split("\t") for line in (j / "streams.tsv").read_text().splitlines()]
    expected = [[s["streamName"], str(s["recordsCommitted"]), str(s["bytesCommitted"])]
                for s in info["job"]["streamAggregatedStats"]]
    assert rows == expected and len(rows) == 4
    assert sum(int(r[1]) for r in rows) == info["job"]["aggregatedStats"]["recordsCommitted"] > 0
    assert run(f"sort -t '\t' -k2 -n {j}/streams.tsv").returncode == 0


def test_cancelled_job_failure_is_manual_cancellation(fmount, femu):
    cid = conn_named(femu, "GitHub → Postgres")
    d = fmount / "connections" / cid
    femu.admin("POST", "/_emulator/next-job", {"duration": 5})
    assert run(f"echo sync > {d}/run").returncode == 0
    j = d / "jobs" / os.readlink(d / "jobs" / "latest")
    import time
    time.sleep(0.6)
    assert run(f"echo > {j}/cancel").returncode == 0
    assert run(f"cat {j}/wait").stdout == "cancelled\n"
    assert (j / "failure").read_text().split("\t")[:3] == ["airbyte_platform", "manual_cancellation", "false"]


def test_listing_fetches_no_content(fmount, femu):
    cid = conn_named(femu, "Postgres → Snowflake")
    jobs = fmount / "connections" / cid / "jobs"
    job = os.readlink(jobs / "latest")
    femu.reset_requests()
    names = os.listdir(jobs / job)
    assert {"failure", "streams.tsv", "log"} <= set(names)
    # attempts/ is reached by its name only, like wait: a walker never reads every job's attempts
    assert "wait" not in names and "attempts" not in names
    assert config_requests(femu) == {}
    r = run(f"find {jobs}")
    assert r.returncode == 0 and f"{jobs / job}/failure" in r.stdout.splitlines()
    assert not [p for p in r.stdout.splitlines() if "/attempts" in p]
    assert config_requests(femu) == {}
    # named, it lists the attempts (one JobInfoRead, kept for a final job) and reads no file
    r = run(f"find {jobs / job}/attempts")
    assert r.returncode == 0 and f"{jobs / job}/attempts/0/log" in r.stdout.splitlines()
    assert config_requests(femu) == {"POST /api/v1/jobs/get": 1}


def test_without_config_api_forensics_are_enotsup():
    emu = Emulator("--no-config-api", "--job-duration", "1")
    m = Mount(emu)
    try:
        cid = conn_named(emu, "Faker Demo")
        j = m / "connections" / cid / "jobs" / os.readlink(m / "connections" / cid / "jobs" / "latest")
        for f in ("failure", "streams.tsv"):
            r = run(f"cat {j}/{f}")
            assert r.returncode != 0 and "Operation not supported" in r.stderr
        r = run(f"ls {j}/attempts")
        assert r.returncode != 0 and "Operation not supported" in r.stderr
        errors = (m / "errors").read_text()
        assert "Config API" in errors and "/failure" in errors
        assert (j / "status").read_text().strip() in ("succeeded", "failed", "cancelled")
    finally:
        status = m.unmount()
        emu.stop()
        assert status == 0


def test_timeline_newest_first_with_who_and_what(fmount, femu):
    cid = conn_named(femu, "Faker Demo")
    d = fmount / "connections" / cid
    assert {"timeline", "timeline.json"} <= set(os.listdir(d))
    assert run(f"bash -c 'echo \"Faker Renamed\" > {d}/name'").returncode == 0
    femu.admin("PATCH", f"/_emulator/connections/{cid}", {"prefix": "ui_"})  # someone in the web UI
    assert run(f"echo sync > {d}/run").returncode == 0
    assert run(f"cat {d}/jobs/latest/wait").stdout == "succeeded\n"
    job = os.readlink(d / "jobs" / "latest")
    femu.reset_requests()
    lines = [line.split("\t") for line in (d / "timeline").read_text().splitlines()]
    assert config_requests(femu) == {"POST /api/v1/connections/events/list": 1}
    body = json.loads(next(r["body"] for r in femu.requests()["log"] if r["path"].endswith("/events/list")))
    assert body == {"connectionId": cid, "pagination": {"pageSize": 100, "rowOffset": 0}}  # bounded
    assert all(len(f) == 4 for f in lines)
    times = [f[0] for f in lines]
    assert times == sorted(times, reverse=True) and all(t.endswith("Z") for t in times)
    assert lines[0][1:3] == ["SYNC_SUCCEEDED", "-"] and lines[0][3].startswith(f"job {job} sync: ")
    assert lines[1] [1:] == ["SYNC_STARTED", "demo@example.com", f"job {job} sync"]
    assert lines[2][1:] == ["CONNECTION_SETTINGS_UPDATE", "alice@example.com", 'prefix: "faker_" -> "ui_"']
    assert lines[3][1:] == ["CONNECTION_SETTINGS_UPDATE", "demo@example.com", 'name: "Faker Demo" -> "Faker Renamed"']
    events = json.loads((d / "timeline.json").read_text())
    assert [e["eventType"] for e in events][:4] == [f[1] for f in lines][:4]
    assert len(events) == len(lines)
    assert os.stat(d / "timeline").st_size == len((d / "timeline").read_bytes())
    # one answer serves both files, stat included, for a second
    assert config_requests(femu) == {"POST /api/v1/connections/events/list": 1}
    r = run(f"grep -c SYNC_FAILED {d}/timeline")
    assert r.returncode == 0 and int(r.stdout) >= 1


def test_timeline_without_config_api_is_enotsup():
    emu = Emulator("--no-config-api")
    m = Mount(emu)
    try:
        d = m / "connections" / conn_named(emu, "Faker Demo")
        for f in ("timeline", "timeline.json"):
            r = run(f"cat {d}/{f}")
            assert r.returncode != 0 and "Operation not supported" in r.stderr
        assert "the timeline needs the Config API" in (m / "errors").read_text()
    finally:
        status = m.unmount()
        emu.stop()
        assert status == 0
