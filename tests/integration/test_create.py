"""Creating a connection from a file (issue 15, part 1): a draft settings/<name>.json whose name is
not a connection id is sent as ONE POST /connections, from the write(2) that completes it (so a
shell's echo sees the answer) or when a tool's temporary file is renamed onto it (rsync); then the
draft is gone and settings/<new id>.json, connections/<new id>/ and a line of
settings/.last-created are there. A lost answer is checked against the listing, never resent."""
import json
import os

from conftest import run

POST = "POST /api/public/v1/connections"
STREAMS = "GET /api/public/v1/streams"


def sh(cmd):
    r = run(cmd)
    assert r.returncode == 0, f"{cmd}\n{r.stdout}\n{r.stderr}"
    return r.stdout


def draft(**members):
    body = {"source": "Stripe Billing", "destination": "BigQuery Warehouse"}
    body.update(members)
    return json.dumps(body)


def new_ids(emulator, before):
    return sorted(set(emulator.connections()) - set(before))


def last_line(path):
    lines = path.read_text().splitlines()
    return lines[-1] if lines else ""


def test_echo_creates_one_connection(mount, emulator):
    before = emulator.connections()
    emulator.reset_requests()
    body = draft(prefix="s_", schedule={"scheduleType": "cron", "cronExpression": "0 30 2 ? * 2-6"},
                 configurations={"streams": [{"name": "charges", "syncMode": "full_refresh_append"}]})
    r = run(f"bash -c 'echo \"$0\" > {mount.path}/settings/stripe-to-bq.json' '{body}'")
    assert r.returncode == 0, r.stderr + (mount / "errors").read_text()
    routes = emulator.requests()["routes"]
    assert routes.get(POST) == 1 and routes.get(STREAMS) == 1, routes
    [cid] = new_ids(emulator, before)
    made = emulator.connections()[cid]
    assert made["name"] == "stripe-to-bq" and made["prefix"] == "s_"
    assert made["schedule"] == {"scheduleType": "cron", "cronExpression": "0 30 2 ? * 2-6 UTC"}
    assert [(s["name"], s["syncMode"]) for s in made["configurations"]["streams"]] == [
        ("charges", "full_refresh_append")]
    # the draft is gone; the connection is there under its id; the id is where a script finds it
    names = os.listdir(mount / "settings")
    assert "stripe-to-bq.json" not in names and f"{cid}.json" in names
    assert ".last-created" not in names  # not listed: an export does not copy it
    assert last_line(mount / "settings" / ".last-created") == f"{cid} stripe-to-bq.json"
    assert sh(f"cat {mount.path}/connections/{cid}/name") == "stripe-to-bq\n"
    assert os.readlink(mount / "by-name" / "stripe-to-bq") == f"../connections/{cid}"
    shown = json.loads((mount / "settings" / f"{cid}.json").read_text())
    assert shown["prefix"] == "s_"
    # the same file again names an existing connection: refused, nothing sent
    emulator.reset_requests()
    r = run(f"bash -c 'echo \"$0\" > {mount.path}/settings/stripe-to-bq.json' '{body}'")
    assert r.returncode != 0 and "File exists" in r.stderr
    assert emulator.requests()["routes"].get(POST, 0) == 0
    assert cid in last_line(mount / "errors") and "already has this name" in last_line(mount / "errors")
    assert new_ids(emulator, before) == [cid]


def test_refused_drafts_send_nothing(mount, emulator):
    before = emulator.connections()
    pg = next(s for s in emulator.state()["sources"].values() if s["name"] == "Production Postgres")
    faker = next(s for s in emulator.state()["sources"].values() if s["name"] == "Faker Sample Data")
    # two sources of one name make that name ambiguous
    sh(f"printf 'Production Postgres\\n' > {mount.path}/sources/{faker['sourceId']}/name")
    emulator.reset_requests()
    cases = [
        (draft(source="Production Postgres"), "ambiguous"),
        (draft(source="No Such Source"), "no source of that name"),
        (draft(sourceId=pg["sourceId"]), "either sourceId or source"),
        (draft(colour="red"), '"colour" is not a member'),
        (draft(schedule={"scheduleType": "cron", "cronExpression": "61 * * * *"}), "schedule"),
        (json.dumps({"destination": "BigQuery Warehouse"}), "needs its source"),
        (draft(configurations={"streams": [{"name": "nope"}]}), 'no stream "nope"'),
        (draft(configurations={"streams": [{"name": "charges", "syncMode": "full_refresh_soft_delete"}]}),
         "not one this source and destination allow"),
        ("[1, 2]", "JSON object"),
    ]
    for body, fragment in cases:
        r = run(f"bash -c 'echo \"$0\" > {mount.path}/settings/bad.json' '{body}'")
        assert r.returncode != 0 and "Invalid argument" in r.stderr, (body, r.stderr)
        assert fragment in last_line(mount / "errors"), (body, last_line(mount / "errors"))
        assert "bad.json" not in os.listdir(mount / "settings")  # a refused draft is not left behind
    routes = emulator.requests()["routes"]
    assert routes.get(POST, 0) == 0, routes
    assert routes.get(STREAMS, 0) == 2  # only the drafts with streams asked for them
    assert new_ids(emulator, before) == []


