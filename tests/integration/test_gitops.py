"""The GitOps round trip, exactly as docs/gitops.md tells users to do it: export every connection's
settings into a git repository, change three connections there, commit, apply with one command;
the emulator then shows exactly those changes after exactly 3 PATCH requests, applying again sends
none, and `diff -r` between the repository and the mount is empty."""
import json
import os

from conftest import run

PATCH_ROUTE = "PATCH /api/public/v1/connections/{connectionId}"


def sh(cmd, **kw):
    r = run(cmd, **kw)
    assert r.returncode == 0, f"{cmd}\n{r.stdout}\n{r.stderr}"
    return r.stdout


def test_gitops_round_trip(mount, emulator, tmp_path):
    repo = tmp_path / "workspace-settings"
    before = emulator.connections()
    # Export (docs/gitops.md step 1).
    sh(f"rsync -a {mount.path}/settings/ {repo}/")
    sh(f"cd {repo} && git init -q && git add . && git -c user.email=a@b -c user.name=ops commit -qm export")
    assert sorted(os.listdir(repo)) == sorted([".git"] + [f"{c}.json" for c in before])

    # Change three connections in the repository.
    ids = sorted(before)
    named = {v["name"]: k for k, v in before.items()}
    a, b, c = named["Faker Demo"], named["GitHub → Postgres"], named["Postgres CDC → BigQuery"]
    sh(f"sed -i 's/^  \"name\": \".*\"/  \"name\": \"Renamed by git\"/' {repo}/{a}.json")
    doc = json.loads((repo / f"{b}.json").read_text())
    doc["schedule"] = {"scheduleType": "cron", "cronExpression": "0 45 4 * * ?"}
    (repo / f"{b}.json").write_text(json.dumps(doc, indent=2) + "\n")
    doc = json.loads((repo / f"{c}.json").read_text())
    doc["status"] = "inactive" if doc["status"] == "active" else "active"
    doc["prefix"] = "gitops_"
    (repo / f"{c}.json").write_text(json.dumps(doc, indent=2) + "\n")
    sh(f"cd {repo} && git -c user.email=a@b -c user.name=ops commit -qam 'three changes'")

    # Apply (docs/gitops.md step 3): one command.
    emulator.reset_requests()
    r = run(f"rsync -rc --exclude=.git {repo}/ {mount.path}/settings/")
    assert r.returncode == 0, r.stderr + (mount / "errors").read_text()
    routes = emulator.requests()["routes"]
    assert routes.get(PATCH_ROUTE, 0) == 3, routes
    after = emulator.connections()
    assert after[a]["name"] == "Renamed by git"
    assert after[b]["schedule"] == {"scheduleType": "cron", "cronExpression": "0 45 4 * * ? UTC"}
    assert after[c]["prefix"] == "gitops_" and after[c]["status"] != before[c]["status"]
    for cid in ids:
        if cid not in (a, b, c):
            assert after[cid] == before[cid], cid
    for key in set(before[a]) - {"name"}:
        assert after[a][key] == before[a][key], key

    # Applying again sends nothing.
    emulator.reset_requests()
    sh(f"rsync -rc --exclude=.git {repo}/ {mount.path}/settings/")
    assert emulator.requests()["routes"].get(PATCH_ROUTE, 0) == 0

    # The mount now says what the repository says, byte for byte... after re-export formatting.
    sh(f"rsync -a {mount.path}/settings/ {repo}/")
    sh(f"diff -r -x .git {repo} {mount.path}/settings")
    status = sh(f"cd {repo} && git status --porcelain")
    # Re-export only reformats the three hand-edited files; their meaning is unchanged.
    changed = {line.split()[-1] for line in status.splitlines()}
    assert changed <= {f"{a}.json", f"{b}.json", f"{c}.json"}
    for name in changed:
        committed = json.loads(sh(f"cd {repo} && git show HEAD:{name}"))
        exported = json.loads((repo / name).read_text())
        # _exported is what the file was exported from (a hash per member): it follows the server
        committed.pop("_exported", None)
        exported.pop("_exported")
        assert exported == committed


def test_rsync_local_tree_onto_connection(mount, emulator, tmp_path):
    conn = next(c for c in emulator.connections().values() if c["name"] == "Faker Demo")
    local = tmp_path / "faker"
    local.mkdir()
    (local / "name").write_text("Faker From Rsync\n")
    (local / "prefix").write_text("rsync_\n")
    (local / "enabled").write_text("false\n")
    emulator.reset_requests()
    sh(f"rsync -r {local}/ {mount.path}/connections/{conn['connectionId']}/")
    after = emulator.state()["connections"][conn["connectionId"]]
    assert (after["name"], after["prefix"], after["status"]) == ("Faker From Rsync", "rsync_", "inactive")
    assert emulator.requests()["routes"].get(PATCH_ROUTE, 0) == 3
    sh(f"diff {local}/name {mount.path}/connections/{conn['connectionId']}/name")


def test_reapplying_an_exported_connection_directory_converges(mount, emulator, tmp_path):
    """rsync -rc of an exported connection directory with one setting edited sends that setting
    once; settings.json there is a read-only view (it is written under settings/), so it cannot
    flip the value back, and a second apply sends nothing (issue 12, item 5)."""
    cid = next(c for c, v in emulator.connections().items() if v["name"] == "Faker Demo")
    one = tmp_path / "one"
    one.mkdir()
    writable = [f for f in os.listdir(mount / "connections" / cid)
                if os.path.isfile(mount / "connections" / cid / f) and os.access(mount / "connections" / cid / f, os.W_OK)
                and os.stat(mount / "connections" / cid / f).st_mode & 0o200 and f not in ("run", "state.json", "catalog.json")]
    assert "settings.json" in writable and "prefix" in writable and "connection.json" not in writable
    for f in writable:
        (one / f).write_bytes((mount / "connections" / cid / f).read_bytes())
    (one / "prefix").write_text("edited_\n")
    emulator.reset_requests()
    r = run(f"rsync -rc --exclude settings.json {one}/ {mount.path}/connections/{cid}/")
    assert r.returncode == 0, r.stderr
    assert emulator.state()["connections"][cid]["prefix"] == "edited_"
    patches = emulator.route_count("PATCH /api/public/v1/connections/{connectionId}")
    assert patches == 1
    # settings.json in a connection directory refuses writes, saying where it is written
    r = run(f"cp {one}/settings.json {mount.path}/connections/{cid}/settings.json")
    assert r.returncode != 0 and "Permission denied" in r.stderr
    assert emulator.state()["connections"][cid]["prefix"] == "edited_"
    assert f"settings/{cid}.json" in (mount / "errors").read_text().splitlines()[-1]
    emulator.reset_requests()
    assert run(f"rsync -rc --exclude settings.json {one}/ {mount.path}/connections/{cid}/").returncode == 0
    # without --exclude, the apply still converges: settings.json refuses to flip the value back
    # (rsync reports that file as not transferred)
    emulator.reset_requests()
    r = run(f"rsync -rc {one}/ {mount.path}/connections/{cid}/")
    assert r.returncode == 23 and "settings.json" in r.stderr
    assert emulator.state()["connections"][cid]["prefix"] == "edited_"
    assert emulator.route_count("PATCH /api/public/v1/connections/{connectionId}") == 0
    assert emulator.route_count("PATCH /api/public/v1/connections/{connectionId}") == 0
