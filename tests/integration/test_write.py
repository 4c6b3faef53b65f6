"""Editing connections through files on a real mount: shell redirections, editors and tools that
save through temporary files, validation before any request, no-op writes, ESTALE on concurrent
changes, stream edits that keep sync modes, and the errors file."""
import errno
import json
import os
import subprocess

import pytest

from conftest import run

PATCH_ROUTE = "PATCH /api/public/v1/connections/{connectionId}"


def by_name(emulator, name):
    return next(c for c in emulator.connections().values() if c["name"] == name)


def cdir(mount, conn):
    return mount / "connections" / conn["connectionId"]


def patches(emulator):
    return emulator.requests()["routes"].get(PATCH_ROUTE, 0)


def api_requests(emulator):
    """Every API request but token fetches."""
    return [r for r in emulator.requests()["log"] if not r["path"].endswith("/applications/token")]


@pytest.fixture
def faker(emulator, mount):
    os.listdir(mount / "connections")  # the listing is cached: later asserts count writes only
    return by_name(emulator, "Faker Demo")


def test_echo_name_commits_on_close(mount, emulator, faker):
    emulator.reset_requests()
    assert run(f"echo 'Faker Renamed' > {cdir(mount, faker)}/name").returncode == 0
    assert emulator.state()["connections"][faker["connectionId"]]["name"] == "Faker Renamed"
    assert patches(emulator) == 1
    body = json.loads([r for r in emulator.requests()["log"] if r["method"] == "PATCH"][0]["body"])
    assert body == {"name": "Faker Renamed"}
    assert (cdir(mount, faker) / "name").read_text() == "Faker Renamed\n"
    assert os.stat(cdir(mount, faker) / "name").st_size == len("Faker Renamed\n")


def test_printf_without_newline_and_crlf(mount, emulator, faker):
    run(f"printf 'no newline' > {cdir(mount, faker)}/prefix")
    assert emulator.state()["connections"][faker["connectionId"]]["prefix"] == "no newline"
    run(f"printf 'crlf_\\r\\n' > {cdir(mount, faker)}/prefix")
    assert emulator.state()["connections"][faker["connectionId"]]["prefix"] == "crlf_"
    run(f"echo > {cdir(mount, faker)}/prefix")  # an empty line clears the prefix
    assert emulator.state()["connections"][faker["connectionId"]]["prefix"] == ""


def test_enabled_and_same_value_sends_nothing(mount, emulator, faker):
    d = cdir(mount, faker)
    emulator.reset_requests()
    for value in ("true", "yes", "1", "on", "TRUE"):
        assert run(f"echo {value} > {d}/enabled").returncode == 0
    assert api_requests(emulator) == []
    assert run(f"echo off > {d}/enabled").returncode == 0
    assert emulator.state()["connections"][faker["connectionId"]]["status"] == "inactive"
    assert (d / "enabled").read_text() == "false\n"
    assert (d / "status").read_text() == "inactive\n"
    assert patches(emulator) == 1


def test_truncate_alone_sends_nothing(mount, emulator, faker):
    d = cdir(mount, faker)
    emulator.reset_requests()
    run(f": > {d}/name")
    run(f"truncate -s 0 {d}/prefix")
    assert api_requests(emulator) == []
    assert emulator.state()["connections"][faker["connectionId"]]["name"] == "Faker Demo"


@pytest.mark.parametrize("file,value,message", [
    ("enabled", "maybe", "enabled must be true or false"),
    ("schedule", "every day", "cron"),
    ("schedule", "* 0 12 * * ?", "seconds and minutes"),
    ("schedule", "0 * * * * ? *", "seconds and minutes"),
    ("schedule", "0 0 1 * 1", "either"),
    ("namespace_definition", "nowhere", "namespaceDefinition must be one of"),
    ("non_breaking_schema_updates_behavior", "explode", "must be one of"),
    ("name", "", "must not be empty"),
    ("configurations.json", "{not json", "invalid JSON"),
    ("configurations.json", '{"streams": [{"name": "users", "selectedFields": []}]}', "selectedFields"),
    ("configurations.json", '{"streams": [{"name": "users", "syncMode": "sideways"}]}', "syncMode must be one of"),
    ("settings.json", '{"colour": "blue"}', "not a writable setting"),
    ("settings.json", '{"schedule": {"scheduleType": "basic", "basicTiming": "Every 2 HOURS"}}', "basic"),
    ("streams", "", "at least one stream"),
    ("configurations.json", "null", "null is not a value"),
    ("configurations.json", "0", "configurations must be an object"),
    ("configurations.json", "{}", "configurations must be an object"),
    ("settings.json", "null", "null is not a value"),
    ("settings.json", '{"configurations": {"streams": 5}}', "configurations must be an object"),
    ("settings.json", "{'name': 'single quotes'}", "invalid JSON"),
    ("streams", "users\rorders", "control character"),
])
def test_invalid_values_are_einval_and_send_nothing(mount, emulator, faker, file, value, message):
    before = emulator.state()["connections"][faker["connectionId"]]
    emulator.reset_requests()
    path = cdir(mount, faker) / file
    shown = f"connections/{faker['connectionId']}/{file}"
    if file == "settings.json":  # written under settings/ only (docs/gitops.md)
        path = mount / "settings" / f"{faker['connectionId']}.json"
        shown = f"settings/{faker['connectionId']}.json"
    with pytest.raises(OSError) as exc:
        with open(path, "w") as f:
            f.write(value + "\n")
    assert exc.value.errno == errno.EINVAL
    assert api_requests(emulator) == []
    assert emulator.state()["connections"][faker["connectionId"]] == before
    errors = (mount / "errors").read_text().splitlines()
    assert errors and f"{shown}: EINVAL:" in errors[-1]
    assert message in errors[-1]
    assert shown in mount.log()