def test_lost_answer_is_checked_never_resent(mount, emulator):
    before = emulator.connections()
    for kind, name in (("reset_after", "lost-reset"), ("cut", "lost-cut")):
        emulator.admin("DELETE", "/_emulator/faults")
        emulator.admin("POST", "/_emulator/faults",
                       {"method": "POST", "path": "/connections$", "kind": kind, "count": 1})
        emulator.reset_requests()
        r = run(f"bash -c 'echo \"$0\" > {mount.path}/settings/{name}.json' '{draft()}'")
        assert r.returncode == 0, kind + r.stderr + (mount / "errors").read_text()
        assert emulator.requests()["routes"].get(POST) == 1, kind
        made = [c for c in new_ids(emulator, before) if emulator.connections()[c]["name"] == name]
        assert len(made) == 1, kind
        assert last_line(mount / "settings" / ".last-created") == f"{made[0]} {name}.json"
        assert f"{made[0]}.json" in os.listdir(mount / "settings")
    emulator.admin("DELETE", "/_emulator/faults")
    # a refusal that did not act is reported as it is, and nothing was made
    emulator.admin("POST", "/_emulator/faults",
                   {"method": "POST", "path": "/connections$", "kind": "status", "status": 500, "count": 1})
    r = run(f"bash -c 'echo \"$0\" > {mount.path}/settings/refused.json' '{draft()}'")
    emulator.admin("DELETE", "/_emulator/faults")
    assert r.returncode != 0 and "Input/output error" in r.stderr, r.stderr
    assert not [c for c in new_ids(emulator, before) if emulator.connections()[c]["name"] == "refused"]
    assert "refused.json" not in os.listdir(mount / "settings")


def test_rsync_cp_python_and_mkdir(mount, emulator, tmp_path):
    before = emulator.connections()
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "by-rsync.json").write_text(json.dumps(json.loads(draft()), indent=2) + "\n")
    (repo / "by-cp.json").write_text(draft(status="inactive") + "\n")
    emulator.reset_requests()
    # rsync writes .by-rsync.json.XXXXXX and renames it onto the draft's name: the rename creates
    sh(f"rsync -a {repo}/by-rsync.json {mount.path}/settings/")
    sh(f"cp {repo}/by-cp.json {mount.path}/settings/")
    assert emulator.requests()["routes"].get(POST) == 2
    made = {emulator.connections()[c]["name"]: c for c in new_ids(emulator, before)}
    assert set(made) == {"by-rsync", "by-cp"}
    assert emulator.connections()[made["by-cp"]]["status"] == "inactive"
    created = (mount / "settings" / ".last-created").read_text().splitlines()
    assert created[-2:] == [f"{made['by-rsync']} by-rsync.json", f"{made['by-cp']} by-cp.json"]
    assert not [n for n in os.listdir(mount / "settings") if n.startswith(".by-rsync")]
    # a writer without a final newline is answered at close (Python raises there)
    path = mount / "settings" / "by-python.json"
    with open(path, "w") as f:
        f.write(json.dumps(json.loads(draft(name="Python Made"))))
    assert "Python Made" in {c["name"] for c in emulator.connections().values()}
    try:
        with open(path, "w") as f:
            f.write(json.dumps(json.loads(draft(status="paused"))))
        raise AssertionError("close should have failed")
    except OSError as e:
        assert e.errno == 22
    # mkdir connections/<name> is refused, saying how a connection is made
    r = run(f"mkdir {mount.path}/connections/new-one")
    assert r.returncode != 0 and "Operation not permitted" in r.stderr
    assert "settings/new-one.json" in last_line(mount / "errors")


def test_vim_and_gio_style_saves(mount, emulator, tmp_path):
    """An editor creating the file (vim, with its 4913 probe and backup settings) and a save
    through a temporary file renamed onto the name (gedit, Python's os.replace) each create one
    connection."""
    before = emulator.connections()
    emulator.reset_requests()
    body = draft().replace("'", "")
    r = run(f"vim -u NONE -i NONE -N -es -c 'set backup writebackup backupcopy=auto' "
            f"-c 'call setline(1, {json.dumps(body)})' -c 'w {mount.path}/settings/by-vim.json' -c 'q!'",
            timeout=30)
    assert r.returncode == 0, r.stdout + r.stderr + (mount / "errors").read_text()
    tmp = mount / "settings" / ".goutputstream-ABC123"
    tmp.write_text(draft(prefix="g_") + "\n")
    os.replace(tmp, mount / "settings" / "by-gio.json")
    assert emulator.requests()["routes"].get(POST) == 2
    made = {emulator.connections()[c]["name"]: emulator.connections()[c] for c in new_ids(emulator, before)}
    assert set(made) == {"by-vim", "by-gio"} and made["by-gio"]["prefix"] == "g_"
    names = os.listdir(mount / "settings")
    assert not {"by-vim.json", "by-gio.json", ".goutputstream-ABC123", "4913"} & set(names)
