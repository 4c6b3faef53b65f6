"""Tools that replace a file by unlinking it and creating it again (fs/replace.c): install,
cp --remove-destination, mv from another filesystem, git checkout. The unlink of a writable
API-backed file sends nothing; the create that follows within the window rewrites the file and its
close commits it (validation, no-op detection, the server's refusal reported by close). An unlink
that no create follows changes nothing, and the file is back after the window. Read-only files and
control files still refuse rm with EPERM."""
import errno
import json
import os
import time

import pytest

from conftest import Mount, run

PATCH_ROUTE = "PATCH /api/public/v1/connections/{connectionId}"
WINDOW_S = 3  # ABFS_REPLACE_WINDOW_S (fs/replace.h)


def sh(cmd, **kw):
    r = run(cmd, **kw)
    assert r.returncode == 0, f"{cmd}\n{r.stdout}\n{r.stderr}"
    return r.stdout


def by_name(emulator, name):
    return next(c for c in emulator.connections().values() if c["name"] == name)


def patches(emulator):
    return emulator.requests()["routes"].get(PATCH_ROUTE, 0)


def changes(emulator):
    """Every request that may change something: not a read (the Config API reads with POST .../get,
    .../list, .../last_job_per_stream) nor a token fetch."""
    return [r for r in emulator.requests()["log"]
            if r["method"] != "GET" and not r["path"].endswith(("/applications/token", "/get", "/list",
                                                                 "/get_without_logs", "/get_for_job",
                                                                 "/last_job_per_stream", "/connections/status"))]


@pytest.fixture
def faker(emulator, mount):
    os.listdir(mount / "connections")  # the listing is cached: later asserts count writes only
    c = by_name(emulator, "Faker Demo")
    return c, mount / "connections" / c["connectionId"]


def test_install_replaces_a_setting(mount, emulator, faker, tmp_path):
    conn, d = faker
    (tmp_path / "prefix").write_text("installed_\n")
    emulator.reset_requests()
    r = run(f"install -m 644 {tmp_path}/prefix {d}/prefix")
    assert r.returncode == 0, r.stderr
    assert emulator.state()["connections"][conn["connectionId"]]["prefix"] == "installed_"
    assert patches(emulator) == 1
    body = json.loads([x for x in emulator.requests()["log"] if x["method"] == "PATCH"][0]["body"])
    assert body == {"prefix": "installed_"}
    assert (d / "prefix").read_text() == "installed_\n"
    assert os.stat(d / "prefix").st_size == len("installed_\n")
    assert "prefix" in os.listdir(d)
    # The same value again: unlinked and created, and nothing is sent.
    emulator.reset_requests()
    assert run(f"install -m 644 {tmp_path}/prefix {d}/prefix").returncode == 0
    assert changes(emulator) == []


def test_git_checkout_applies_settings(mount, emulator, tmp_path):
    repo = tmp_path / "settings-repo"
    before = emulator.connections()
    sh(f"cp -r {mount.path}/settings {repo}")
    sh(f"cd {repo} && git init -q && git add . && git -c user.email=a@b -c user.name=ops commit -qm export")
    named = {v["name"]: k for k, v in before.items()}
    a, b = named["Faker Demo"], named["GitHub → Postgres"]
    doc = json.loads((repo / f"{a}.json").read_text())
    doc["name"] = "Checked out by git"
    (repo / f"{a}.json").write_text(json.dumps(doc, indent=2) + "\n")
    doc = json.loads((repo / f"{b}.json").read_text())
    doc["prefix"] = "git_"
    (repo / f"{b}.json").write_text(json.dumps(doc, indent=2) + "\n")
    sh(f"cd {repo} && git -c user.email=a@b -c user.name=ops commit -qam 'two changes'")

    emulator.reset_requests()
    r = run(f"cd {repo} && git --work-tree={mount.path}/settings checkout -f HEAD -- .")
    assert r.returncode == 0, r.stderr + (mount / "errors").read_text()
    assert patches(emulator) == 2, emulator.requests()["routes"]
    after = emulator.connections()
    assert after[a]["name"] == "Checked out by git"
    assert after[b]["prefix"] == "git_"
    for cid in before:
        if cid not in (a, b):
            assert after[cid] == before[cid], cid
    assert sorted(os.listdir(mount / "settings")) == sorted(f"{c}.json" for c in before)
    assert json.loads((mount / "settings" / f"{a}.json").read_text())["name"] == "Checked out by git"

    # A second checkout rewrites the files it finds changed (their inodes are new) with the values
    # they already have: no PATCH.
    emulator.reset_requests()
    r = run(f"cd {repo} && git --work-tree={mount.path}/settings checkout -f HEAD -- .")
    assert r.returncode == 0, r.stderr
    assert patches(emulator) == 0
    assert changes(emulator) == []


