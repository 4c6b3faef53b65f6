"""Plan, then apply (issue 15, part 3): a repository copied into MOUNT/staging/ sends nothing;
reading MOUNT/plan shows member by member what applying it would change against the live
workspace (a server change made after the export is drift, never reverted); `echo apply >
MOUNT/apply` applies exactly the plan that was read, refusing when the workspace changed since."""
import json
import os

from conftest import Mount, run

WRITES = ("PATCH /api/public/v1/connections/{connectionId}", "POST /api/public/v1/connections",
          "DELETE /api/public/v1/connections/{connectionId}", "POST /api/public/v1/jobs")
PATCH = WRITES[0]
POST = WRITES[1]


def sh(cmd):
    r = run(cmd)
    assert r.returncode == 0, f"{cmd}\n{r.stdout}\n{r.stderr}"
    return r.stdout


def writes(emulator):
    routes = emulator.requests()["routes"]
    return {w: routes[w] for w in WRITES if routes.get(w)}


def named(emulator, name):
    return next(cid for cid, c in emulator.connections().items() if c["name"] == name)


def export(mount, repo):
    sh(f"rsync -a {mount.path}/settings/ {repo}/")


def stage(mount, repo):
    sh(f"rsync -a --delete --exclude=.git {repo}/ {mount.path}/staging/")


def edit(repo, cid, **members):
    path = repo / f"{cid}.json"
    doc = json.loads(path.read_text())
    doc.update(members)
    path.write_text(json.dumps(doc, indent=2) + "\n")


def test_unchanged_repository_plans_nothing_and_sends_nothing(mount, emulator, tmp_path):
    repo = tmp_path / "repo"
    export(mount, repo)
    emulator.reset_requests()
    stage(mount, repo)
    assert sorted(os.listdir(mount / "staging")) == sorted(os.listdir(repo))
    assert writes(emulator) == {}
    assert sh(f"cat {mount.path}/plan") == "Plan: 0 to create, 0 to change, 0 to delete.\n"
    doc = json.loads(sh(f"cat {mount.path}/plan.json"))
    assert doc["items"] == [] and doc["summary"] == {"create": 0, "change": 0, "delete": 0}
    sh(f"echo apply > {mount.path}/apply")
    assert writes(emulator) == {}
    # files exported before _exported existed still plan (as edits throughout)
    for name in os.listdir(repo):
        edit(repo, name[:-5])
        doc = json.loads((repo / name).read_text())
        doc.pop("_exported")
        (repo / name).write_text(json.dumps(doc) + "\n")
    stage(mount, repo)
    assert sh(f"cat {mount.path}/plan") == "Plan: 0 to create, 0 to change, 0 to delete.\n"
    assert writes(emulator) == {}


def test_plan_shows_changes_creates_and_drift_then_applies_exactly_that(mount, emulator, tmp_path):
    repo = tmp_path / "repo"
    export(mount, repo)
    faker, github, cdc = (named(emulator, n) for n in ("Faker Demo", "GitHub → Postgres", "Postgres CDC → BigQuery"))
    before = emulator.connections()
    # the repository's edits
    edit(repo, faker, schedule={"scheduleType": "cron", "cronExpression": "30 2 * * 1-5"})
    edit(repo, github, prefix="gh2_", name="GitHub Raw")
    (repo / "stripe-to-bq.json").write_text(json.dumps({"source": "Stripe Billing",
                                                        "destination": "BigQuery Warehouse"}) + "\n")
    # a change in the web UI after the export
    emulator.admin("PATCH", f"/_emulator/connections/{cdc}", {"prefix": "from_the_ui_"})
    emulator.reset_requests()
    stage(mount, repo)
    plan = sh(f"cat {mount.path}/plan").splitlines()
    assert writes(emulator) == {}
    assert f'~ {faker} "Faker Demo": schedule manual -> "0 30 2 ? * 2-6"' in plan
    assert f'~ {github} "GitHub → Postgres": prefix "gh_" -> "gh2_"' in plan
    assert f'~ {github} "GitHub → Postgres": name "GitHub → Postgres" -> "GitHub Raw"' in plan
    assert '+ create stripe-to-bq.json "stripe-to-bq"' in plan
    assert f"! {cdc}: prefix changed on the server since it was exported" in plan
    assert plan[-1] == "Plan: 1 to create, 2 to change, 0 to delete."
    assert len(plan) == 6, plan
    doc = json.loads(sh(f"cat {mount.path}/plan.json"))
    assert doc["summary"] == {"create": 1, "change": 2, "delete": 0}
    assert {(i["action"], i.get("member")) for i in doc["items"]} == {
        ("change", "schedule"), ("change", "prefix"), ("change", "name"), ("create", None), ("drift", "prefix")}
    assert writes(emulator) == {}

    # apply: exactly the plan (one PATCH per changed connection, one POST), the drift kept
    sh(f"echo apply > {mount.path}/apply")
    assert writes(emulator) == {PATCH: 2, POST: 1}
    after = emulator.connections()
    assert after[faker]["schedule"] == {"scheduleType": "cron", "cronExpression": "0 30 2 ? * 2-6 UTC"}
    assert (after[github]["prefix"], after[github]["name"]) == ("gh2_", "GitHub Raw")
    assert after[cdc]["prefix"] == "from_the_ui_"  # never reverted
    [new] = [c for c in after if c not in before]
    assert after[new]["name"] == "stripe-to-bq"
    assert (mount / "settings" / ".last-created").read_text().splitlines()[-1] == f"{new} stripe-to-bq.json"
    # plan now shows each item's result; staging/ holds the new connection under its id
    result = sh(f"cat {mount.path}/plan").splitlines()
    assert all(line.endswith("=> done") for line in result if line.startswith(("~", "+")))
    assert result[-1] == "Applied: 4 done, 0 failed."
    staged = os.listdir(mount / "staging")
    assert f"{new}.json" in staged and "stripe-to-bq.json" not in staged
    # a second apply without reading the plan again is refused
    r = run(f"bash -c 'echo apply > {mount.path}/apply'")
    assert r.returncode != 0 and "Invalid argument" in r.stderr
    # the repository brought back in step plans nothing
    sh(f"rsync -a --delete {mount.path}/staging/ {repo}/")
    export(mount, repo)
    stage(mount, repo)
    plan = sh(f"cat {mount.path}/plan").splitlines()
    assert plan == ["Plan: 0 to create, 0 to change, 0 to delete."], plan


