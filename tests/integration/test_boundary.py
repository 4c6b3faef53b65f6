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
