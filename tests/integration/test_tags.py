"""Tags (issue 15, part 2): tags/<name>/ at the root (mkdir creates a tag, rmdir deletes an unused
one, mv renames, color read/write, connections/ links to the connections that carry it), a
connection's `tags` file (one name a line), and "tags": [names] in settings.json, which round-trips
through an export and sends nothing when re-applied unchanged."""
import json
import os

from conftest import run

PATCH_CONN = "PATCH /api/public/v1/connections/{connectionId}"
POST_TAG = "POST /api/public/v1/tags"
PATCH_TAG = "PATCH /api/public/v1/tags/{tagId}"
DELETE_TAG = "DELETE /api/public/v1/tags/{tagId}"


def sh(cmd):
    r = run(cmd)
    assert r.returncode == 0, f"{cmd}\n{r.stdout}\n{r.stderr}"
    return r.stdout


def named(emulator, name):
    return next(c for c in emulator.connections().values() if c["name"] == name)


def tag_names(conn):
    return sorted(t["name"] for t in conn["tags"])


def last_error(mount):
    lines = (mount / "errors").read_text().splitlines()
    return lines[-1] if lines else ""


def test_tags_directory(mount, emulator):
    t = mount / "tags"
    assert sorted(os.listdir(t)) == ["finance", "nightly", "prod"]
    assert sorted(os.listdir(t / "prod")) == ["color", "connections"]
    assert (t / "prod" / "color").read_text() == "#E53935\n"
    # connections/ links to the connections that carry the tag, named as in by-name/
    carrying = {cid for cid, c in emulator.connections().items() if "prod" in tag_names(c)}
    links = sorted(os.listdir(t / "prod" / "connections"))
    assert set(links) <= set(os.listdir(mount / "by-name")) and len(links) == len(carrying)
    targets = {os.readlink(t / "prod" / "connections" / link).split("/")[-1] for link in links}
    assert targets == carrying
    assert os.readlink(t / "prod" / "connections" / links[0]).startswith("../../../connections/")
    target = os.readlink(mount / "by-name" / links[0]).split("/")[-1]
    assert (t / "prod" / "connections" / links[0] / "name").read_text() == emulator.connections()[target]["name"] + "\n"

    # mkdir creates a tag
    emulator.reset_requests()
    sh(f"mkdir {t}/team-a")
    assert emulator.requests()["routes"].get(POST_TAG) == 1
    made = [x for x in emulator.state()["tags"].values() if x["name"] == "team-a"]
    assert len(made) == 1 and (t / "team-a" / "color").read_text() == "4A90E2\n"
    r = run(f"mkdir {t}/team-a")
    assert r.returncode != 0 and "File exists" in r.stderr
    assert emulator.requests()["routes"].get(POST_TAG) == 1

    # color: one line, answered by write(2)
    sh(f"echo FF5733 > {t}/team-a/color")
    assert emulator.state()["tags"][made[0]["tagId"]]["color"] == "FF5733"
    emulator.reset_requests()
    sh(f"echo FF5733 > {t}/team-a/color")  # the same value sends nothing
    assert emulator.requests()["routes"].get(PATCH_TAG, 0) == 0
    r = run(f"bash -c 'echo red > {t}/team-a/color'")
    assert r.returncode != 0 and "Invalid argument" in r.stderr and "hexadecimal" in last_error(mount)

    # a connection's tags file: the whole set, one name a line
    faker = named(emulator, "Faker Demo")
    ctags = mount / "connections" / faker["connectionId"] / "tags"
    assert ctags.read_text() == ""
    sh(f"printf 'team-a\\nprod\\n' > {ctags}")
    assert tag_names(emulator.connections()[faker["connectionId"]]) == ["prod", "team-a"]
    assert ctags.read_text() == "prod\nteam-a\n"
    assert "Faker Demo" in os.listdir(t / "team-a" / "connections")
    emulator.reset_requests()
    sh(f"printf 'prod\\nteam-a\\n\\n' > {ctags}")  # the same set, another order: nothing sent
    assert emulator.requests()["routes"].get(PATCH_CONN, 0) == 0
    r = run(f"printf 'no-such-tag\\n' | tee {ctags}")  # tee reports close(2)
    assert r.returncode != 0 and "no tag \"no-such-tag\"" in last_error(mount)
    assert emulator.requests()["routes"].get(PATCH_CONN, 0) == 0

    # rmdir refuses a tag a connection carries, then deletes it once it is unused
    r = run(f"rmdir {t}/team-a")
    assert r.returncode != 0 and "not empty" in r.stderr and "take it off" in last_error(mount)
    assert emulator.requests()["routes"].get(DELETE_TAG, 0) == 0
    sh(f"echo prod > {ctags}")
    sh(f"rmdir {t}/team-a")
    assert emulator.requests()["routes"].get(DELETE_TAG) == 1
    assert "team-a" not in os.listdir(t)
    assert not [x for x in emulator.state()["tags"].values() if x["name"] == "team-a"]

    # mv renames: connections show the new name
    nightly = sorted(c["connectionId"] for c in emulator.connections().values() if "nightly" in tag_names(c))
    emulator.reset_requests()
    sh(f"mv {t}/nightly {t}/nightly-jobs")
    assert emulator.requests()["routes"].get(PATCH_TAG) == 1
    assert sorted(os.listdir(t)) == ["finance", "nightly-jobs", "prod"]
    for cid in nightly:
        assert (mount / "connections" / cid / "tags").read_text() == "nightly-jobs\n"
        assert json.loads((mount / "settings" / f"{cid}.json").read_text())["tags"] == ["nightly-jobs"]
    r = run(f"mv {t}/nightly-jobs {t}/prod")
    assert r.returncode != 0
    assert sorted(os.listdir(t)) == ["finance", "nightly-jobs", "prod"]


