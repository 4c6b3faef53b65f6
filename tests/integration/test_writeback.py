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