def test_no_streams_written_back_is_a_noop(mount, emulator):
    sandbox = by_name(emulator, "Sandbox (no streams)")
    d = cdir(mount, sandbox)
    emulator.reset_requests()
    assert (d / "streams").read_text() == ""
    assert run(f"cp {d}/streams /tmp/abfs-empty && cp /tmp/abfs-empty {d}/streams").returncode == 0
    assert patches(emulator) == 0


def test_shell_reports_the_error(mount, emulator, faker):
    # A complete one-line value is checked by write(2), so even the shell's builtin echo fails.
    r = run(f"bash -c 'echo nonsense > {cdir(mount, faker)}/enabled'")
    assert r.returncode != 0
    assert "Invalid argument" in r.stderr
    assert sum(1 for l in (mount / "errors").read_text().splitlines() if "enabled: EINVAL" in l) == 1


def test_schedule_cron_manual_and_unix_conversion(mount, emulator, faker):
    d = cdir(mount, faker)
    cid = faker["connectionId"]
    run(f"echo '0 15 3 * * ?' > {d}/schedule")
    assert emulator.state()["connections"][cid]["schedule"] == {"scheduleType": "cron", "cronExpression": "0 15 3 * * ? UTC"}
    assert (d / "schedule").read_text() == "0 15 3 * * ?\n"
    # A 5-field Unix cron converts to the equivalent Quartz expression.
    assert run(f"echo '30 2 * * 1-5' > {d}/schedule").returncode == 0
    assert emulator.state()["connections"][cid]["schedule"]["cronExpression"] == "0 30 2 ? * 2-6 UTC"
    assert (d / "schedule").read_text() == "0 30 2 ? * 2-6\n"
    emulator.reset_requests()
    run(f"echo '0 30 2 ? * 2-6 UTC' > {d}/schedule")  # the server's own form: same value
    assert patches(emulator) == 0
    run(f"echo manual > {d}/schedule")
    assert emulator.state()["connections"][cid]["schedule"] == {"scheduleType": "manual"}


def test_basic_schedule_written_back_is_a_noop(mount, emulator):
    stripe = by_name(emulator, "Stripe / Billing → BigQuery")
    d = cdir(mount, stripe)
    emulator.reset_requests()
    assert run(f"cat {d}/schedule > /tmp/abfs-sched && cp /tmp/abfs-sched {d}/schedule").returncode == 0
    assert run(f"cat {d}/settings.json > /tmp/abfs-set && cp /tmp/abfs-set {d}/settings.json").returncode == 0
    assert patches(emulator) == 0


def test_streams_edit_keeps_modes(mount, emulator):
    pg = by_name(emulator, "Postgres → Snowflake")
    cid = pg["connectionId"]
    d = cdir(mount, pg)
    before = {s["name"]: s for s in pg["configurations"]["streams"]}
    # Drop audit_log with sed -i; the others keep their sync mode, cursor and primary key.
    assert run(f"sed -i '/^audit_log$/d' {d}/streams").returncode == 0, mount.log()
    after = {s["name"]: s for s in emulator.state()["connections"][cid]["configurations"]["streams"]}
    assert set(after) == {"users", "orders", "products"}
    for name in after:
        for key in ("syncMode", "cursorField", "primaryKey"):
            assert after[name].get(key) == before[name].get(key), (name, key)
    body = json.loads([r for r in emulator.requests()["log"] if r["method"] == "PATCH"][-1]["body"])
    assert all("selectedFields" not in s for s in body["configurations"]["streams"])
    # Add it back: it gets the server's defaults.
    run(f"echo audit_log >> {d}/streams")
    after = {s["name"]: s for s in emulator.state()["connections"][cid]["configurations"]["streams"]}
    assert after["audit_log"]["syncMode"] == "full_refresh_overwrite"
    assert after["users"]["syncMode"] == "incremental_deduped_history"
    assert (d / "streams").read_text().splitlines() == ["users", "orders", "products", "audit_log"]


