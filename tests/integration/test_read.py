"""The read-only tree through a real mount: every file of every connection shows the emulator's
truth with an exact size, listing costs one paginated walk, and mounting fails loudly and early."""
import json
import re
import os
import subprocess

import pytest

from conftest import (CLIENT_ID, OTHER_WORKSPACE, WORKSPACE, Emulator, Mount, airbytefs_binary,
                      run)


def canonical_streams(conn):
    out = []
    for s in conn["configurations"].get("streams", []):
        s = dict(s)
        if s.get("selectedFields") == []:
            del s["selectedFields"]
        out.append(s)
    return out


def expected_settings(conn):
    schedule = {"scheduleType": conn["schedule"]["scheduleType"]}
    if schedule["scheduleType"] == "cron":
        schedule["cronExpression"] = conn["schedule"]["cronExpression"].removesuffix(" UTC")
    elif schedule["scheduleType"] == "basic":
        schedule["basicTiming"] = conn["schedule"]["basicTiming"]
    settings = {"name": conn["name"], "status": conn["status"], "schedule": schedule,
                "configurations": {"streams": canonical_streams(conn)}}
    for key in ("prefix", "namespaceDefinition", "namespaceFormat", "nonBreakingSchemaUpdatesBehavior"):
        if key in conn:
            settings[key] = conn[key]
    if "tags" in conn:  # names, sorted
        settings["tags"] = sorted({t["name"] for t in conn["tags"]})
    return settings


JSON_FILES = {
    "connection.json": lambda conn: conn,
    "configurations.json": lambda conn: {"streams": canonical_streams(conn)},
    "settings.json": expected_settings,
}


def expected_files(conn, web_root):
    """What each file must contain, derived from the API's ConnectionResponse."""
    schedule = conn["schedule"]
    if schedule["scheduleType"] == "cron":
        sched = schedule["cronExpression"]
        sched = sched[:-4] if sched.endswith(" UTC") else sched
    elif schedule["scheduleType"] == "basic":
        sched = schedule["basicTiming"]
    else:
        sched = "manual"
    streams = "".join(s["name"] + "\n" for s in conn["configurations"].get("streams", []))
    return {
        "name": conn["name"] + "\n",
        "prefix": conn.get("prefix", "") + "\n",
        "enabled": ("true" if conn["status"] == "active" else "false") + "\n",
        "status": conn["status"] + "\n",
        "status_reason": conn.get("statusReason", "") + "\n",
        "schedule": sched + "\n",
        "streams": streams,
        "tags": "".join(n + "\n" for n in sorted({t["name"] for t in conn.get("tags", [])})),
        "namespace_definition": conn.get("namespaceDefinition", "") + "\n",
        "namespace_format": conn.get("namespaceFormat", "") + "\n",
        "non_breaking_schema_updates_behavior": conn.get("nonBreakingSchemaUpdatesBehavior", "") + "\n",
        "source_id": conn["sourceId"] + "\n",
        "destination_id": conn["destinationId"] + "\n",
        "workspace_id": conn["workspaceId"] + "\n",
        "url": f"{web_root}/workspaces/{WORKSPACE}/connections/{conn['connectionId']}\n",
        "connection.json": None,
        "configurations.json": None,
        "settings.json": None,
    }


def test_connections_listing_matches_emulator(mount, emulator):
    truth = emulator.connections()
    listed = run(f"ls {mount.path}/connections").stdout.split()
    assert sorted(listed) == sorted(truth)
    assert len(listed) >= 8
    others = [c for c, v in emulator.state()["connections"].items() if v["workspaceId"] == OTHER_WORKSPACE]
    assert others and not set(others) & set(listed)


