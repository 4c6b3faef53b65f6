"""Failures are recorded in `errors` once, at the operation's boundary (issue 11): a read during an
outage (ls, stat, cat of a log) adds one line per outage, not one per call; a refused change
always adds its line."""
import errno
import os

import pytest

from conftest import Mount, run


def fault(emu, **rule):
    emu.admin("POST", "/_emulator/faults", {"method": "*", **rule})


@pytest.fixture
def faulty(emulator):
    emulator.reset()
    m = Mount(emulator, options=["cache_ttl=1", "timeout=2"])
    yield m
    emulator.admin("DELETE", "/_emulator/faults")
    assert m.unmount() == 0, m.log()
    emulator.reset()


def error_lines(mount):
    return [l for l in (mount / "errors").read_text().splitlines() if l]


def test_reads_during_an_outage_are_recorded_once(faulty, emulator):
    fault(emulator, path="/api/public/v1/connections$", status=400, count=50)
    for _ in range(5):
        with pytest.raises(OSError) as exc:
            os.listdir(faulty / "connections")
        assert exc.value.errno == errno.EINVAL
    lines = error_lines(faulty)
    assert len(lines) == 1, lines
    assert "connections: EINVAL: HTTP 400" in lines[0]


def test_refused_changes_are_always_recorded(faulty, emulator):
    conn = next(c for c in emulator.connections().values() if c["name"] == "Faker Demo")
    d = faulty / "connections" / conn["connectionId"]
    os.listdir(d)
    for _ in range(3):
        assert run(f"echo maybe > {d}/enabled").returncode != 0
    lines = [l for l in error_lines(faulty) if "/enabled: EINVAL" in l]
    assert len(lines) == 3, error_lines(faulty)


@pytest.fixture
def deleting(emulator):
    emulator.reset()
    m = Mount(emulator, options=["allow_delete", "delete_source", "timeout=3"])
    yield m
    emulator.admin("DELETE", "/_emulator/faults")
    assert m.unmount() == 0, m.log()
    emulator.reset()


def test_404s_of_a_users_change_reach_errors(deleting, emulator):
    """A write to a connection deleted elsewhere, an rmdir answered 404 and a cascade delete whose
    DELETE /sources/{id} got 404: each is recorded, and the gone connection leaves the listing."""
    conns = list(emulator.connections().values())
    gone = next(c for c in conns if c["name"] == "Faker Demo")
    os.listdir(deleting / "connections")
    # deleted elsewhere, then rmdir'ed here: the DELETE is answered 404
    emulator.admin("PATCH", f"/_emulator/connections/{gone['connectionId']}", {"status": "deprecated"})
    fault(emulator, method="DELETE", path=f"^/api/public/v1/connections/{gone['connectionId']}$", status=404,
          count=1)
    with pytest.raises(OSError) as exc:
        os.rmdir(deleting / "connections" / gone["connectionId"])
    assert exc.value.errno == errno.ENOENT
    assert f"connections/{gone['connectionId']}: ENOENT" in (deleting / "errors").read_text()
    assert gone["connectionId"] not in os.listdir(deleting / "connections")
    # a cascade whose source delete gets 404: the connection is deleted, the 404 is recorded
    other = next(c for c in emulator.connections().values() if c["status"] != "locked")
    for c in emulator.connections().values():  # the source's other users go first, elsewhere
        if c["sourceId"] == other["sourceId"] and c["connectionId"] != other["connectionId"]:
            emulator.admin("PATCH", f"/_emulator/connections/{c['connectionId']}", {"status": "deprecated"})
    assert run(f"echo > {deleting.path}/.refresh").returncode == 0
    os.listdir(deleting / "connections")
    fault(emulator, method="DELETE", path=f"^/api/public/v1/sources/{other['sourceId']}$", status=404, count=1)
    os.rmdir(deleting / "connections" / other["connectionId"])
    assert other["connectionId"] not in emulator.connections()
    assert f"connections/{other['connectionId']}: ENOENT: HTTP 404" in (deleting / "errors").read_text()
