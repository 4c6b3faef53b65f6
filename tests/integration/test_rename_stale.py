"""No change made elsewhere is lost through a save by rename (issue 12, item 2): sed -i, rsync and
Python's os.replace write a temporary file and rename(2) it over the setting. The first rename gets
ESTALE and refreshes the cache; Linux retries the same rename once (retry_estale), and the retry
must be judged against what the tool saw, not the refreshed cache."""
import errno
import os
import subprocess

import pytest

from conftest import run

PATCH_ROUTE = "PATCH /api/public/v1/connections/{connectionId}"


@pytest.fixture
def faker(emulator, mount):
    os.listdir(mount / "connections")
    return next(c for c in emulator.connections().values() if c["name"] == "Faker Demo")


def change_elsewhere(emulator, cid, name):
    emulator.admin("PATCH", f"/_emulator/connections/{cid}", {"name": name})


def test_sed_i_after_a_change_elsewhere_fails(mount, emulator, faker):
    cid = faker["connectionId"]
    path = mount / "connections" / cid / "name"
    assert path.read_text() == "Faker Demo\n"
    change_elsewhere(emulator, cid, "Changed in the web UI")
    emulator.reset_requests()
    r = run(f"sed -i 's/$/ x/' {path}")
    assert r.returncode != 0
    assert "Stale file handle" in r.stderr
    assert emulator.state()["connections"][cid]["name"] == "Changed in the web UI"
    assert emulator.route_count(PATCH_ROUTE) == 0
    # once read again, the same edit goes through
    assert path.read_text() == "Changed in the web UI\n"
    assert run(f"sed -i 's/$/ x/' {path}").returncode == 0
    assert emulator.state()["connections"][cid]["name"] == "Changed in the web UI x"


def test_os_replace_after_a_change_elsewhere_fails(mount, emulator, faker):
    cid = faker["connectionId"]
    d = mount / "connections" / cid
    assert (d / "name").read_text() == "Faker Demo\n"
    tmp = d / ".name.tmp"
    tmp.write_text("Mine\n")
    change_elsewhere(emulator, cid, "Theirs")
    with pytest.raises(OSError) as exc:
        os.replace(tmp, d / "name")
    assert exc.value.errno == errno.ESTALE
    assert emulator.state()["connections"][cid]["name"] == "Theirs"


def test_rsync_into_settings_after_a_change_elsewhere_fails(mount, emulator, faker, tmp_path):
    cid = faker["connectionId"]
    settings = mount / "settings" / f"{cid}.json"
    exported = tmp_path / f"{cid}.json"
    exported.write_text(settings.read_text().replace('"Faker Demo"', '"From the repository"'))
    change_elsewhere(emulator, cid, "Changed in the web UI")
    r = run(f"rsync -c {exported} {mount}/settings/")
    assert r.returncode != 0
    assert emulator.state()["connections"][cid]["name"] == "Changed in the web UI"