def test_apply_refuses_a_stale_plan_and_conflicts(mount, emulator, tmp_path):
    repo = tmp_path / "repo"
    export(mount, repo)
    faker = named(emulator, "Faker Demo")
    edit(repo, faker, prefix="repo_")
    stage(mount, repo)
    assert f'~ {faker} "Faker Demo": prefix "faker_" -> "repo_"' in sh(f"cat {mount.path}/plan")
    # the same member changed in the web UI after the plan was read: apply refuses, sends nothing
    emulator.admin("PATCH", f"/_emulator/connections/{faker}", {"prefix": "ui_"})
    emulator.reset_requests()
    r = run(f"bash -c 'echo apply > {mount.path}/apply'")
    assert r.returncode != 0 and "Stale file handle" in r.stderr, r.stderr
    assert "changed since the plan was read" in (mount / "errors").read_text().splitlines()[-1]
    assert writes(emulator) == {}
    # read again: a conflict (changed in the file and on the server), which apply refuses
    plan = sh(f"cat {mount.path}/plan")
    assert f"! {faker}: prefix changed on the server and in the file since it was exported" in plan
    r = run(f"bash -c 'echo apply > {mount.path}/apply'")
    assert r.returncode != 0 and "Invalid argument" in r.stderr
    assert writes(emulator) == {}
    assert emulator.connections()[faker]["prefix"] == "ui_"
    # an invalid staged file is shown and blocks the apply
    edit(repo, faker, prefix="ui_", status="paused")
    stage(mount, repo)
    plan = sh(f"cat {mount.path}/plan")
    assert f"! {faker}.json: status must be one of" in plan
    r = run(f"bash -c 'echo apply > {mount.path}/apply'")
    assert r.returncode != 0 and writes(emulator) == {}


def test_apply_create_with_a_lost_answer_posts_once(mount, emulator, tmp_path):
    (mount / "staging" / "lost.json").write_text(json.dumps({"source": "Faker Sample Data",
                                                             "destination": "Postgres Replica"}) + "\n")
    assert "+ create lost.json" in sh(f"cat {mount.path}/plan")
    emulator.admin("POST", "/_emulator/faults", {"method": "POST", "path": "/connections$", "kind": "reset_after",
                                                 "count": 1})
    emulator.reset_requests()
    try:
        sh(f"echo apply > {mount.path}/apply")
    finally:
        emulator.admin("DELETE", "/_emulator/faults")
    assert writes(emulator) == {POST: 1}
    assert [c for c in emulator.connections().values() if c["name"] == "lost"]


def test_deletion_needs_the_plan_and_allow_delete(emulator, tmp_path):
    emulator.reset()
    m = Mount(emulator, options=["allow_delete"])
    try:
        repo = tmp_path / "repo"
        export(m, repo)
        gone = named(emulator, "Sandbox (no streams)")
        os.remove(repo / f"{gone}.json")
        stage(m, repo)
        plan = sh(f"cat {m.path}/plan").splitlines()
        assert plan == [f'- delete {gone} "Sandbox (no streams)"', "Plan: 0 to create, 0 to change, 1 to delete."]
        emulator.reset_requests()
        sh(f"echo apply > {m.path}/apply")
        assert writes(emulator) == {WRITES[2]: 1}
        assert gone not in emulator.connections()
    finally:
        assert m.unmount() == 0
