"""Faults from the API through a real mount: bounded retries of idempotent requests (429, 5xx,
broken bodies), never a blind retry of POST /jobs, a token refetched after it expired, reads
served from the last listing while the API is down (and said so in `errors`), writes that fail
cleanly and change nothing, and the daemon staying mounted throughout. Secrets from files."""
import errno
import json
import os
import subprocess
import time

import pytest

from conftest import WORKSPACE, Emulator, Mount, airbytefs_binary, run

LIST = "GET /api/public/v1/connections"


def fault(emu, **rule):
    emu.admin("POST", "/_emulator/faults", {"method": "*", **rule})


@pytest.fixture
def faulty(emulator):
    emulator.reset()
    m = Mount(emulator, options=["cache_ttl=1", "timeout=4"])
    yield m
    emulator.admin("DELETE", "/_emulator/faults")
    assert m.unmount() == 0, m.log()
    emulator.reset()


@pytest.mark.parametrize("rule", [
    {"path": "/api/public/v1/connections$", "status": 429, "count": 2},
    {"path": "/api/public/v1/connections$", "status": 503, "count": 2},
    {"path": "/api/public/v1/connections$", "status": 502, "count": 1},
    {"path": "/api/public/v1/connections$", "kind": "reset", "count": 1},
    {"path": "/api/public/v1/connections$", "kind": "truncate", "count": 1},
    {"path": "/api/public/v1/connections$", "status": 429, "count": 1, "retry_after": 1},
])
def test_idempotent_reads_are_retried(faulty, emulator, rule):
    fault(emulator, **rule)
    emulator.reset_requests()
    assert sorted(os.listdir(faulty / "connections")) == sorted(emulator.connections())
    assert emulator.requests()["routes"][LIST] == rule["count"] + 1


def test_malformed_answer_is_eio_then_recovers(faulty, emulator):
    fault(emulator, path="/api/public/v1/connections$", kind="malformed", count=1)
    with pytest.raises(OSError) as exc:
        os.listdir(faulty / "connections")
    assert exc.value.errno == errno.EIO
    assert "not valid JSON" in (faulty / "errors").read_text()
    assert sorted(os.listdir(faulty / "connections")) == sorted(emulator.connections())


def test_wrong_types_are_an_error_not_a_crash(faulty, emulator):
    fault(emulator, path="/api/public/v1/connections$", kind="wrongtype", count=1)
    with pytest.raises(OSError):
        os.listdir(faulty / "connections")
    assert os.listdir(faulty / "connections")


def test_post_jobs_is_never_retried(faulty, emulator):
    cid = next(c for c, v in emulator.connections().items() if v["name"] == "Faker Demo")
    before = len(emulator.state()["jobs"])
    fault(emulator, method="POST", path="/api/public/v1/jobs$", status=503, count=1)
    emulator.reset_requests()
    with pytest.raises(OSError) as exc:
        with open(faulty / "connections" / cid / "run", "w") as f:
            f.write("sync\n")
    assert exc.value.errno == errno.EIO
    assert emulator.requests()["routes"].get("POST /api/public/v1/jobs") == 1
    assert len(emulator.state()["jobs"]) == before
    assert "HTTP 503" in (faulty / "errors").read_text().splitlines()[-1]


def test_expired_token_is_fetched_again(faulty, emulator):
    os.listdir(faulty / "connections")
    emulator.admin("POST", "/_emulator/tokens/expire")
    time.sleep(1.1)
    emulator.reset_requests()
    assert os.listdir(faulty / "connections")
    routes = emulator.requests()["routes"]
    assert routes["POST /api/public/v1/applications/token"] == 1
    assert routes[LIST] == 2  # the 401, then the retry with the new token


def test_api_down_reads_serve_last_values_writes_fail(faulty, emulator):
    cid = next(c for c, v in emulator.connections().items() if v["name"] == "Faker Demo")
    d = faulty / "connections" / cid
    assert (d / "name").read_text() == "Faker Demo\n"
    fault(emulator, path=".*", status=503)
    time.sleep(1.2)
    t0 = time.time()
    assert (d / "name").read_text() == "Faker Demo\n"  # the last known value
    assert time.time() - t0 < 4 + 2  # bounded by -o timeout
    errors = (faulty / "errors").read_text()
    assert ("serving the listing of" in errors or "serving the value read before" in errors) and "503" in errors
    before = emulator.state()["connections"][cid]
    with pytest.raises(OSError) as exc:
        with open(d / "name", "w") as f:
            f.write("Changed while down\n")
    assert exc.value.errno in (errno.EIO, errno.EAGAIN)
    emulator.admin("DELETE", "/_emulator/faults")
    assert emulator.state()["connections"][cid] == before
    assert faulty.proc.poll() is None and os.path.ismount(faulty.path)
    time.sleep(1.2)
    assert run(f"echo 'Back up' > {d}/name").returncode == 0
    assert emulator.state()["connections"][cid]["name"] == "Back up"