def test_git_checkout_of_a_refused_value_changes_nothing(mount, emulator, tmp_path):
    repo = tmp_path / "settings-repo"
    cid = by_name(emulator, "Faker Demo")["connectionId"]
    before = emulator.connections()[cid]
    sh(f"mkdir {repo} && cp {mount.path}/settings/{cid}.json {repo}/")
    doc = json.loads((repo / f"{cid}.json").read_text())
    doc["colour"] = "blue"
    (repo / f"{cid}.json").write_text(json.dumps(doc, indent=2) + "\n")
    sh(f"cd {repo} && git init -q && git add . && git -c user.email=a@b -c user.name=ops commit -qm bad")
    emulator.reset_requests()
    # git 2.39 ignores the result of close(2), where a JSON file is validated: its exit status does
    # not tell (docs/gitops.md), `errors` does.
    run(f"cd {repo} && git --work-tree={mount.path}/settings checkout -f HEAD -- .")
    assert changes(emulator) == []
    assert emulator.connections()[cid] == before
    last = (mount / "errors").read_text().splitlines()[-1]
    assert f"settings/{cid}.json: EINVAL:" in last and "not a writable setting" in last
    assert json.loads((mount / "settings" / f"{cid}.json").read_text())["name"] == before["name"]


def test_mv_from_another_filesystem(mount, emulator, faker, tmp_path):
    conn, d = faker
    src = tmp_path / "name.new"  # tmp_path is not on the mount: rename(2) gives EXDEV
    src.write_text("Moved Across\n")
    emulator.reset_requests()
    r = run(f"mv {src} {d}/name")
    assert r.returncode == 0, r.stderr
    assert not src.exists()
    assert emulator.state()["connections"][conn["connectionId"]]["name"] == "Moved Across"
    assert patches(emulator) == 1
    assert (d / "name").read_text() == "Moved Across\n"
    assert os.path.realpath(mount / "by-name" / "Moved Across") == str(d)


def test_cp_remove_destination(mount, emulator, faker, tmp_path):
    conn, d = faker
    (tmp_path / "schedule").write_text("0 15 3 * * ?\n")
    emulator.reset_requests()
    r = run(f"cp --remove-destination {tmp_path}/schedule {d}/schedule")
    assert r.returncode == 0, r.stderr
    assert emulator.state()["connections"][conn["connectionId"]]["schedule"] == {
        "scheduleType": "cron", "cronExpression": "0 15 3 * * ? UTC"}
    assert (d / "schedule").read_text() == "0 15 3 * * ?\n"
    assert patches(emulator) == 1


def test_cp_remove_destination_onto_a_source_name(mount, emulator, tmp_path):
    sid = conn_source(emulator)
    (tmp_path / "name").write_text("Source By cp\n")
    emulator.reset_requests()
    r = run(f"cp --remove-destination {tmp_path}/name {mount.path}/sources/{sid}/name")
    assert r.returncode == 0, r.stderr
    assert emulator.state()["sources"][sid]["name"] == "Source By cp"
    assert (mount / "sources" / sid / "name").read_text() == "Source By cp\n"


def conn_source(emulator):
    return by_name(emulator, "Faker Demo")["sourceId"]


def test_install_onto_state_json(mount, emulator, faker, tmp_path):
    conn, d = faker
    state = json.loads((d / "state.json").read_text())
    (tmp_path / "state.json").write_text(json.dumps(state) + "\n")
    emulator.reset_requests()
    # The state as it is: a no-op, nothing is written.
    assert run(f"install -m 644 {tmp_path}/state.json {d}/state.json").returncode == 0
    assert changes(emulator) == []
    (tmp_path / "bad.json").write_text('{"stateType": "sideways"}\n')
    r = run(f"install -m 644 {tmp_path}/bad.json {d}/state.json")
    assert r.returncode != 0 and "Invalid argument" in r.stderr
    assert json.loads((d / "state.json").read_text()) == state


def test_invalid_value_through_install_changes_nothing(mount, emulator, faker, tmp_path):
    conn, d = faker
    before = emulator.state()["connections"][conn["connectionId"]]
    (tmp_path / "enabled").write_text("maybe\n")
    emulator.reset_requests()
    r = run(f"install -m 644 {tmp_path}/enabled {d}/enabled")
    assert r.returncode != 0
    assert "Invalid argument" in r.stderr
    assert changes(emulator) == []
    assert emulator.state()["connections"][conn["connectionId"]] == before
    assert (d / "enabled").read_text() == "true\n"
    last = (mount / "errors").read_text().splitlines()[-1]
    assert f"connections/{conn['connectionId']}/enabled: EINVAL:" in last and "true or false" in last