def test_every_file_content_and_size(mount, emulator):
    web_root = emulator.base
    for cid, conn in emulator.connections().items():
        d = mount / "connections" / cid
        files = expected_files(conn, web_root)
        assert sorted(os.listdir(d)) == sorted([*files, "run", "jobs", "state.json", "catalog.json",
                                              "source", "destination", "health", "health.json", "last_success",
                                              "streams.d", "timeline", "timeline.json"])
        for name, want in files.items():
            got = run(f"cat '{d / name}'").stdout
            if name in JSON_FILES:
                doc = json.loads(got)
                if name == "settings.json":  # what it was exported from: a hash per member
                    exported = doc.pop("_exported")
                    assert set(exported) == set(doc) and all(re.fullmatch("[0-9a-f]{12}", h) for h in exported.values())
                assert doc == JSON_FILES[name](conn), f"{cid}/{name}"
                assert got.endswith("}\n") and not got.endswith("\n\n")
                assert list(json.loads(got)) == sorted(json.loads(got))  # stable key order
            else:
                assert got == want, f"{cid}/{name}"
            size = int(run(f"stat -c %s '{d / name}'").stdout)
            assert size == len(got.encode()), f"st_size of {cid}/{name}"


def test_schedules_cover_cron_manual_basic(mount, emulator):
    kinds = {c["schedule"]["scheduleType"] for c in emulator.connections().values()}
    assert kinds >= {"cron", "manual", "basic"}
    for cid, conn in emulator.connections().items():
        text = (mount / "connections" / cid / "schedule").read_text()
        assert not text.rstrip("\n").endswith(" UTC")
        if conn["schedule"]["scheduleType"] == "basic":
            assert text.startswith("Every ")


def test_one_walk_renders_every_file(mount, emulator):
    emulator.reset_requests()
    # jobs/ holds each connection's job history (its own requests); settings come from one walk.
    out = run(f"grep -r --exclude-dir=jobs . {mount.path}/connections").stdout
    assert out
    routes = emulator.requests()["routes"]
    gets = {k: v for k, v in routes.items() if k.startswith("GET ")}
    assert gets == {"GET /api/public/v1/connections": 1}, routes


def test_find_and_ls_l(mount, emulator):
    truth = emulator.connections()
    found = run(f"find {mount.path}/connections -name name -type f").stdout.split()
    assert len(found) == len(truth)
    ls = run(f"ls -l {mount.path}/connections/{next(iter(truth))}")
    assert ls.returncode == 0
    assert "-r--r--r--" in ls.stdout


def test_unknown_and_foreign_connections_are_enoent(mount, emulator):
    other = next(c for c, v in emulator.state()["connections"].items() if v["workspaceId"] == OTHER_WORKSPACE)
    for name in (other, "00000000-0000-4000-8000-00000000dead", "not-an-id", "..."):
        with pytest.raises(FileNotFoundError):
            os.stat(mount / "connections" / name)
    cid = next(iter(emulator.connections()))
    with pytest.raises(FileNotFoundError):
        os.stat(mount / "connections" / cid / "no_such_file")


def test_files_are_read_only(mount, emulator):
    cid = next(iter(emulator.connections()))
    with pytest.raises(PermissionError):
        open(mount / "connections" / cid / "connection.json", "w")


def test_mount_table_names_workspace(mount):
    line = next(l for l in open("/proc/self/mounts") if f" {mount.path} " in l)
    source, target, fstype = line.split()[:3]
    assert source == f"airbyte:{WORKSPACE}"
    assert fstype == "fuse.airbytefs"
    df = run(f"df {mount.path}").stdout
    assert f"airbyte:{WORKSPACE}" in df


def test_bearer_token_mount(emulator, tmp_path):
    m = Mount(emulator, env={"AIRBYTE_CLOUD_CLIENT_ID": "", "AIRBYTE_CLOUD_CLIENT_SECRET": "",
                             "AIRBYTE_CLOUD_BEARER_TOKEN": "demo-bearer-token"})
    try:
        assert os.listdir(m / "connections")
    finally:
        assert m.unmount() == 0