def test_slow_api_is_bounded_by_timeout(emulator):
    emulator.reset()
    m = Mount(emulator, options=["timeout=2"])
    try:
        fault(emulator, path="/api/public/v1/connections$", status=200, delay_ms=5000)
        t0 = time.time()
        with pytest.raises(OSError) as exc:
            os.listdir(m / "connections")
        assert exc.value.errno == errno.ETIMEDOUT
        assert time.time() - t0 < 2 + 2
        emulator.admin("DELETE", "/_emulator/faults")
        assert os.listdir(m / "connections")
    finally:
        emulator.admin("DELETE", "/_emulator/faults")
        assert m.unmount() == 0


def test_ctrl_c_interrupts_a_slow_request(emulator):
    emulator.reset()
    m = Mount(emulator, options=["timeout=30"])
    try:
        fault(emulator, path="/api/public/v1/connections$", status=200, delay_ms=20000, count=1)
        p = subprocess.Popen(["ls", str(m / "connections")], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(0.8)
        t0 = time.time()
        p.send_signal(2)
        p.wait(5)
        assert time.time() - t0 < 3
        emulator.admin("DELETE", "/_emulator/faults")
        assert os.listdir(m / "connections")  # the daemon is fine
    finally:
        emulator.admin("DELETE", "/_emulator/faults")
        assert m.unmount() == 0


def test_secret_files_and_insecure_warning(emulator, tmp_path):
    emulator.reset()
    secret = tmp_path / "secret"
    secret.write_text("demo-client-secret\n")
    secret.chmod(0o600)
    m = Mount(emulator, options=[f"client_secret_file={secret}", "insecure"],
              env={"AIRBYTE_CLOUD_CLIENT_SECRET": ""})
    try:
        assert os.listdir(m / "connections")
        assert "TLS verification is OFF" in m.log()
    finally:
        assert m.unmount() == 0
    secret.chmod(0o644)
    target = tmp_path / "mnt"
    target.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRBYTE_")}
    env["AIRBYTE_CLOUD_CLIENT_ID"] = "demo-client-id"
    r = subprocess.run([airbytefs_binary(), "-o", f"api_url={emulator.api_url},workspace={WORKSPACE},"
                        f"client_secret_file={secret}", str(target)], capture_output=True, text=True, env=env)
    assert r.returncode != 0 and "chmod 600" in r.stderr
    assert "demo-client-secret" not in r.stderr
    assert not os.path.ismount(target)


def test_lost_patch_answer_is_checked_not_misreported(faulty, emulator):
    """The server applies the PATCH but every answer is cut: close must report success (the change
    happened), found by reading the connection again."""
    cid = next(c for c, v in emulator.connections().items() if v["name"] == "Faker Demo")
    d = faulty / "connections" / cid
    os.listdir(d)
    fault(emulator, method="PATCH", path="/api/public/v1/connections/", kind="reset")
    assert run(f"/bin/echo 'Applied despite a lost answer' > {d}/name").returncode == 0, (faulty / "errors").read_text()
    assert emulator.state()["connections"][cid]["name"] == "Applied despite a lost answer"
    assert (d / "name").read_text() == "Applied despite a lost answer\n"
    # and a PATCH that never reaches the server is a failure that changed nothing
    emulator.admin("DELETE", "/_emulator/faults")
    fault(emulator, method="PATCH", path="/api/public/v1/connections/", status=503)
    r = run(f"/bin/echo 'Never applied' > {d}/name")
    assert r.returncode != 0
    assert emulator.state()["connections"][cid]["name"] == "Applied despite a lost answer"


def test_retry_after_is_honoured(faulty, emulator):
    fault(emulator, path="/api/public/v1/connections$", status=429, count=1, retry_after=2)
    t0 = time.time()
    assert sorted(os.listdir(faulty / "connections")) == sorted(emulator.connections())
    assert time.time() - t0 >= 1.9
    log = [r for r in emulator.requests()["log"] if r["path"] == "/api/public/v1/connections"]
    assert [r["status"] for r in log][-2:] == [429, 200]


def test_both_secret_files_is_an_error(emulator, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for f in (a, b):
        f.write_text("x\n")
        f.chmod(0o600)
    target = tmp_path / "mnt"
    target.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRBYTE_")}
    r = subprocess.run([airbytefs_binary(), "-o", f"api_url={emulator.api_url},workspace={WORKSPACE},"
                        f"client_secret_file={a},bearer_token_file={b}", str(target)],
                       capture_output=True, text=True, env=env)
    assert r.returncode != 0 and "use one of them" in r.stderr
    assert not os.path.ismount(target)
