"""Writing back what you read never changes anything (issue 12, item 6), even where a file cannot
carry the value whole: a name with a NUL byte or a control character, copied out and back in with
cp, sends nothing and leaves the server's value as it was."""
import os

import pytest

from conftest import run

PATCH_ROUTE = "PATCH /api/public/v1/connections/{connectionId}"


@pytest.mark.parametrize("odd_name", ["Before\u0000after", "Tab\there", "Two\nlines"])
def test_odd_names_written_back_send_nothing(mount, emulator, tmp_path, odd_name):
    cid = next(c for c, v in emulator.connections().items() if v["name"] == "Faker Demo")
    emulator.admin("PATCH", f"/_emulator/connections/{cid}", {"name": odd_name})
    assert run(f"echo > {mount.path}/.refresh").returncode == 0
    d = mount / "connections" / cid
    copy = tmp_path / "name"
    assert run(f"cp {d}/name {copy} && cp {copy} {d}/name").returncode == 0
    settings = mount / "settings" / f"{cid}.json"
    assert run(f"cp {settings} {tmp_path}/s.json && cp {tmp_path}/s.json {settings}").returncode == 0
    emulator.reset_requests()
    assert run(f"cp {copy} {d}/name").returncode == 0
    assert emulator.route_count(PATCH_ROUTE) == 0
    assert emulator.state()["connections"][cid]["name"] == odd_name


def test_a_member_of_the_wrong_type_does_not_hide_the_connection(mount, emulator):
    """A connection with a member of the wrong type is still listed, its other files show their
    values, and `errors` says what is wrong, once (issue 12, item 6)."""
    cid = next(c for c, v in emulator.connections().items() if v["name"] == "Faker Demo")
    emulator.admin("PATCH", f"/_emulator/connections/{cid}", {"prefix": 5})
    assert run(f"echo > {mount.path}/.refresh").returncode == 0
    assert cid in os.listdir(mount / "connections")
    d = mount / "connections" / cid
    assert (d / "name").read_text() == "Faker Demo\n"
    assert (d / "prefix").read_text() == "\n"
    assert run(f"echo > {mount.path}/.refresh").returncode == 0
    os.listdir(mount / "connections")
    lines = [l for l in (mount / "errors").read_text().splitlines() if cid in l and "`prefix`" in l]
    assert len(lines) == 1, (mount / "errors").read_text()