def mount_fails(emulator, tmp_path, options, env):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AIRBYTE_")}
    environment.update(env)
    target = tmp_path / "mnt"
    target.mkdir()
    proc = subprocess.run([airbytefs_binary(), "-o", ",".join(options), str(target)],
                          env=environment, capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    assert not os.path.ismount(target)
    lines = [l for l in proc.stderr.splitlines() if l.strip()]
    assert len(lines) == 1, proc.stderr
    return lines[0]


def test_bad_secret_fails_at_mount(emulator, tmp_path):
    msg = mount_fails(emulator, tmp_path, [f"api_url={emulator.api_url}", f"workspace={WORKSPACE}"],
                      {"AIRBYTE_CLOUD_CLIENT_ID": CLIENT_ID, "AIRBYTE_CLOUD_CLIENT_SECRET": "wrong"})
    assert "access token" in msg and "401" in msg
    assert "wrong" not in msg


def test_unknown_workspace_fails_at_mount(emulator, tmp_path):
    ws = "e0a1b2c3-0000-4000-8000-0000000000ff"
    msg = mount_fails(emulator, tmp_path, [f"api_url={emulator.api_url}", f"workspace={ws}"],
                      {"AIRBYTE_CLOUD_CLIENT_ID": CLIENT_ID, "AIRBYTE_CLOUD_CLIENT_SECRET": "demo-client-secret"})
    assert ws in msg and "404" in msg


def test_unreachable_url_fails_at_mount(emulator, tmp_path):
    msg = mount_fails(emulator, tmp_path, ["api_url=http://127.0.0.1:9/api/public/v1", f"workspace={WORKSPACE}",
                                           "connect_timeout=2"],
                      {"AIRBYTE_CLOUD_CLIENT_ID": CLIENT_ID, "AIRBYTE_CLOUD_CLIENT_SECRET": "demo-client-secret"})
    assert "127.0.0.1:9" in msg


def test_missing_credentials_fail_at_mount(emulator, tmp_path):
    msg = mount_fails(emulator, tmp_path, [f"api_url={emulator.api_url}", f"workspace={WORKSPACE}"], {})
    assert "credentials" in msg


def test_options_win_over_environment(emulator, tmp_path):
    # The environment names an unreachable API; the option names the emulator.
    m = Mount(emulator, env={"AIRBYTE_CLOUD_API_URL": "http://127.0.0.1:9/api/public/v1",
                             "AIRBYTE_CLOUD_WORKSPACE_ID": OTHER_WORKSPACE})
    try:
        assert (m / "connections").is_dir()
        names = os.listdir(m / "connections")
        assert set(names) == set(emulator.connections())
    finally:
        assert m.unmount() == 0


def test_fstab_words_are_ignored(emulator):
    m = Mount(emulator, options=["_netdev", "noauto", "user", "nofail", "x-systemd.automount"])
    try:
        assert (m / "connections").is_dir()
    finally:
        assert m.unmount() == 0


@pytest.fixture(scope="module")
def big_emulator():
    emu = Emulator("--connections", "250")
    yield emu
    emu.stop()


def test_listing_250_connections_costs_3_requests(big_emulator):
    m = Mount(big_emulator)
    try:
        big_emulator.reset_requests()
        out = run(f"ls -l {m.path}/connections")
        assert out.returncode == 0
        assert len(out.stdout.strip().splitlines()) == 1 + 250  # "total" line + entries
        log = big_emulator.requests()["log"]
        lists = [r for r in log if r["method"] == "GET" and r["path"] == "/api/public/v1/connections"]
        assert len(lists) == 3, lists
        queries = sorted(r["query"] for r in lists)
        for offset in (0, 100, 200):
            assert any(f"offset={offset}" in q and "limit=100" in q for q in queries)
        others = [r for r in log if r["path"] != "/api/public/v1/connections"
                  and r["path"] != "/api/public/v1/applications/token"]
        assert others == []
    finally:
        assert m.unmount() == 0