def test_tags_round_trip_through_settings(mount, emulator, tmp_path):
    repo = tmp_path / "repo"
    sh(f"rsync -a {mount.path}/settings/ {repo}/")
    stripe = named(emulator, "Stripe / Billing → BigQuery")
    doc = json.loads((repo / f"{stripe['connectionId']}.json").read_text())
    assert doc["tags"] == ["finance", "prod"]  # names, sorted: portable between workspaces
    # an unchanged repository sends nothing
    emulator.reset_requests()
    sh(f"rsync -rc --exclude=.git {repo}/ {mount.path}/settings/")
    assert emulator.requests()["routes"].get(PATCH_CONN, 0) == 0
    # an edit of the tags sends one PATCH with the whole set, as Tag objects
    doc["tags"] = ["prod", "nightly"]
    (repo / f"{stripe['connectionId']}.json").write_text(json.dumps(doc, indent=2) + "\n")
    sh(f"rsync -rc --exclude=.git {repo}/ {mount.path}/settings/")
    routes = emulator.requests()["routes"]
    assert routes.get(PATCH_CONN) == 1, routes
    assert tag_names(emulator.connections()[stripe["connectionId"]]) == ["nightly", "prod"]
    patch = [e for e in emulator.requests()["log"] if e["method"] == "PATCH"][-1]
    sent = json.loads(patch["body"]) if isinstance(patch["body"], str) else patch["body"]
    assert sorted(t["name"] for t in sent["tags"]) == ["nightly", "prod"] and all("tagId" in t for t in sent["tags"])
    emulator.reset_requests()
    sh(f"rsync -rc --exclude=.git {repo}/ {mount.path}/settings/")
    assert emulator.requests()["routes"].get(PATCH_CONN, 0) == 0
    # a tag the workspace does not have is refused before anything is sent
    doc["tags"] = ["prod", "ghost"]
    (repo / f"{stripe['connectionId']}.json").write_text(json.dumps(doc, indent=2) + "\n")
    r = run(f"rsync -rc --exclude=.git {repo}/ {mount.path}/settings/")
    assert r.returncode != 0 and 'no tag "ghost"' in last_error(mount)
    assert emulator.requests()["routes"].get(PATCH_CONN, 0) == 0
    # a draft takes tag names too
    sh(f"""echo '{{"source": "Faker Sample Data", "destination": "Postgres Replica", "tags": ["nightly"]}}' """
       f"""> {mount.path}/settings/tagged.json""")
    assert tag_names(named(emulator, "tagged")) == ["nightly"]
