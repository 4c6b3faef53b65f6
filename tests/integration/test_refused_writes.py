"""A write that was refused is never committed, in part or whole (issue 10, item 6): after write(2)
fails, nothing is sent at close and close(2) fails too, for settings, JSON files and control files."""
import errno
import os

import pytest

PATCH_ROUTE = "PATCH /api/public/v1/connections/{connectionId}"
JOBS_ROUTE = "POST /api/public/v1/jobs"


@pytest.fixture
def faker(emulator, mount):
    os.listdir(mount / "connections")
    return next(c for c in emulator.connections().values() if c["name"] == "Faker Demo")


def write_then_close(path, chunks):
    """Writes chunks to path (opened O_WRONLY|O_TRUNC); returns (errno of the first failed write
    or 0, errno of close or 0)."""
    fd = os.open(path, os.O_WRONLY | os.O_TRUNC)
    write_err = 0
    for chunk in chunks:
        try:
            os.write(fd, chunk)
        except OSError as e:
            write_err = e.errno
            break
    try:
        os.close(fd)
        close_err = 0
    except OSError as e:
        close_err = e.errno
    return write_err, close_err


def test_too_big_write_sends_nothing(mount, emulator, faker):
    d = mount / "connections" / faker["connectionId"]
    emulator.reset_requests()
    mib = b"x" * (1024 * 1024)
    write_err, close_err = write_then_close(d / "name", [mib] * 5)
    assert write_err == errno.EFBIG
    assert close_err == errno.EFBIG
    assert emulator.route_count(PATCH_ROUTE) == 0
    assert emulator.state()["connections"][faker["connectionId"]]["name"] == "Faker Demo"


def test_too_big_settings_json_sends_nothing(mount, emulator, faker):
    emulator.reset_requests()
    path = mount / "settings" / f"{faker['connectionId']}.json"
    write_err, close_err = write_then_close(path, [b"{" + b" " * (1024 * 1024)] * 5)
    assert (write_err, close_err) == (errno.EFBIG, errno.EFBIG)
    assert emulator.route_count(PATCH_ROUTE) == 0


def test_refused_value_then_more_writes_sends_nothing(mount, emulator, faker):
    """A value refused in write(2) (a bad word for enabled) stays refused: close fails too."""
    d = mount / "connections" / faker["connectionId"]
    emulator.reset_requests()
    write_err, close_err = write_then_close(d / "enabled", [b"maybe\n", b"true\n"])
    assert write_err == errno.EINVAL
    assert close_err == errno.EINVAL
    assert emulator.route_count(PATCH_ROUTE) == 0


def test_overlong_run_command_starts_nothing(mount, emulator, faker):
    d = mount / "connections" / faker["connectionId"]
    emulator.reset_requests()
    write_err, close_err = write_then_close(d / "run", [b"sync" + b" " * 5000 + b"\n"])
    assert write_err == errno.EFBIG
    assert close_err == errno.EFBIG
    assert emulator.route_count(JOBS_ROUTE) == 0


def test_refused_commit_at_fsync_fails_close_too(mount, emulator, faker):
    """A multi-line file refused by the server at fsync(2) is refused at close(2) too, and sent
    once: a tool that checks only close still sees it."""
    d = mount / "connections" / faker["connectionId"]
    os.listdir(d)
    emulator.admin("POST", "/_emulator/faults", {"method": "PATCH", "path": "^/api/public/v1/connections/",
                                                  "status": 422, "count": 5})
    emulator.reset_requests()
    fd = os.open(d / "configurations.json", os.O_WRONLY | os.O_TRUNC)
    os.write(fd, b'{"streams": [{"name": "users"}]}\n')
    with pytest.raises(OSError) as exc:
        os.fsync(fd)
    assert exc.value.errno == errno.EINVAL
    with pytest.raises(OSError) as exc:
        os.close(fd)
    assert exc.value.errno == errno.EINVAL
    emulator.admin("DELETE", "/_emulator/faults")
    assert emulator.route_count(PATCH_ROUTE) == 1