def test_server_refusal_is_reported_by_close(mount, emulator, faker, tmp_path):
    conn, d = faker
    before = emulator.state()["connections"][conn["connectionId"]]
    streams = (d / "streams").read_text()
    (tmp_path / "streams").write_text(streams + "no_such_stream\n")
    r = run(f"install -m 644 {tmp_path}/streams {d}/streams")
    assert r.returncode != 0
    assert "failed to close" in r.stderr and "Invalid argument" in r.stderr
    assert emulator.state()["connections"][conn["connectionId"]] == before
    assert (d / "streams").read_text() == streams
    last = (mount / "errors").read_text().splitlines()[-1]
    assert "EINVAL: HTTP 400" in last and "no_such_stream" in last


def test_rm_alone_changes_nothing_and_the_file_comes_back(mount, emulator, faker):
    conn, d = faker
    emulator.reset_requests()
    r = run(f"rm {d}/name")
    assert r.returncode == 0, r.stderr  # accepted: it may be the first half of a replace
    assert "name" not in os.listdir(d)
    assert run(f"stat {d}/name").returncode != 0
    time.sleep(WINDOW_S + 0.5)
    assert "name" in os.listdir(d)
    assert sh(f"stat -c %s {d}/name") == f"{len('Faker Demo') + 1}\n"
    assert sh(f"cat {d}/name") == "Faker Demo\n"
    assert changes(emulator) == []
    assert emulator.state()["connections"][conn["connectionId"]]["name"] == "Faker Demo"
    # Also in settings/: the directory lists it again.
    r = run(f"rm {mount.path}/settings/{conn['connectionId']}.json")
    assert r.returncode == 0, r.stderr
    assert f"{conn['connectionId']}.json" not in os.listdir(mount / "settings")
    time.sleep(WINDOW_S + 0.5)
    assert f"{conn['connectionId']}.json" in os.listdir(mount / "settings")
    assert json.loads((mount / "settings" / f"{conn['connectionId']}.json").read_text())["name"] == "Faker Demo"
    assert changes(emulator) == []


@pytest.mark.parametrize("name", ["status", "connection.json", "url", "source_id", "run", "jobs/url"])
def test_rm_of_a_read_only_or_control_file_is_eperm(mount, emulator, faker, name):
    conn, d = faker
    r = run(f"rm -f {d}/{name}")
    assert r.returncode != 0 and "Operation not permitted" in r.stderr
    assert os.path.exists(d / name)


def test_rm_of_errors_and_a_source_type_is_eperm(mount, emulator):
    sid = conn_source(emulator)
    for path in (mount / "errors", mount / "sources" / sid / "type"):
        with pytest.raises(PermissionError):
            os.unlink(path)


def test_rm_r_does_not_delete_a_connection(emulator, tmp_path):
    emulator.reset()
    m = Mount(emulator, options=["allow_delete"])
    try:
        cid = by_name(emulator, "Faker Demo")["connectionId"]
        emulator.reset_requests()
        r = run(f"rm -rf {m.path}/connections/{cid}")
        assert r.returncode != 0  # its read-only files refuse, so rm never reaches the rmdir
        assert cid in emulator.connections()
        assert changes(emulator) == []
    finally:
        assert m.unmount() == 0, m.log()


def test_open_file_keeps_working_after_rm(mount, emulator, faker):
    conn, d = faker
    with open(d / "name") as f:
        os.unlink(d / "name")
        assert os.lseek(f.fileno(), 0, os.SEEK_END) == len("Faker Demo\n")
        assert os.pread(f.fileno(), 100, 0) == b"Faker Demo\n"
    # A scratch file removed while open (libfuse then gives the operations no path).
    fd = os.open(d / "notes.txt", os.O_CREAT | os.O_RDWR, 0o644)
    try:
        os.write(fd, b"x")
        os.unlink(d / "notes.txt")
        time.sleep(1.2)  # the attributes lapse: the kernel asks the daemon
        try:
            os.lseek(fd, 0, os.SEEK_END)
        except OSError as e:
            assert e.errno in (errno.ENOENT, errno.ESTALE)
    finally:
        os.close(fd)
    time.sleep(WINDOW_S + 0.5)
    assert (d / "name").read_text() == "Faker Demo\n"  # the daemon is still there
