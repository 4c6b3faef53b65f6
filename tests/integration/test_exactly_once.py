"""Exactly once, through a real mount: a request whose answer is lost after the server acted must
not be sent again behind the user's back, and what the user is told must match what the server
did. The emulator's `reset_after` fault performs the request and closes the TCP connection without
a byte of the answer; on a reused keep-alive connection that looks like a stale connection, which
libcurl answers by sending the request again (Curl_retry_request), POST and DELETE included. Each
test reads through the mount first so that curl holds idle connections to reuse; the fault hits
the request whichever connection it comes on (a client may send it on a fresh one).

Each test asserts what the user sees (exit status, errno) and the server's state afterwards
(jobs, deletions, values, and how many times each request reached it)."""
import errno
import os
import threading
import time

import pytest

from conftest import Emulator, Mount, run
from test_soak import ApiClient

JOBS = "POST /api/public/v1/jobs"
CANCEL = "DELETE /api/public/v1/jobs/{jobId}"
DELETE_CONN = "DELETE /api/public/v1/connections/{connectionId}"
PATCH = "PATCH /api/public/v1/connections/{connectionId}"
TIMEOUT = 10


@pytest.fixture(scope="module")
def emu():
    e = Emulator("--job-duration", "6")
    yield e
    e.stop()


def make_mount(emu, *options):
    emu.reset()
    return Mount(emu, options=["cache_ttl=1", f"timeout={TIMEOUT}", *options])


@pytest.fixture
def mnt(emu):
    m = make_mount(emu)
    yield m
    emu.admin("DELETE", "/_emulator/faults")
    status = m.unmount()
    assert status == 0, "daemon exit status %r; log:\n%s" % (status, m.log())


def conn_named(emu, name):
    return next(c for c, v in emu.connections().items() if v["name"] == name)


def fault(emu, **rule):
    return emu.admin("POST", "/_emulator/faults", {"method": "*", **rule})


def fired(emu, rule):
    return next(r["fired"] for r in emu.admin("GET", "/_emulator/faults")["faults"] if r["id"] == rule["id"])


def per_connection(emu, cid):
    return emu.requests()["connections"].get(cid, {})


def jobs_of(emu, cid):
    return sorted((j for j in emu.state()["jobs"].values() if j["connectionId"] == cid), key=lambda j: j["jobId"])


def trace(emu, method, cid):
    """What reached the server: (status, fault, "reused"/"fresh" TCP connection) per request."""
    return [(e["status"], e["fault"], "reused" if e.get("reused") else "fresh") for e in emu.requests()["log"]
            if e["method"] == method and e.get("connectionId") == cid]


def last_error(m):
    lines = (m / "errors").read_text().splitlines()
    return lines[-1] if lines else "(errors is empty)"


def warm(m, cid):
    """Reads through the mount, so that curl holds idle keep-alive connections to reuse."""
    d = m / "connections" / cid
    assert (d / "name").read_text()
    os.listdir(d / "jobs")
    assert (d / "name").read_text()


def test_run_whose_answer_is_lost_on_a_reused_connection_starts_one_job(mnt, emu):
    cid = conn_named(emu, "Faker Demo")
    warm(mnt, cid)
    before = jobs_of(emu, cid)
    emu.reset_requests()
    rule = fault(emu, method="POST", path="^/api/public/v1/jobs$", kind="reset_after", count=1)
    r = run(f"/bin/echo sync > {mnt.path}/connections/{cid}/run")
    assert fired(emu, rule) == 1, "the POST never reached the server"
    new = jobs_of(emu, cid)[len(before):]
    posts = per_connection(emu, cid).get(JOBS, 0)
    problems = []
    if len(new) != 1:
        problems.append(f"{len(new)} jobs started for one run")
    if posts != 1:
        problems.append(f"POST /jobs was sent {posts} times: {trace(emu, 'POST', cid)}")
    if r.returncode != 0:
        problems.append(f"run failed (exit {r.returncode}: {r.stderr.strip()}) though the server started "
                        f"job {new[0]['jobId'] if new else '-'}; errors: {last_error(mnt)}")
    assert not problems, "; ".join(problems)
    assert os.readlink(mnt / "connections" / cid / "jobs" / "latest") == str(new[0]["jobId"])


def test_rmdir_whose_answer_is_lost_deletes_once_and_succeeds(emu):
    m = make_mount(emu, "allow_delete")
    try:
        cid = conn_named(emu, "Faker Demo")
        warm(m, cid)
        emu.reset_requests()
        rule = fault(emu, method="DELETE", path="^/api/public/v1/connections/", kind="reset_after",
                     count=1)
        r = run(f"rmdir {m.path}/connections/{cid}")
        assert fired(emu, rule) == 1, "the DELETE never reached the server"
        assert emu.state()["connections"][cid]["status"] == "deprecated"
        deletes = per_connection(emu, cid).get(DELETE_CONN, 0)
        problems = []
        if deletes != 1:
            problems.append(f"DELETE /connections/{cid} was sent {deletes} times: {trace(emu, 'DELETE', cid)}")
        if r.returncode != 0:
            problems.append(f"rmdir failed (exit {r.returncode}: {r.stderr.strip()}) though the connection "
                            f"was deleted; errors: {last_error(m)}")
        assert not problems, "; ".join(problems)
    finally:
        emu.admin("DELETE", "/_emulator/faults")
        assert m.unmount() == 0, m.log()


