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


def test_a_source_name_with_a_tab_written_back_sends_nothing(mount, emulator, tmp_path):
    """The same for a source's name, which the server may hold with a character airbytefs would
    refuse in a new name."""
    import json
    import urllib.request as u
    token = json.load(u.urlopen(u.Request(emulator.api_url + "/applications/token", method="POST",
                                          data=json.dumps({"client_id": "demo-client-id",
                                                           "client_secret": "demo-client-secret"}).encode(),
                                          headers={"Content-Type": "application/json"})))["access_token"]
    sid = sorted(emulator.state()["sources"])[0]
    u.urlopen(u.Request(f"{emulator.api_url}/sources/{sid}", method="PATCH",
                        data=json.dumps({"name": "Tab\there"}).encode(),
                        headers={"Content-Type": "application/json", "Authorization": "Bearer " + token}))
    assert run(f"echo > {mount.path}/.refresh").returncode == 0
    name = mount / "sources" / sid / "name"
    assert name.read_text() == "Tab\there\n"
    emulator.reset_requests()
    assert run(f"cp {name} {tmp_path}/n && cp {tmp_path}/n {name}").returncode == 0
    assert not [r for r in emulator.requests()["log"] if r["method"] == "PATCH"]
