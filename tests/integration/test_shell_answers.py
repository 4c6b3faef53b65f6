"""The shell sees every refusal where it happens (issue 12, item 1): bash's builtin echo ignores
close(2), so a one-line setting and a control file send their value from the write(2) that
completes it (sysfs's convention), and that write returns the API's answer. Each case runs a real
`bash -c 'echo ... > f'` and asserts its exit status, its message and the server's state after."""
import errno
import os
import shlex

import pytest

from conftest import Emulator, Mount, run

PATCH_ROUTE = "PATCH /api/public/v1/connections/{connectionId}"


def fault(emu, **rule):
    return emu.admin("POST", "/_emulator/faults", {"method": "*", **rule})


def by_name(emu, name):
    return next(c for c in emu.connections().values() if c["name"] == name)


def echo(path, value):
    """bash's builtin echo into path: (exit status, stderr)."""
    r = run(f"echo {shlex.quote(value)} > {shlex.quote(str(path))}", executable="/bin/bash")
    return r.returncode, r.stderr.strip()


@pytest.fixture
def shell_mount(emulator):
    emulator.reset()
    m = Mount(emulator, options=["timeout=3"])
    os.listdir(m / "connections")
    yield m
    emulator.admin("DELETE", "/_emulator/faults")
    assert m.unmount() == 0, m.log()
    emulator.reset()


def test_success(shell_mount, emulator):
    faker = by_name(emulator, "Faker Demo")
    status, err = echo(shell_mount / "connections" / faker["connectionId"] / "name", "Shell Renamed")
    assert (status, err) == (0, "")
    assert emulator.state()["connections"][faker["connectionId"]]["name"] == "Shell Renamed"


def test_locked_connection_is_ebusy(shell_mount, emulator):
    locked = by_name(emulator, "Locked Billing Sync")
    status, err = echo(shell_mount / "connections" / locked["connectionId"] / "name", "new name")
    assert status == 1
    assert "write error: Device or resource busy" in err
    assert emulator.state()["connections"][locked["connectionId"]]["name"] == "Locked Billing Sync"


def test_server_validation_is_einval(shell_mount, emulator):
    faker = by_name(emulator, "Faker Demo")
    fault(emulator, method="PATCH", path="^/api/public/v1/connections/", status=422, count=1)
    status, err = echo(shell_mount / "connections" / faker["connectionId"] / "prefix", "refused_")
    assert status == 1
    assert "write error: Invalid argument" in err
    assert emulator.state()["connections"][faker["connectionId"]].get("prefix") != "refused_"
    assert "EINVAL: HTTP 422" in (shell_mount / "errors").read_text().splitlines()[-1]


def test_local_validation_is_einval(shell_mount, emulator):
    faker = by_name(emulator, "Faker Demo")
    emulator.reset_requests()
    status, err = echo(shell_mount / "connections" / faker["connectionId"] / "enabled", "maybe")
    assert status == 1 and "write error: Invalid argument" in err
    assert emulator.route_count(PATCH_ROUTE) == 0


def test_outage_is_eio(shell_mount, emulator):
    faker = by_name(emulator, "Faker Demo")
    fault(emulator, path=f"^/api/public/v1/connections/{faker['connectionId']}$", status=503, count=100)
    status, err = echo(shell_mount / "connections" / faker["connectionId"] / "prefix", "outage_")
    assert status == 1
    assert "write error: Input/output error" in err
    emulator.admin("DELETE", "/_emulator/faults")
    assert emulator.state()["connections"][faker["connectionId"]].get("prefix") != "outage_"


def test_stalled_api_is_etimedout(shell_mount, emulator):
    faker = by_name(emulator, "Faker Demo")
    fault(emulator, path=f"^/api/public/v1/connections/{faker['connectionId']}$", kind="stall",
          delay_ms=10000, count=100)
    status, err = echo(shell_mount / "connections" / faker["connectionId"] / "prefix", "stalled_")
    assert status == 1
    assert "write error: Connection timed out" in err


def script(tmp_path, code):
    """A command that runs code (Python) in its own process: "another client" between a shell's
    open and its write."""
    path = tmp_path / "elsewhere.py"
    path.write_text(code)
    return f"/usr/bin/python3 {path}"


def test_changed_elsewhere_is_estale(shell_mount, emulator, tmp_path):
    cid = by_name(emulator, "Faker Demo")["connectionId"]
    path = shell_mount / "connections" / cid / "name"
    change = script(tmp_path, f"""
import json, urllib.request as u
u.urlopen(u.Request("{emulator.base}/_emulator/connections/{cid}", data=json.dumps({{"name": "Web UI"}}).encode(),
                    method="PATCH", headers={{"Content-Type": "application/json"}}))
""")
    r = run(f"exec 3> {path}; {change}; echo Mine >&3", executable="/bin/bash")
    assert r.returncode == 1
    assert "write error: Stale file handle" in r.stderr
    assert emulator.state()["connections"][cid]["name"] == "Web UI"


def test_deleted_elsewhere_is_enoent(shell_mount, emulator, tmp_path):
    cid = by_name(emulator, "Faker Demo")["connectionId"]
    path = shell_mount / "connections" / cid / "prefix"
    delete = script(tmp_path, f"""
import json, urllib.request as u
token = json.load(u.urlopen(u.Request("{emulator.api_url}/applications/token", method="POST",
    data=json.dumps({{"client_id": "demo-client-id", "client_secret": "demo-client-secret"}}).encode(),
    headers={{"Content-Type": "application/json"}})))["access_token"]
u.urlopen(u.Request("{emulator.api_url}/connections/{cid}", method="DELETE",
                    headers={{"Authorization": "Bearer " + token}}))
""")
    r = run(f"exec 3> {path}; {delete}; echo gone_ >&3", executable="/bin/bash")
    assert r.returncode == 1, r.stderr
    assert "write error: No such file or directory" in r.stderr
    assert f"connections/{cid}/prefix: ENOENT" in (shell_mount / "errors").read_text()


def test_run_while_a_sync_runs_is_ebusy(shell_mount, emulator):
    faker = by_name(emulator, "Faker Demo")
    emulator.admin("POST", "/_emulator/config", {"job_duration": 30})
    run_file = shell_mount / "connections" / faker["connectionId"] / "run"
    before = {j for j, v in emulator.state()["jobs"].items() if v["connectionId"] == faker["connectionId"]}
    assert echo(run_file, "sync") == (0, "")
    status, err = echo(run_file, "sync")
    assert status == 1
    assert "write error: Device or resource busy" in err
    jobs = {j for j, v in emulator.state()["jobs"].items() if v["connectionId"] == faker["connectionId"]}
    assert len(jobs - before) == 1


def test_more_writes_after_a_sent_value_are_einval(shell_mount, emulator):
    faker = by_name(emulator, "Faker Demo")
    cid = faker["connectionId"]
    fd = os.open(shell_mount / "connections" / cid / "prefix", os.O_WRONLY | os.O_TRUNC)
    try:
        os.write(fd, b"first_\n")
        with pytest.raises(OSError) as exc:
            os.write(fd, b"second_\n")
        assert exc.value.errno == errno.EINVAL
    finally:
        os.close(fd)
    assert emulator.state()["connections"][cid]["prefix"] == "first_"