def test_cancel_whose_answer_is_lost_cancels_once_and_succeeds(mnt, emu):
    cid = conn_named(emu, "Faker Demo")
    job = ApiClient(emu).start(cid)["jobId"]   # the job exists before the mount looks
    d = mnt / "connections" / cid
    warm(mnt, cid)
    assert (d / "jobs" / str(job) / "status").read_text() in ("pending\n", "running\n")
    emu.reset_requests()
    rule = fault(emu, method="DELETE", path="^/api/public/v1/jobs/", kind="reset_after", count=1)
    r = run(f"/bin/echo 1 > {d}/jobs/{job}/cancel")
    assert fired(emu, rule) == 1, "the DELETE never reached the server"
    time.sleep(0.1)
    assert emu.state()["jobs"][str(job)]["status"] == "cancelled"
    cancels = per_connection(emu, cid).get(CANCEL, 0)
    problems = []
    if cancels != 1:
        problems.append(f"DELETE /jobs/{job} was sent {cancels} times: {trace(emu, 'DELETE', cid)}")
    if r.returncode != 0:
        problems.append(f"cancel failed (exit {r.returncode}: {r.stderr.strip()}) though the job was cancelled; "
                        f"errors: {last_error(mnt)}")
    assert not problems, "; ".join(problems)


@pytest.mark.parametrize("retry", [
    {"status": 409, "count": 1},
    {"status": 429},                    # every retry is refused until the write's deadline
])
def test_patch_applied_then_retry_refused_reports_success(mnt, emu, retry):
    """The first PATCH is applied but its answer is lost; the next one (curl's silent resend, or
    airbytefs' own retry) is refused. The new value is on the server: close must say so."""
    cid = conn_named(emu, "Faker Demo")
    warm(mnt, cid)
    lost = fault(emu, method="PATCH", path="^/api/public/v1/connections/", kind="reset_after",
                 count=1)
    fault(emu, method="PATCH", path="^/api/public/v1/connections/", armed_by=lost["id"], **retry)
    value = f"Applied before a {retry['status']}"
    r = run(f"/bin/echo '{value}' > {mnt.path}/connections/{cid}/name")
    assert fired(emu, lost) == 1, "the PATCH never reached the server"
    assert emu.state()["connections"][cid]["name"] == value
    assert r.returncode == 0, f"close reported failure though the server has the new value: {r.stderr.strip()}; " \
                              f"errors: {last_error(mnt)}; PATCHes: {trace(emu, 'PATCH', cid)}"


def test_patch_applied_then_refused_and_check_fails_once_reports_success(mnt, emu):
    """As above, and the first GET that checks the outcome fails (HTTP 500): one failed look is
    not a failed write; the value is on the server."""
    cid = conn_named(emu, "Faker Demo")
    warm(mnt, cid)
    lost = fault(emu, method="PATCH", path="^/api/public/v1/connections/", kind="reset_after",
                 count=1)
    refused = fault(emu, method="PATCH", path="^/api/public/v1/connections/", status=409, count=1,
                    armed_by=lost["id"])
    fault(emu, method="GET", path=f"^/api/public/v1/connections/{cid}$", status=500, count=1,
          armed_by=refused["id"])
    r = run(f"/bin/echo 'Applied, check failed once' > {mnt.path}/connections/{cid}/name")
    assert fired(emu, lost) == 1, "the PATCH never reached the server"
    assert emu.state()["connections"][cid]["name"] == "Applied, check failed once"
    assert r.returncode == 0, f"close reported failure though the server has the new value: {r.stderr.strip()}; " \
                              f"errors: {last_error(mnt)}; PATCHes: {trace(emu, 'PATCH', cid)}"


def test_run_refused_with_a_cut_409_never_claims_another_clients_job(mnt, emu):
    """Another client starts a sync between airbytefs' look at the newest job and its POST /jobs;
    the server refuses airbytefs' sync (409: one is running) and the answer's body is cut. The
    newer job is not airbytefs': the run must fail (EBUSY, or an errno saying the outcome is
    unknown), never return 0."""
    cid = conn_named(emu, "Faker Demo")
    warm(mnt, cid)
    before = jobs_of(emu, cid)
    # Hold airbytefs' "newest job before" look (GET /jobs?connectionId=...) long enough for the
    # other client to start its sync after it.
    stall = fault(emu, method="GET", path="^/api/public/v1/jobs$", kind="stall", when="after", delay_ms=1500,
                  count=1)
    outcome = {}

    def write():
        try:
            with open(mnt / "connections" / cid / "run", "w") as f:
                f.write("sync\n")
            outcome["errno"] = 0
        except OSError as e:
            outcome["errno"] = e.errno

    t = threading.Thread(target=write)
    t.start()
    deadline = time.time() + 5
    while fired(emu, stall) == 0 and time.time() < deadline:
        time.sleep(0.02)
    assert fired(emu, stall) == 1, "airbytefs never looked at the newest job"
    other = ApiClient(emu).start(cid)["jobId"]                         # another client's sync
    cut = fault(emu, method="POST", path="^/api/public/v1/jobs$", kind="cut", cut_at=20, count=1)
    t.join(TIMEOUT * 3)
    assert not t.is_alive(), "the run hung"
    assert fired(emu, cut) == 1
    new = jobs_of(emu, cid)[len(before):]
    assert [j["jobId"] for j in new] == [other], "only the other client's job was started"
    unknown = (errno.EBUSY, errno.EIO, errno.ETIMEDOUT, errno.EAGAIN, errno.ENOTCONN, errno.EPROTO, errno.EREMOTEIO)
    assert outcome.get("errno") != 0, f"the run returned 0, claiming job {other} of another client; " \
                                      f"log: {mnt.log()[-400:]}"
    assert outcome["errno"] in unknown, os.strerror(outcome["errno"])