def test_selected_fields_survive_stream_edit(mount, emulator):
    stripe = by_name(emulator, "Stripe / Billing → BigQuery")
    cid = stripe["connectionId"]
    run(f"sed -i '/^charges$/d' {cdir(mount, stripe)}/streams")
    streams = {s["name"]: s for s in emulator.state()["connections"][cid]["configurations"]["streams"]}
    assert set(streams) == {"customers", "invoices"}
    assert streams["invoices"]["selectedFields"] == stripe["configurations"]["streams"][2]["selectedFields"]


def test_unknown_stream_gives_server_message(mount, emulator, faker):
    # coreutils' echo checks close(2); the shell's builtin cannot see errors of close.
    r = run(f"/bin/echo no_such_stream >> {cdir(mount, faker)}/streams")
    assert r.returncode != 0
    last = (mount / "errors").read_text().splitlines()[-1]
    assert "EINVAL: HTTP 400" in last and "no_such_stream" in last


def test_vim_edit(mount, emulator, faker):
    d = cdir(mount, faker)
    r = run(f"vim -u NONE -i NONE -N -es -c '%s/Faker Demo/Faker via vim/' -c 'wq' {d}/name", timeout=30)
    assert r.returncode == 0, r.stdout + r.stderr + mount.log()
    assert emulator.state()["connections"][faker["connectionId"]]["name"] == "Faker via vim"


@pytest.mark.parametrize("backupcopy", ["yes", "no", "auto"])
def test_vim_backupcopy_modes(mount, emulator, faker, backupcopy):
    d = cdir(mount, faker)
    r = run(f"vim -u NONE -i NONE -N -es -c 'set backup writebackup backupcopy={backupcopy}' "
            f"-c '%s/faker_/vim_{backupcopy}_/' -c 'wq' {d}/prefix", timeout=30)
    assert r.returncode == 0, r.stdout + r.stderr + mount.log()
    assert emulator.state()["connections"][faker["connectionId"]]["prefix"] == f"vim_{backupcopy}_"
    assert (d / "prefix").read_text() == f"vim_{backupcopy}_\n"


def test_cp_tee_and_read_only_files(mount, emulator, faker, tmp_path):
    d = cdir(mount, faker)
    src = tmp_path / "name"
    src.write_text("Copied Name\n")
    assert run(f"cp {src} {d}/name").returncode == 0
    assert emulator.state()["connections"][faker["connectionId"]]["name"] == "Copied Name"
    assert run(f"echo teed_ | tee {d}/prefix").returncode == 0
    assert emulator.state()["connections"][faker["connectionId"]]["prefix"] == "teed_"
    for ro in ("status", "source_id", "url", "connection.json", "workspace_id"):
        with pytest.raises(PermissionError):
            open(d / ro, "w")
    with pytest.raises(PermissionError):
        open(mount / "errors", "w")


def test_gio_style_and_rsync_temp_names(mount, emulator, faker):
    d = cdir(mount, faker)
    tmp = d / ".goutputstream-ABC123"
    tmp.write_text("gio_\n")
    assert emulator.state()["connections"][faker["connectionId"]]["prefix"] == "faker_"  # scratch only
    os.rename(tmp, d / "prefix")
    assert emulator.state()["connections"][faker["connectionId"]]["prefix"] == "gio_"
    assert not tmp.exists()


def test_scratch_files_are_local(mount, emulator, faker):
    d = cdir(mount, faker)
    emulator.reset_requests()
    (d / "notes.txt").write_text("hello")
    assert (d / "notes.txt").read_text() == "hello"
    assert "notes.txt" in os.listdir(d)
    os.chmod(d / "notes.txt", 0o600)
    assert os.stat(d / "notes.txt").st_mode & 0o777 == 0o600
    os.unlink(d / "notes.txt")
    assert "notes.txt" not in os.listdir(d)
    assert [r for r in api_requests(emulator) if r["method"] != "GET"] == []


def test_rename_of_invalid_scratch_is_einval(mount, emulator, faker):
    d = cdir(mount, faker)
    (d / "tmp.x").write_text("bogus\n")
    with pytest.raises(OSError) as exc:
        os.rename(d / "tmp.x", d / "enabled")
    assert exc.value.errno == errno.EINVAL
    assert (d / "tmp.x").exists()
    os.unlink(d / "tmp.x")


def test_chmod_chown_utime_accepted(mount, emulator, faker):
    d = cdir(mount, faker)
    emulator.reset_requests()
    os.chmod(d / "name", 0o600)
    os.chown(d / "name", os.getuid(), os.getgid())
    os.utime(d / "name", (1, 1))
    assert api_requests(emulator) == []
    assert os.stat(d / "name").st_mode & 0o777 == 0o644


def test_concurrent_change_is_estale(mount, emulator, faker):
    d = cdir(mount, faker)
    cid = faker["connectionId"]
    f = open(d / "name", "w")
    emulator.admin("PATCH", f"/_emulator/connections/{cid}", {"name": "Changed in the web UI"})
    f.write("Mine\n")
    with pytest.raises(OSError) as exc:
        f.close()
    assert exc.value.errno == errno.ESTALE
    assert emulator.state()["connections"][cid]["name"] == "Changed in the web UI"
    assert (d / "name").read_text() == "Changed in the web UI\n"
    assert "ESTALE" in (mount / "errors").read_text().splitlines()[-1]


def test_locked_connection_is_ebusy(mount, emulator):
    locked = by_name(emulator, "Locked Billing Sync")
    with pytest.raises(OSError) as exc:
        with open(cdir(mount, locked) / "name", "w") as f:
            f.write("new name\n")
    assert exc.value.errno == errno.EBUSY
    last = (mount / "errors").read_text().splitlines()[-1]
    assert "EBUSY: HTTP 409" in last


def test_fsync_returns_the_result(mount, emulator, faker):
    fd = os.open(cdir(mount, faker) / "enabled", os.O_WRONLY | os.O_TRUNC)
    os.write(fd, b"sometimes")  # no newline: complete only at fsync
    with pytest.raises(OSError) as exc:
        os.fsync(fd)
    assert exc.value.errno == errno.EINVAL
    with pytest.raises(OSError) as exc:  # the failed batch is not sent again; close says so too
        os.close(fd)
    assert exc.value.errno == errno.EINVAL
    assert sum(1 for l in (mount / "errors").read_text().splitlines() if "enabled: EINVAL" in l) == 1


def test_configurations_json_roundtrip_and_edit(mount, emulator):
    gh = by_name(emulator, "GitHub → Postgres")
    cid = gh["connectionId"]
    d = cdir(mount, gh)
    emulator.reset_requests()
    assert run(f"cat {d}/configurations.json > /tmp/abfs-c.json && cp /tmp/abfs-c.json {d}/configurations.json").returncode == 0
    assert patches(emulator) == 0
    conf = json.loads((d / "configurations.json").read_text())
    conf["streams"][1]["syncMode"] = "full_refresh_append"
    (d / "configurations.json").write_text(json.dumps(conf))
    streams = {s["name"]: s for s in emulator.state()["connections"][cid]["configurations"]["streams"]}
    assert streams["pull_requests"]["syncMode"] == "full_refresh_append"
    assert streams["issues"]["syncMode"] == "incremental_deduped_history"
    assert patches(emulator) == 1


def test_errors_size_is_fresh_after_a_failure(mount, emulator, faker):
    d = cdir(mount, faker)
    before = os.stat(mount / "errors").st_size
    run(f"bash -c 'echo maybe > {d}/enabled'")
    import time
    time.sleep(0.2)
    text = (mount / "errors").read_text()
    assert os.stat(mount / "errors").st_size == len(text.encode()) > before
    assert run(f"tail -n 1 {mount.path}/errors").stdout.rstrip("\n") == text.splitlines()[-1]


def test_absent_member_written_back_is_a_noop(mount, emulator, faker):
    cid = faker["connectionId"]
    emulator.admin("PATCH", f"/_emulator/connections/{cid}",
                   {"namespaceDefinition": None, "nonBreakingSchemaUpdatesBehavior": None, "namespaceFormat": None})
    emulator.admin("POST", "/_emulator/requests/reset")
    import time
    time.sleep(0.1)
    # a fresh mount so the listing shows the members gone
    from conftest import Mount
    m = Mount(emulator)
    try:
        d = m / "connections" / cid
        for name in ("namespace_definition", "non_breaking_schema_updates_behavior", "namespace_format"):
            assert (d / name).read_text() == "\n"
            assert run(f"cp {d}/{name} /tmp/abfs-absent && cp /tmp/abfs-absent {d}/{name}").returncode == 0
        assert run(f"cp {d}/settings.json /tmp/abfs-absent && cp /tmp/abfs-absent {d}/settings.json").returncode == 0
        assert emulator.requests()["routes"].get("PATCH /api/public/v1/connections/{connectionId}", 0) == 0
    finally:
        assert m.unmount() == 0
