# Tests of the Airbyte API emulator itself: every body it serves validates against the official
# OpenAPI schemas (public-api.yaml, config-api.yaml, problems.yaml), and its behaviour matches the
# real server's documented quirks (the Airbyte API contract). Run: /usr/bin/python3 -m pytest tests/emulator

import concurrent.futures
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

import jsonschema
import pytest
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import jobs  # noqa: E402
import cron  # noqa: E402

EMULATOR = os.path.join(HERE, "airbyte_emulator.py")
API_DIR = os.path.normpath(os.path.join(HERE, "..", "..", "..", "shared", "airbyte-api"))
DEMO_WS = "e0a1b2c3-0000-4000-8000-000000000001"
OTHER_WS = "e0a1b2c3-0000-4000-8000-000000000002"
PUB = "/api/public/v1"
CFG = "/api/v1"
BEARER = "demo-bearer-token"
JOB_DURATION = 1.0


# --- running emulators ---------------------------------------------------------------------------

class Emulator:
    def __init__(self, *args):
        self.dir = tempfile.mkdtemp(prefix="emu-")
        self.port_file = os.path.join(self.dir, "port")
        started = time.monotonic()
        self.proc = subprocess.Popen(
            [sys.executable, EMULATOR, "--port", "0", "--port-file", self.port_file, "--quiet"] + list(args),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        while not os.path.exists(self.port_file):
            if self.proc.poll() is not None:
                raise RuntimeError("emulator died: %s" % self.proc.stderr.read())
            if time.monotonic() - started > 20:
                raise RuntimeError("emulator did not start")
            time.sleep(0.01)
        self.startup_seconds = time.monotonic() - started
        with open(self.port_file) as f:
            self.port = int(f.read())
        self.first_line = self.proc.stdout.readline()

    def call(self, method, path, body=None, token=BEARER, headers=None, form=False, timeout=10):
        """(status, headers, parsed JSON body or raw text or None)."""
        hdrs = dict(headers or {})
        data = None
        if body is not None:
            if form:
                data = urllib.parse.urlencode(body).encode()
                hdrs["Content-Type"] = "application/x-www-form-urlencoded"
            else:
                data = (body if isinstance(body, str) else json.dumps(body)).encode()
                hdrs["Content-Type"] = "application/json"
        if token:
            hdrs["Authorization"] = "Bearer " + token
        req = urllib.request.Request("http://127.0.0.1:%d%s" % (self.port, path), data=data,
                                     method=method, headers=hdrs)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                status, rh, raw = resp.status, resp.headers, resp.read()
        except urllib.error.HTTPError as e:
            status, rh, raw = e.code, e.headers, e.read()
        text = raw.decode("utf-8")
        try:
            value = json.loads(text) if text else None
        except ValueError:
            value = text
        return status, rh, value

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def ok(self, method, path, body=None, **kw):
        status, _, value = self.call(method, path, body, **kw)
        assert status == 200, (status, value)
        return value

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.proc.stdout.close()
        self.proc.stderr.close()


@pytest.fixture(scope="session")
def emu():
    e = Emulator("--job-duration", str(JOB_DURATION))
    yield e
    e.stop()


@pytest.fixture(autouse=True)
def fresh(request):
    if "emu" in request.fixturenames:
        emu = request.getfixturevalue("emu")
        emu.ok("POST", "/_emulator/reset")
    yield


def conn_list(emu, **params):
    params.setdefault("workspaceIds", DEMO_WS)
    return emu.ok("GET", PUB + "/connections?" + urllib.parse.urlencode(params))


def all_connections(emu, workspace=DEMO_WS, include_deleted=False):
    out, offset = [], 0
    while True:
        page = emu.ok("GET", PUB + "/connections?workspaceIds=%s&limit=100&offset=%d&includeDeleted=%s"
                      % (workspace, offset, str(include_deleted).lower()))
        out.extend(page["data"])
        if len(page["data"]) < 100:
            return out
        offset += 100


def by_name(emu, name, workspace=DEMO_WS):
    found = [c for c in all_connections(emu, workspace) if c["name"] == name]
    assert len(found) == 1, (name, found)
    return found[0]


def wait_status(emu, job_id, wanted, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = emu.ok("GET", PUB + "/jobs/%d" % job_id)
        if job["status"] == wanted:
            return job
        time.sleep(0.05)
    raise AssertionError("job %d never reached %s (last %s)" % (job_id, wanted, job["status"]))


# --- schema validation ---------------------------------------------------------------------------

def _openapi_to_jsonschema(node):
    """OpenAPI 3.0 schema objects -> JSON Schema: `nullable`, and refs into one document."""
    if isinstance(node, list):
        return [_openapi_to_jsonschema(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _openapi_to_jsonschema(v) for k, v in node.items()
           if k not in ("example", "examples", "x-speakeasy-entity", "discriminator")}
    if out.pop("nullable", False):
        if "type" in out:
            out["type"] = [out["type"], "null"] if isinstance(out["type"], str) else out["type"] + ["null"]
        else:
            out = {"anyOf": [out, {"type": "null"}]}
    if "format" in out and not isinstance(out["format"], str):
        del out["format"]
    return out


def _strict(node, inside_combinator=False):
    """Close objects (additionalProperties: false) so invented fields are caught too."""
    if isinstance(node, list):
        return [_strict(n, inside_combinator) for n in node]
    if not isinstance(node, dict):
        return node
    combo = any(k in node for k in ("allOf", "anyOf", "oneOf"))
    out = {}
    for k, v in node.items():
        if k in ("allOf", "anyOf"):
            out[k] = _strict(v, True)
        else:
            out[k] = _strict(v, inside_combinator and k not in ("properties", "items"))
    if "properties" in out and "additionalProperties" not in out and not combo and not inside_combinator:
        out["additionalProperties"] = False
    return out


class Schemas:
    def __init__(self, filename, strict, patch=None):
        path = os.path.join(API_DIR, filename)
        assert os.path.exists(path), "official OpenAPI file missing: %s" % path
        with open(path) as f:
            doc = yaml.safe_load(f)
        schemas = doc["components"]["schemas"]
        if patch:
            patch(schemas)
        converted = _openapi_to_jsonschema(schemas)
        if strict:
            converted = {k: _strict(v) for k, v in converted.items()}
        self.document = {"components": {"schemas": converted}}
        self.resolver = jsonschema.RefResolver("", self.document)

    def validate(self, name, instance):
        assert name in self.document["components"]["schemas"], name
        validator = jsonschema.Draft7Validator({"$ref": "#/components/schemas/" + name}, resolver=self.resolver)
        errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
        assert not errors, "%s: %s at %s" % (name, errors[0].message, list(errors[0].absolute_path))


def _patch_config_quirks(schemas):
    # config-api.yaml requires `json_schema` on AirbyteStream while declaring the property as
    # `jsonSchema` with additionalProperties:false, so no body could ever validate. The server
    # sends `jsonSchema` (WebBackendConnectionRead, as the real server does); check the quirk is still there, then repair it.
    stream = schemas["AirbyteStream"]
    assert "json_schema" in stream["required"] and "jsonSchema" in stream["properties"]
    stream["required"] = ["jsonSchema" if r == "json_schema" else r for r in stream["required"]]
    # The same slip in ConnectionEvent(WithDetails): `created_at` required, `createdAt` declared; the
    # server sends createdAt.
    for name in ("ConnectionEvent", "ConnectionEventWithDetails"):
        event = schemas[name]
        assert "created_at" in event["required"] and "createdAt" in event["properties"]
        event["required"] = ["createdAt" if r == "created_at" else r for r in event["required"]]


@pytest.fixture(scope="session")
def public_schemas():
    return Schemas("public-api.yaml", strict=True)


@pytest.fixture(scope="session")
def config_schemas():
    return Schemas("config-api.yaml", strict=True, patch=_patch_config_quirks)


@pytest.fixture(scope="session")
def problem_schemas():
    return Schemas("problems.yaml", strict=False)


def test_public_bodies_validate(emu, public_schemas, problem_schemas):
    v = public_schemas.validate
    v("PublicAccessTokenResponse", emu.ok("POST", PUB + "/applications/token",
                                          {"client_id": "demo-client-id", "client_secret": "demo-client-secret"},
                                          token=None))
    v("WorkspacesResponse", emu.ok("GET", PUB + "/workspaces"))
    for ws in (DEMO_WS, OTHER_WS):
        v("WorkspaceResponse", emu.ok("GET", PUB + "/workspaces/" + ws))
    for offset in (0, 3, 6, 9, 12):
        v("ConnectionsResponse", conn_list(emu, limit=3, offset=offset, workspaceIds=""))
    everything = emu.ok("GET", PUB + "/connections?limit=100")["data"]
    assert len(everything) == 12
    for c in everything:
        v("ConnectionResponse", emu.ok("GET", PUB + "/connections/" + c["connectionId"]))
    sources = emu.ok("GET", PUB + "/sources")
    v("SourcesResponse", sources)
    for s in sources["data"]:
        v("SourceResponse", emu.ok("GET", PUB + "/sources/" + s["sourceId"]))
    dests = emu.ok("GET", PUB + "/destinations")
    v("DestinationsResponse", dests)
    for d in dests["data"]:
        v("DestinationResponse", emu.ok("GET", PUB + "/destinations/" + d["destinationId"]))
        for s in sources["data"]:
            v("StreamPropertiesResponse", emu.ok("GET", PUB + "/streams?sourceId=%s&destinationId=%s"
                                                 % (s["sourceId"], d["destinationId"])))
    v("JobsResponse", emu.ok("GET", PUB + "/jobs?limit=100"))
    for j in emu.ok("GET", PUB + "/jobs?limit=100&jobType=reset")["data"]:
        v("JobResponse", j)
    cid = by_name(emu, "Faker Demo")["connectionId"]
    emu.ok("POST", "/_emulator/next-job", {"outcome": "failed", "attempts": 2, "duration": 1.0})
    job = emu.ok("POST", PUB + "/jobs", {"connectionId": cid, "jobType": "sync"})
    v("JobResponse", job)                           # pending
    seen = {job["status"]}
    while True:
        j = emu.ok("GET", PUB + "/jobs/%d" % job["jobId"])
        v("JobResponse", j)
        seen.add(j["status"])
        if j["status"] in ("succeeded", "failed", "cancelled"):
            break
        time.sleep(0.05)
    assert {"pending", "running", "failed"} <= seen
    # problem bodies
    p = problem_schemas.validate
    p("ResourceNotFoundProblemResponse", emu.get(PUB + "/connections/" + "0" * 8 + "-0000-4000-8000-" + "0" * 12)[2])
    p("ResourceNotFoundProblemResponse", emu.get(PUB + "/workspaces/" + "1" * 8 + "-0000-4000-8000-" + "0" * 12)[2])
    p("BadRequestProblemResponse", conn_list_status(emu, limit=101)[1])
    p("InvalidApiKeyProblemResponse", emu.get(PUB + "/connections", token="nope")[2])
    locked = by_name(emu, "Locked Billing Sync")["connectionId"]
    p("ConnectionLockedProblemResponse", emu.call("PATCH", PUB + "/connections/" + locked, {"name": "x"})[2])
    cid = by_name(emu, "GitHub → Postgres")["connectionId"]
    job = emu.ok("POST", PUB + "/jobs", {"connectionId": cid, "jobType": "sync"})
    p("TryAgainLaterConflictProblemResponse", emu.call("POST", PUB + "/jobs", {"connectionId": cid, "jobType": "sync"})[2])
    p("UnprocessableEntityProblemResponse",
      emu.call("POST", PUB + "/jobs", {"connectionId": cid, "jobType": "refresh"})[2])
    wait_status(emu, job["jobId"], "succeeded")
    p("StateConflictProblemResponse", emu.call("DELETE", PUB + "/jobs/%d" % job["jobId"])[2])


def conn_list_status(emu, **params):
    params.setdefault("workspaceIds", DEMO_WS)
    status, _, body = emu.get(PUB + "/connections?" + urllib.parse.urlencode(params))
    return status, body


def test_config_bodies_validate(emu, config_schemas):
    v = config_schemas.validate
    connections = all_connections(emu) + all_connections(emu, OTHER_WS)
    for c in connections:
        cid = c["connectionId"]
        v("ConnectionState", emu.ok("POST", CFG + "/state/get", {"connectionId": cid}))
        v("WebBackendConnectionRead", emu.ok("POST", CFG + "/web_backend/connections/get",
                                             {"connectionId": cid, "withRefreshedCatalog": False}))
        v("ConnectionRead", emu.ok("POST", CFG + "/connections/get", {"connectionId": cid}))
        listing = emu.ok("POST", CFG + "/jobs/list", {"configTypes": ["sync", "reset_connection", "clear"],
                                                      "configId": cid})
        v("JobReadList", listing)
        for item in listing["jobs"]:
            info = emu.ok("POST", CFG + "/jobs/get", {"id": item["job"]["id"]})
            v("JobInfoRead", info)
            v("JobInfoRead", emu.ok("POST", CFG + "/jobs/get_without_logs", {"id": item["job"]["id"]}))
            for a in info["attempts"]:
                v("AttemptInfoRead", emu.ok("POST", CFG + "/attempt/get_for_job",
                                            {"jobId": item["job"]["id"], "attemptNumber": a["attempt"]["id"]}))
    # a running job, a cancelled one, and the error shapes
    cid = by_name(emu, "Faker Demo")["connectionId"]
    job = emu.ok("POST", PUB + "/jobs", {"connectionId": cid, "jobType": "sync"})
    time.sleep(0.5)
    v("JobInfoRead", emu.ok("POST", CFG + "/jobs/get", {"id": job["jobId"]}))
    v("JobInfoRead", emu.ok("POST", CFG + "/jobs/cancel", {"id": job["jobId"]}))
    v("KnownExceptionInfo", emu.call("POST", CFG + "/jobs/get", {"id": 987654321})[2])
    v("InvalidInputExceptionInfo", emu.call("POST", CFG + "/jobs/get", {})[2])
    v("WebBackendConnectionRead", emu.ok("POST", CFG + "/web_backend/connections/update",
                                         {"connectionId": cid, "syncCatalog": {"streams": []}, "skipReset": True}))
    # refresh goes through the Config API: a JobReadResponse, 409 while a job runs, 422 on a bad mode
    other = by_name(emu, "GitHub → Postgres")["connectionId"]
    refreshed = emu.ok("POST", CFG + "/connections/refresh", {"connectionId": other, "refreshMode": "Merge"})
    v("JobReadResponse", refreshed)
    assert refreshed["job"]["configType"] == "refresh"
    status, _, body = emu.call("POST", CFG + "/connections/refresh", {"connectionId": other, "refreshMode": "Merge"})
    assert status == 409
    v("KnownExceptionInfo", body)
    assert emu.call("POST", CFG + "/connections/refresh", {"connectionId": other, "refreshMode": "x"})[0] == 422
    emu.ok("POST", CFG + "/jobs/cancel", {"id": refreshed["job"]["id"]})


# --- start-up, CLI, auth -------------------------------------------------------------------------

def test_cli_prints_listening_line(emu):
    assert emu.first_line == "listening on http://127.0.0.1:%d\n" % emu.port


def test_health_needs_no_token(emu):
    assert emu.get(PUB + "/health", token=None)[0] == 200


def test_token_json_and_form(emu):
    creds = {"client_id": "demo-client-id", "client_secret": "demo-client-secret"}
    t1 = emu.ok("POST", PUB + "/applications/token", dict(creds, **{"grant-type": "client_credentials"}), token=None)
    t2 = emu.ok("POST", PUB + "/applications/token", dict(creds, grant_type="client_credentials"),
                token=None, form=True)
    assert t1["token_type"] == "Bearer" and t1["expires_in"] == 900 and t1["access_token"] != t2["access_token"]
    assert emu.get(PUB + "/workspaces/" + DEMO_WS, token=t2["access_token"])[0] == 200
    cfg = emu.ok("POST", CFG + "/applications/token", creds, token=None)
    assert list(cfg) == ["access_token"]
    status, headers, body = emu.call("POST", PUB + "/applications/token",
                                     {"client_id": "demo-client-id", "client_secret": "wrong"}, token=None)
    assert status == 401 and body["title"] == "invalid-api-key"
    assert headers["Content-Type"] == "application/json"


def test_missing_or_bad_token_is_401(emu):
    for token in (None, "garbage"):
        status, _, body = emu.get(PUB + "/connections", token=token)
        assert status == 401 and body["title"] == "invalid-api-key"
    assert emu.call("POST", CFG + "/state/get", {"connectionId": DEMO_WS}, token=None)[0] == 401


def test_token_expiry(emu):
    emu.ok("POST", "/_emulator/config", {"token_lifetime": 1})
    tok = emu.ok("POST", PUB + "/applications/token",
                 {"client_id": "demo-client-id", "client_secret": "demo-client-secret"}, token=None)
    assert tok["expires_in"] == 1
    assert emu.get(PUB + "/workspaces", token=tok["access_token"])[0] == 200
    time.sleep(1.1)
    assert emu.get(PUB + "/workspaces", token=tok["access_token"])[0] == 401
    emu.ok("POST", "/_emulator/config", {"token_lifetime": 900})
    tok = emu.ok("POST", PUB + "/applications/token",
                 {"client_id": "demo-client-id", "client_secret": "demo-client-secret"}, token=None)
    assert emu.get(PUB + "/workspaces", token=tok["access_token"])[0] == 200
    emu.ok("POST", "/_emulator/tokens/expire")
    assert emu.get(PUB + "/workspaces", token=tok["access_token"])[0] == 401
    assert emu.get(PUB + "/workspaces", token=BEARER)[0] == 200   # the static token never expires


# --- workspaces, connections, sources ------------------------------------------------------------

def test_workspaces(emu):
    ws = emu.ok("GET", PUB + "/workspaces/" + DEMO_WS)
    assert ws["name"] == "Demo Workspace"
    names = [w["name"] for w in emu.ok("GET", PUB + "/workspaces")["data"]]
    assert names == ["Demo Workspace", "Other Workspace"]
    status, _, body = emu.get(PUB + "/workspaces/e0a1b2c3-0000-4000-8000-000000000099")
    assert status == 404 and body["title"] == "resource-not-found"


def test_pagination_next_always_set_on_short_pages(emu):
    offset, sizes = 0, []
    while True:
        page = conn_list(emu, limit=3, offset=offset)
        sizes.append(len(page["data"]))
        if offset == 0:
            assert page["previous"] == ""
        else:
            assert page["previous"].endswith("&limit=3&offset=%d" % max(offset - 3, 0))
        if not page["data"]:
            assert page["next"] == ""
            break
        assert page["next"] == ("http://airbyte-airbyte-server-svc:8001/api/public/v1/connections?"
                                "includeDeleted=false&workspaceIds=%s&limit=3&offset=%d" % (DEMO_WS, offset + 3))
        offset += 3
    assert sizes == [3, 3, 3, 1, 0]


def test_default_limit_and_bounds(emu):
    assert len(emu.ok("GET", PUB + "/connections")["data"]) == 12       # both workspaces, < 20
    for bad in ({"limit": 101}, {"limit": 0}, {"offset": -1}, {"limit": "x"}):
        status, body = conn_list_status(emu, **bad)
        assert status == 400 and body["title"] == "bad-request", bad
    assert conn_list_status(emu, limit=100)[0] == 200


def test_workspace_filter_forms(emu):
    both = "%s,%s" % (DEMO_WS, OTHER_WS)
    joined = emu.ok("GET", PUB + "/connections?limit=100&workspaceIds=" + both)
    repeated = emu.ok("GET", PUB + "/connections?limit=100&workspaceIds=%s&workspaceIds=%s" % (DEMO_WS, OTHER_WS))
    assert len(joined["data"]) == len(repeated["data"]) == 12
    assert "workspaceIds=%s&" % both in joined["next"]
    demo = all_connections(emu)
    assert len(demo) == 10 and all(c["workspaceId"] == DEMO_WS for c in demo)
    other = all_connections(emu, OTHER_WS)
    assert len(other) == 2
    # GET by id still works for the other workspace, and says where it lives
    got = emu.ok("GET", PUB + "/connections/" + other[0]["connectionId"])
    assert got["workspaceId"] == OTHER_WS


def test_seed_covers_the_quirks(emu):
    demo = {c["name"]: c for c in all_connections(emu)}
    names = [c["name"] for c in all_connections(emu)]
    assert names.count("Nightly Export") == 2
    assert "Postgres → Snowflake" in demo and "Stripe / Billing → BigQuery" in demo
    pg = demo["Postgres → Snowflake"]
    assert pg["schedule"] == {"scheduleType": "cron", "cronExpression": "0 0 12 * * ? UTC"}
    assert pg["connectionId"] == "5e44851b-3ec7-579b-81ba-b2b302f3c222"     # deterministic ids
    stripe = demo["Stripe / Billing → BigQuery"]
    assert stripe["schedule"] == {"scheduleType": "basic", "basicTiming": "Every 24 HOURS"}
    locked = demo["Locked Billing Sync"]
    assert locked["status"] == "locked" and locked["statusReason"]
    assert {c["status"] for c in demo.values()} == {"active", "inactive", "locked"}
    assert {c["namespaceDefinition"] for c in demo.values()} == {"source", "destination", "custom_format"}
    assert demo["GitHub → Postgres"]["namespaceFormat"] == "${SOURCE_NAMESPACE}_raw"
    assert {c["prefix"] for c in demo.values()} >= {"", "pg_"}
    assert len({c["nonBreakingSchemaUpdatesBehavior"] for c in demo.values()}) == 4
    modes = {s["syncMode"] for c in demo.values() for s in c["configurations"]["streams"]}
    assert modes >= {"full_refresh_overwrite", "full_refresh_append", "incremental_append",
                     "incremental_deduped_history"}
    streams = [s for c in demo.values() for s in c["configurations"]["streams"]]
    assert any(s["selectedFields"] for s in streams)
    assert all(s["selectedFields"] == [] for s in pg["configurations"]["streams"])
    assert any(c["tags"] for c in demo.values())
    dedup = [s for s in pg["configurations"]["streams"] if s["syncMode"] == "incremental_deduped_history"][0]
    assert dedup["cursorField"] == ["updated_at"] and dedup["primaryKey"] == [["id"]]


def test_sources_destinations_and_streams(emu):
    sources = emu.ok("GET", PUB + "/sources?workspaceIds=" + DEMO_WS)["data"]
    assert {s["sourceType"] for s in sources} >= {"postgres", "stripe", "github", "faker"}
    pg = [s for s in sources if s["sourceType"] == "postgres"][0]
    assert pg["configuration"]["password"] == "**********"
    dests = emu.ok("GET", PUB + "/destinations?workspaceIds=" + DEMO_WS)["data"]
    assert {d["destinationType"] for d in dests} >= {"bigquery", "snowflake", "postgres"}
    assert emu.get(PUB + "/sources/" + DEMO_WS)[0] == 404
    props = emu.ok("GET", PUB + "/streams?sourceId=" + pg["sourceId"])
    users = [p for p in props if p["streamName"] == "users"][0]
    assert users["streamnamespace"] == "public"
    assert "incremental_deduped_history" in users["syncModes"]
    audit = [p for p in props if p["streamName"] == "audit_log"][0]
    assert all(m.startswith("full_refresh") for m in audit["syncModes"])
    assert emu.get(PUB + "/streams")[0] == 400


def test_delete_is_soft(emu):
    c = by_name(emu, "Faker Demo")
    status, _, body = emu.call("DELETE", PUB + "/connections/" + c["connectionId"])
    assert status == 204 and body is None
    assert all(x["connectionId"] != c["connectionId"] for x in all_connections(emu))
    deleted = [x for x in all_connections(emu, include_deleted=True) if x["connectionId"] == c["connectionId"]]
    assert deleted[0]["status"] == "deprecated"
    assert emu.ok("GET", PUB + "/connections/" + c["connectionId"])["status"] == "deprecated"


# --- PATCH ---------------------------------------------------------------------------------------

def patch(emu, cid, body):
    return emu.call("PATCH", PUB + "/connections/" + cid, body)


def test_patch_cron_round_trip(emu):
    c = by_name(emu, "Faker Demo")
    status, _, body = patch(emu, c["connectionId"], {"schedule": {"scheduleType": "cron",
                                                                  "cronExpression": "0 0 6 * * ?"}})
    assert status == 200 and body["schedule"] == {"scheduleType": "cron", "cronExpression": "0 0 6 * * ? UTC"}
    # echoing the GET value back (with " UTC") is accepted and stored unchanged
    status, _, body = patch(emu, c["connectionId"], {"schedule": body["schedule"]})
    assert status == 200 and body["schedule"]["cronExpression"] == "0 0 6 * * ? UTC"
    status, _, body = patch(emu, c["connectionId"], {"schedule": {"scheduleType": "manual"}})
    assert body["schedule"] == {"scheduleType": "manual"}
    # the listing sees the change (cached JSON is invalidated)
    assert by_name(emu, "Faker Demo")["schedule"] == {"scheduleType": "manual"}


@pytest.mark.parametrize("expr,fragment", [
    ("0 0 * * *", "is not valid. Error: Cron expression contains 5 parts"),
    ("* 0 12 * * ?", "is less than the one hour minimum. The seconds and minutes values cannot be `*`."),
    ("0 * 12 * * ? 2027", "is less than the one hour minimum"),
    ("0 0 12 * * *", "is not valid. Error:"),
    ("0 0 25 * * ?", "is not valid. Error:"),
])
def test_patch_bad_cron(emu, expr, fragment):
    c = by_name(emu, "Faker Demo")
    status, _, body = patch(emu, c["connectionId"], {"schedule": {"scheduleType": "cron", "cronExpression": expr}})
    assert status == 400 and body["title"] == "bad-request"
    assert fragment in body["detail"] and body["detail"].startswith("The cron expression " + expr)
    assert by_name(emu, "Faker Demo")["schedule"] == {"scheduleType": "manual"}


def test_patch_schedule_rules(emu):
    cid = by_name(emu, "Faker Demo")["connectionId"]
    status, _, body = patch(emu, cid, {"schedule": {"scheduleType": "cron"}})
    assert status == 400 and body["detail"] == "Missing cron expression in the schedule."
    status, _, body = patch(emu, cid, {"schedule": {"scheduleType": "basic", "basicTiming": "Every 24 HOURS"}})
    assert status == 400
    assert patch(emu, cid, {"schedule": {"scheduleType": "cron", "cronExpression": "0 * 12 * * ?"}})[0] == 200


def test_patch_applies_only_given_fields(emu):
    c = by_name(emu, "Postgres → Snowflake")
    status, _, body = patch(emu, c["connectionId"], {"name": "Renamed", "prefix": None, "status": "inactive"})
    assert status == 200
    assert body["name"] == "Renamed" and body["status"] == "inactive" and body["prefix"] == "pg_"
    assert body["configurations"] == c["configurations"] and body["schedule"] == c["schedule"]
    for bad in ({"status": "paused"}, {"namespaceDefinition": "customformat"},
                {"nonBreakingSchemaUpdatesBehavior": "disable"},
                {"configurations": {"streams": [{"name": "users", "syncMode": "incremental"}]}}):
        status, _, body = patch(emu, c["connectionId"], bad)
        assert status == 400 and body["title"] == "bad-request", bad


def test_patch_selected_fields_echo_is_rejected(emu):
    c = by_name(emu, "Postgres → Snowflake")
    status, _, body = patch(emu, c["connectionId"], {"configurations": c["configurations"]})
    assert status == 400
    assert body["detail"].startswith("No fields selected for stream users.")
    assert by_name(emu, "Postgres → Snowflake") == c


def test_patch_streams_replace_catalog(emu):
    c = by_name(emu, "Postgres → Snowflake")
    keep = []
    for s in c["configurations"]["streams"]:
        if s["name"] in ("users", "orders"):
            keep.append({k: s[k] for k in ("name", "namespace", "syncMode", "cursorField", "primaryKey")})
    keep.append({"name": "order_items"})
    status, _, body = patch(emu, c["connectionId"], {"configurations": {"streams": keep}})
    assert status == 200, body
    streams = {s["name"]: s for s in body["configurations"]["streams"]}
    assert list(streams) == ["users", "orders", "order_items"]
    assert streams["users"]["syncMode"] == "incremental_deduped_history"
    assert streams["orders"]["syncMode"] == "incremental_append"
    assert streams["order_items"]["syncMode"] == "full_refresh_overwrite"
    assert streams["order_items"]["primaryKey"] == [["order_id"], ["id"]]
    assert streams["order_items"]["namespace"] == "public"


def test_patch_stream_validation(emu):
    pg = by_name(emu, "Postgres → Snowflake")["connectionId"]
    cases = [
        ([{"name": "audit_log", "syncMode": "incremental_append", "cursorField": ["created_at"]}],
         "Cannot set sync mode to incremental_append for stream audit_log"),
        ([{"name": "users", "syncMode": "incremental_update"}], "Cannot set sync mode to incremental_update"),
        ([{"name": "users", "syncMode": "incremental_append"}], "No default cursor field for stream: users"),
        ([{"name": "users", "syncMode": "incremental_append", "cursorField": ["nope"]}],
         "Invalid cursor field for stream: users"),
        ([{"name": "audit_log", "syncMode": "full_refresh_overwrite", "selectedFields": []}],
         "No fields selected for stream audit_log"),
        ([{"name": "ghost"}], "No streams found with name [ghost] and namespace [null]"),
        ([{"name": "customers"}], "No streams found with name [customers] and namespace [null]"),
        ([{"name": "users"}, {"name": "users"}], "Duplicate stream found in configuration for stream name [users]"),
        ([{"name": "users", "syncMode": "incremental_deduped_history", "cursorField": ["updated_at"],
           "primaryKey": [["email"]]}], "Primary key for stream: users is already pre-defined"),
        ([{"name": "users", "syncMode": "full_refresh_overwrite", "selectedFields": [{"fieldPath": ["zzz"]}]}],
         "Invalid fields selected for stream users"),
    ]
    for streams, fragment in cases:
        status, _, body = patch(emu, pg, {"configurations": {"streams": streams}})
        assert status == 400 and fragment in body["detail"], (streams, body)
    # with a namespace the ambiguous name resolves
    status, _, body = patch(emu, pg, {"configurations": {"streams": [{"name": "customers", "namespace": "sales"}]}})
    assert status == 200 and body["configurations"]["streams"][0]["namespace"] == "sales"
    # github's pull_requests: the source defines the cursor, none needs to be given
    gh = by_name(emu, "GitHub → Postgres")["connectionId"]
    status, _, body = patch(emu, gh, {"configurations": {"streams": [
        {"name": "pull_requests", "syncMode": "incremental_deduped_history"}]}})
    assert status == 200
    s = body["configurations"]["streams"][0]
    assert s["cursorField"] == ["updated_at"] and s["primaryKey"] == [["id"]]
    status, _, body = patch(emu, gh, {"configurations": {"streams": [
        {"name": "pull_requests", "syncMode": "incremental_append", "cursorField": ["title"]}]}})
    assert status == 400 and "is already defined by source" in body["detail"]


def test_patch_selected_fields(emu):
    cid = by_name(emu, "Stripe / Billing → BigQuery")["connectionId"]
    status, _, body = patch(emu, cid, {"configurations": {"streams": [
        {"name": "customers", "syncMode": "incremental_deduped_history",
         "selectedFields": [{"fieldPath": ["id"]}, {"fieldPath": ["email"]}]}]}})
    assert status == 400 and "Cursor field is not selected properly" in body["detail"]
    status, _, body = patch(emu, cid, {"configurations": {"streams": [
        {"name": "customers", "syncMode": "incremental_deduped_history",
         "selectedFields": [{"fieldPath": ["id"]}, {"fieldPath": ["updated"]}]}]}})
    assert status == 200
    assert body["configurations"]["streams"][0]["selectedFields"] == [{"fieldPath": ["id"]},
                                                                      {"fieldPath": ["updated"]}]


def test_patch_locked_is_409(emu):
    c = by_name(emu, "Locked Billing Sync")
    status, _, body = patch(emu, c["connectionId"], {"name": "unlock me"})
    assert status == 409 and body["type"] == "error:connection/locked"
    assert body["data"]["connectionId"] == c["connectionId"]
    assert by_name(emu, "Locked Billing Sync")["name"] == "Locked Billing Sync"


def test_patch_unknown_connection_is_404(emu):
    status, _, body = patch(emu, "e0a1b2c3-0000-4000-8000-0000000000ff", {"name": "x"})
    assert status == 404 and body["data"]["resourceType"] == "connection"
    assert patch(emu, "not-a-uuid", {"name": "x"})[0] == 400


# --- jobs ----------------------------------------------------------------------------------------

START_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?Z$")


def test_java_formatting():
    assert jobs.java_offset_datetime(1714564800) == "2024-05-01T12:00Z"
    assert jobs.java_offset_datetime(1714564805) == "2024-05-01T12:00:05Z"
    assert jobs.java_duration(511) == "PT8M31S"
    assert jobs.java_duration(0) == "PT0S"
    assert jobs.java_duration(3600) == "PT1H"
    assert jobs.java_duration(90003) == "PT25H3S"


def test_cron_checker():
    assert cron.check("0 0 12 * * ?") is None
    assert cron.check("0 0 12 * * ? UTC") is None
    assert cron.check("0 0 0 ? * SUN") is None
    assert cron.check("0 0 */6 * * ?") is None
    assert cron.check("0 15 10 L * ?") is None
    assert cron.check("0 15 10 ? * 6#3") is None
    assert cron.check("0 0 12 ? * MON-FRI 2027") is None
    assert "5 parts" in cron.check("0 0 * * *")
    assert "one hour minimum" in cron.check("*/5 0 12 * * ?")


def test_job_lifecycle_and_conflict(emu):
    cid = by_name(emu, "Faker Demo")["connectionId"]
    job = emu.ok("POST", PUB + "/jobs", {"connectionId": cid, "jobType": "sync"})
    assert job["status"] == "pending" and job["jobType"] == "sync" and job["connectionId"] == cid
    assert START_TIME.match(job["startTime"]) and "duration" not in job and "lastUpdatedAt" not in job
    status, _, body = emu.call("POST", PUB + "/jobs", {"connectionId": cid, "jobType": "reset"})
    assert status == 409 and body["title"] == "try-again-later"
    assert body["detail"] == "A sync is already running for: " + cid
    running = wait_status(emu, job["jobId"], "running")
    assert running["duration"].startswith("PT")
    time.sleep(0.2)
    later = emu.ok("GET", PUB + "/jobs/%d" % job["jobId"])
    assert later["rowsSynced"] >= running["rowsSynced"] and later["bytesSynced"] > 0
    done = wait_status(emu, job["jobId"], "succeeded")
    assert START_TIME.match(done["lastUpdatedAt"]) and done["rowsSynced"] > 0
    second = emu.ok("POST", PUB + "/jobs", {"connectionId": cid, "jobType": "clear"})
    assert second["jobId"] == job["jobId"] + 1 and second["jobType"] == "clear"


def test_job_errors(emu):
    cid = by_name(emu, "Faker Demo")["connectionId"]
    status, _, body = emu.call("POST", PUB + "/jobs", {"connectionId": cid, "jobType": "refresh"})
    assert status == 422 and body["detail"] == "Refreshes are not supported in the public API"
    status, _, body = emu.call("POST", PUB + "/jobs", {"connectionId": DEMO_WS, "jobType": "sync"})
    assert status == 404
    assert emu.call("POST", PUB + "/jobs", {"connectionId": cid, "jobType": "nope"})[0] == 400
    assert emu.get(PUB + "/jobs/99999999")[0] == 404
    assert emu.get(PUB + "/jobs/abc")[0] == 400


def test_job_cancel(emu):
    cid = by_name(emu, "Faker Demo")["connectionId"]
    job = emu.ok("POST", PUB + "/jobs", {"connectionId": cid, "jobType": "sync"})
    wait_status(emu, job["jobId"], "running")
    cancelled = emu.ok("DELETE", PUB + "/jobs/%d" % job["jobId"])
    assert cancelled["status"] == "cancelled" and "lastUpdatedAt" in cancelled
    time.sleep(JOB_DURATION)
    assert emu.ok("GET", PUB + "/jobs/%d" % job["jobId"])["status"] == "cancelled"
    status, _, body = emu.call("DELETE", PUB + "/jobs/%d" % job["jobId"])
    assert status == 409 and body["title"] == "state-conflict" and body["detail"] == "Job is not currently running"
    info = emu.ok("POST", CFG + "/jobs/get", {"id": job["jobId"]})
    assert info["job"]["status"] == "cancelled"
    failure = info["attempts"][-1]["attempt"]["failureSummary"]["failures"][0]
    assert failure["failureType"] == "manual_cancellation"
    # a new sync may start right away
    assert emu.call("POST", PUB + "/jobs", {"connectionId": cid, "jobType": "sync"})[0] == 200


def test_job_failure_with_attempts(emu):
    cid = by_name(emu, "Faker Demo")["connectionId"]
    emu.ok("POST", "/_emulator/next-job", {"outcome": "failed", "attempts": 2, "duration": 2.5})
    job = emu.ok("POST", PUB + "/jobs", {"connectionId": cid, "jobType": "sync"})
    seen = []
    deadline = time.monotonic() + 6
    while time.monotonic() < deadline:
        status = emu.ok("GET", PUB + "/jobs/%d" % job["jobId"])["status"]
        if not seen or seen[-1] != status:
            seen.append(status)
        if status == "failed":
            break
        time.sleep(0.03)
    assert seen == ["pending", "running", "incomplete", "running", "failed"], seen
    info = emu.ok("POST", CFG + "/jobs/get", {"id": job["jobId"]})
    assert [a["attempt"]["status"] for a in info["attempts"]] == ["failed", "failed"]
    assert [a["attempt"]["id"] for a in info["attempts"]] == [0, 1]
    # the plan applies to one job only
    nxt = emu.ok("POST", PUB + "/jobs", {"connectionId": cid, "jobType": "sync"})
    assert wait_status(emu, nxt["jobId"], "succeeded")


def test_job_listing_order_and_filters(emu):
    cid = by_name(emu, "Postgres → Snowflake")["connectionId"]
    asc = emu.ok("GET", PUB + "/jobs?connectionId=" + cid)["data"]
    assert len(asc) >= 3
    starts = [jobs.parse_time(j["startTime"]) for j in asc]
    assert starts == sorted(starts)                   # oldest first when orderBy is omitted
    assert {j["status"] for j in asc} >= {"succeeded", "failed", "cancelled"}
    assert {j["jobType"] for j in asc} >= {"sync", "reset"}
    new = emu.ok("POST", PUB + "/jobs", {"connectionId": cid, "jobType": "sync"})
    desc = emu.ok("GET", PUB + "/jobs?connectionId=%s&orderBy=createdAt%%7CDESC&limit=1" % cid)
    assert desc["data"][0]["jobId"] == new["jobId"]
    assert "connectionId=" + cid in desc["next"]
    status, _, body = emu.get(PUB + "/jobs?orderBy=createdAt")
    assert status == 400 and body["detail"] == "Invalid order by clause provided"
    resets = emu.ok("GET", PUB + "/jobs?connectionId=%s&jobType=reset" % cid)["data"]
    assert resets and all(j["jobType"] == "reset" for j in resets)
    failed = emu.ok("GET", PUB + "/jobs?workspaceIds=%s&status=failed&limit=100" % DEMO_WS)["data"]
    assert failed and all(j["status"] == "failed" for j in failed)
    other = emu.ok("GET", PUB + "/jobs?workspaceIds=%s" % OTHER_WS)["data"]
    assert other == []


def test_job_listing_updated_since(emu, public_schemas):
    """What airbytefs's events poller asks: the workspace's jobs updated since a time, oldest
    update first, in schema-valid pages."""
    cid = by_name(emu, "Faker Demo")["connectionId"]
    everything = emu.ok("GET", PUB + "/jobs?workspaceIds=%s&limit=100" % DEMO_WS)["data"]
    assert everything  # the seed's historic jobs, updated long ago
    since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 5))
    query = "/jobs?workspaceIds=%s&updatedAtStart=%s&orderBy=updatedAt%%7CASC&limit=100&offset=0" % (DEMO_WS, since)
    assert emu.ok("GET", PUB + query)["data"] == []
    new = emu.ok("POST", PUB + "/jobs", {"connectionId": cid, "jobType": "sync"})
    page = emu.ok("GET", PUB + query)
    public_schemas.validate("JobsResponse", page)
    assert [j["jobId"] for j in page["data"]] == [new["jobId"]]
    status, _, body = emu.get(PUB + "/jobs?workspaceIds=%s&updatedAtStart=yesterday" % DEMO_WS)
    assert status == 400 and "updatedAtStart" in body["detail"]


# --- Config API ----------------------------------------------------------------------------------

def test_config_jobs_and_logs(emu):
    cid = by_name(emu, "Postgres → Snowflake")["connectionId"]
    listing = emu.ok("POST", CFG + "/jobs/list", {"configTypes": ["sync"], "configId": cid})
    assert listing["totalJobCount"] == len(listing["jobs"]) >= 3
    created = [j["job"]["createdAt"] for j in listing["jobs"]]
    assert created == sorted(created, reverse=True)
    log_types = set()
    for item in listing["jobs"]:
        info = emu.ok("POST", CFG + "/jobs/get", {"id": item["job"]["id"]})
        for a in info["attempts"]:
            log_types.add(a["logType"])
            lines = a["logs"].get("logLines") or [e["message"] for e in a["logs"]["events"]]
            assert any("Records read" in line for line in lines)
        one = emu.ok("POST", CFG + "/attempt/get_for_job", {"jobId": item["job"]["id"], "attemptNumber": 0})
        assert one["attempt"]["id"] == 0
        bare = emu.ok("POST", CFG + "/jobs/get_without_logs", {"id": item["job"]["id"]})
        assert all("logs" not in a for a in bare["attempts"])
    assert log_types == {"formatted", "structured"}
    status, _, body = emu.call("POST", CFG + "/attempt/get_for_job", {"jobId": listing["jobs"][0]["job"]["id"],
                                                                       "attemptNumber": 9})
    assert status == 404 and "message" in body


def test_running_job_log_grows(emu):
    cid = by_name(emu, "Faker Demo")["connectionId"]
    emu.ok("POST", "/_emulator/next-job", {"duration": 2.0})
    job = emu.ok("POST", PUB + "/jobs", {"connectionId": cid, "jobType": "sync"})
    wait_status(emu, job["jobId"], "running")

    def log_len():
        a = emu.ok("POST", CFG + "/attempt/get_for_job", {"jobId": job["jobId"], "attemptNumber": 0})
        return len(a["logs"].get("logLines") or a["logs"].get("events"))
    first = log_len()
    time.sleep(0.5)
    assert log_len() > first
    assert emu.ok("POST", CFG + "/web_backend/connections/get", {"connectionId": cid})["isSyncing"] is True


def test_state_get_and_replace(emu):
    pg = by_name(emu, "Postgres → Snowflake")["connectionId"]
    cdc = by_name(emu, "Postgres CDC → BigQuery")["connectionId"]
    faker = by_name(emu, "Faker Demo")["connectionId"]
    st = emu.ok("POST", CFG + "/state/get", {"connectionId": pg})
    assert st["stateType"] == "stream" and st["streamState"]
    assert emu.ok("POST", CFG + "/state/get", {"connectionId": cdc})["stateType"] == "global"
    assert emu.ok("POST", CFG + "/state/get", {"connectionId": faker}) == {"stateType": "not_set",
                                                                            "connectionId": faker}
    new = {"stateType": "stream", "connectionId": pg,
           "streamState": [{"streamDescriptor": {"name": "users", "namespace": "public"},
                            "streamState": {"updated_at": "2027-01-01"}}]}
    assert emu.ok("POST", CFG + "/state/create_or_update_safe", {"connectionId": pg, "connectionState": new}) == new
    assert emu.ok("POST", CFG + "/state/get", {"connectionId": pg}) == new
    assert emu.call("POST", CFG + "/state/create_or_update_safe", "{not json")[0] == 400
    assert emu.call("POST", CFG + "/state/create_or_update_safe", {"connectionId": pg})[0] == 422
    bad = {"connectionId": pg, "connectionState": {"stateType": "stream", "streamState": [{"x": 1}]}}
    assert emu.call("POST", CFG + "/state/create_or_update_safe", bad)[0] == 422
    assert emu.call("POST", CFG + "/state/get", {"connectionId": DEMO_WS})[0] == 404


def test_state_write_during_sync_is_423(emu):
    pg = by_name(emu, "Postgres → Snowflake")["connectionId"]
    state = emu.ok("POST", CFG + "/state/get", {"connectionId": pg})
    job = emu.ok("POST", PUB + "/jobs", {"connectionId": pg, "jobType": "sync"})
    status, _, body = emu.call("POST", CFG + "/state/create_or_update_safe",
                               {"connectionId": pg, "connectionState": state})
    assert status == 423 and "message" in body
    wait_status(emu, job["jobId"], "succeeded")
    assert emu.call("POST", CFG + "/state/create_or_update_safe",
                    {"connectionId": pg, "connectionState": state})[0] == 200


def test_web_backend_catalog(emu):
    c = by_name(emu, "Postgres → Snowflake")
    wb = emu.ok("POST", CFG + "/web_backend/connections/get", {"connectionId": c["connectionId"],
                                                                "withRefreshedCatalog": False})
    streams = wb["syncCatalog"]["streams"]
    assert len(streams) == 7                               # every discovered stream
    selected = [(s["stream"]["name"], s["config"]["selected"]) for s in streams]
    assert ("users", True) in selected and ("order_items", False) in selected
    users = [s for s in streams if s["stream"]["name"] == "users"][0]
    assert users["config"]["syncMode"] == "incremental" and users["config"]["destinationSyncMode"] == "append_dedup"
    # select order_items too, drop everything else but users
    for s in streams:
        s["config"]["selected"] = s["stream"]["name"] in ("users", "order_items")
    wb2 = emu.ok("POST", CFG + "/web_backend/connections/update",
                 {"connectionId": c["connectionId"], "syncCatalog": wb["syncCatalog"], "skipReset": True})
    assert len(wb2["syncCatalog"]["streams"]) == 7
    now = emu.ok("GET", PUB + "/connections/" + c["connectionId"])
    assert [s["name"] for s in now["configurations"]["streams"]] == ["users", "order_items"]
    assert now["configurations"]["streams"][0]["syncMode"] == "incremental_deduped_history"
    read = emu.ok("POST", CFG + "/connections/get", {"connectionId": c["connectionId"]})
    assert len(read["syncCatalog"]["streams"]) == 2


def test_connection_statuses(emu, config_schemas, public_schemas):
    """POST /connections/status answers ConnectionStatusesRead in the order asked, with the
    server's precedence (running, failed, paused, incomplete, pending, synced); the public
    workspace-wide job listing that airbytefs falls back on validates too."""
    v = config_schemas.validate
    ids = [c["connectionId"] for c in all_connections(emu)]
    everything = emu.ok("POST", CFG + "/connections/status", {"connectionIds": ids})
    v("ConnectionStatusesRead", everything)
    assert [s["connectionId"] for s in everything] == ids
    by_id = {s["connectionId"]: s for s in everything}
    assert by_id[by_name(emu, "Locked Billing Sync")["connectionId"]]["connectionSyncStatus"] == "paused"
    assert by_id[by_name(emu, "Postgres CDC → BigQuery")["connectionId"]]["connectionSyncStatus"] == "paused"
    assert emu.ok("POST", CFG + "/connections/status", {"connectionIds": []}) == []
    # a failing sync: running with its active job, then incomplete with the failure's reason
    cid = by_name(emu, "Faker Demo")["connectionId"]
    emu.ok("POST", "/_emulator/next-job", {"outcome": "failed", "duration": 0.6})
    job = emu.ok("POST", PUB + "/jobs", {"connectionId": cid, "jobType": "sync"})
    time.sleep(0.35)
    running = emu.ok("POST", CFG + "/connections/status", {"connectionIds": [cid]})
    v("ConnectionStatusesRead", running)
    assert running[0]["connectionSyncStatus"] == "running" and running[0]["activeJob"]["id"] == job["jobId"]
    wait_status(emu, job["jobId"], "failed")
    failed = emu.ok("POST", CFG + "/connections/status", {"connectionIds": [cid]})
    v("ConnectionStatusesRead", failed)
    s = failed[0]
    assert s["connectionSyncStatus"] == "incomplete" and "activeJob" not in s
    assert s["lastSyncJobId"] == job["jobId"]
    assert s["failureReason"]["failureOrigin"] == "source" and s["failureReason"]["retryable"] is True
    # then a success: synced, lastSuccessfulSync moves, no failure reason
    job = emu.ok("POST", PUB + "/jobs", {"connectionId": cid, "jobType": "sync"})
    wait_status(emu, job["jobId"], "succeeded")
    s = emu.ok("POST", CFG + "/connections/status", {"connectionIds": [cid]})[0]
    assert s["connectionSyncStatus"] == "synced" and "failureReason" not in s
    assert s["lastSuccessfulSync"] >= failed[0].get("lastSuccessfulSync", 0)
    # errors: an unknown id is 404, a missing list 422
    status, _, body = emu.call("POST", CFG + "/connections/status", {"connectionIds": [ids[0], "0" * 8 + "-0000-4000-8000-" + "0" * 12]})
    assert status == 404
    v("KnownExceptionInfo", body)
    status, _, body = emu.call("POST", CFG + "/connections/status", {})
    assert status == 422
    v("InvalidInputExceptionInfo", body)
    listing = emu.ok("GET", PUB + "/jobs?workspaceIds=%s&orderBy=createdAt%%7CDESC&limit=100&offset=0" % DEMO_WS)
    public_schemas.validate("JobsResponse", listing)
    assert listing["data"][0]["jobId"] == job["jobId"]


def test_no_config_api_flag():
    e = Emulator("--no-config-api")
    try:
        status, _, body = e.call("POST", CFG + "/state/get", {"connectionId": DEMO_WS})
        assert status == 404 and body["message"] == "Not Found"
        assert e.call("POST", CFG + "/applications/token", {"client_id": "demo-client-id",
                                                            "client_secret": "demo-client-secret"},
                      token=None)[0] == 404
        assert e.get(PUB + "/connections")[0] == 200
        e.ok("POST", "/_emulator/config", {"config_api_enabled": True})
        assert e.call("POST", CFG + "/state/get", {"connectionId": DEMO_WS})[0] == 404   # now: unknown id
        assert e.call("POST", CFG + "/jobs/get", {"id": 1000})[0] == 200
    finally:
        e.stop()


# --- admin API -----------------------------------------------------------------------------------

def test_request_counters(emu):
    emu.ok("POST", "/_emulator/requests/reset")
    cid = by_name(emu, "Faker Demo")["connectionId"]
    emu.ok("GET", PUB + "/connections/" + cid)
    patch(emu, cid, {"name": "Faker Renamed"})
    emu.call("POST", PUB + "/applications/token", {"client_id": "x", "client_secret": "y"}, token=None)
    stats = emu.ok("GET", "/_emulator/requests")
    assert stats["total"] == 4
    assert stats["counts"]["GET /api/public/v1/connections"] == 1
    assert stats["counts"]["GET /api/public/v1/connections/" + cid] == 1
    assert stats["routes"]["PATCH /api/public/v1/connections/{connectionId}"] == 1
    assert stats["routes"]["POST /api/public/v1/applications/token"] == 1
    last = stats["log"][-2]
    assert last["method"] == "PATCH" and json.loads(last["body"]) == {"name": "Faker Renamed"}
    assert stats["log"][0]["query"].startswith("workspaceIds=")
    assert stats["log"][-1]["status"] == 401
    emu.ok("POST", "/_emulator/requests/reset")
    assert emu.ok("GET", "/_emulator/requests")["total"] == 0


def test_admin_state_and_reset(emu):
    cid = by_name(emu, "Faker Demo")["connectionId"]
    patch(emu, cid, {"name": "Changed"})
    dump = emu.ok("GET", "/_emulator/state")
    assert dump["connections"][cid]["name"] == "Changed"
    assert set(dump) == {"workspaces", "tags", "connections", "sources", "destinations", "jobs", "states"}
    assert len(dump["connections"]) == 12 and dump["states"][cid]["stateType"] == "not_set"
    emu.ok("POST", "/_emulator/reset")
    assert emu.ok("GET", PUB + "/connections/" + cid)["name"] == "Faker Demo"
    assert emu.ok("GET", "/_emulator/requests")["total"] == 1


def test_admin_edit_like_web_ui(emu):
    cid = by_name(emu, "Faker Demo")["connectionId"]
    emu.ok("PATCH", "/_emulator/connections/" + cid, {"name": "Edited elsewhere"})
    emu.ok("PATCH", "/_emulator/connections/" + cid,
           {"schedule": {"scheduleType": "cron", "cronExpression": "0 0 1 * * ?"}})
    got = emu.ok("GET", PUB + "/connections/" + cid)
    assert got["name"] == "Edited elsewhere"
    assert got["schedule"] == {"scheduleType": "cron", "cronExpression": "0 0 1 * * ? UTC"}
    emu.ok("PATCH", "/_emulator/connections/" + cid, {"status": "locked", "statusReason": "billing"})
    assert patch(emu, cid, {"name": "x"})[0] == 409
    emu.ok("PATCH", "/_emulator/connections/" + cid, {"status": "active", "statusReason": None})
    assert "statusReason" not in emu.ok("GET", PUB + "/connections/" + cid)
    assert emu.ok("GET", "/_emulator/requests")["counts"].get("PATCH /api/public/v1/connections/" + cid) == 1


def test_latency_overlaps(emu):
    emu.ok("POST", "/_emulator/config", {"latency_ms": 300})
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda _: emu.get(PUB + "/workspaces")[0], range(8)))
    elapsed = time.monotonic() - started
    assert statuses == [200] * 8
    assert 0.3 <= elapsed < 1.5, elapsed
    started = time.monotonic()
    emu.ok("GET", "/_emulator/requests")                     # admin requests are never delayed
    assert time.monotonic() - started < 0.25



def test_peak_in_flight_per_route(emu):
    """peak_in_flight counts how many requests of one route were served at once (tests assert that
    the daemon asks in parallel); one at a time stays 1, a reset forgets it."""
    cid = by_name(emu, "Faker Demo")["connectionId"]
    emu.ok("POST", "/_emulator/requests/reset")
    emu.ok("POST", "/_emulator/config", {"latency_ms": 300})
    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        statuses = list(pool.map(lambda _: emu.get(PUB + "/connections/" + cid)[0], range(6)))
    assert statuses == [200] * 6
    emu.get(PUB + "/workspaces")
    peaks = emu.ok("GET", "/_emulator/requests")["peak_in_flight"]
    assert peaks["GET " + PUB + "/connections/{connectionId}"] >= 4, peaks
    assert peaks["GET " + PUB + "/workspaces"] == 1
    emu.ok("POST", "/_emulator/requests/reset")
    assert emu.ok("GET", "/_emulator/requests")["peak_in_flight"] == {}

# --- faults --------------------------------------------------------------------------------------

def raw_get(emu, path):
    conn = http.client.HTTPConnection("127.0.0.1", emu.port, timeout=5)
    try:
        conn.request("GET", path, headers={"Authorization": "Bearer " + BEARER})
        resp = conn.getresponse()
        return resp.status, resp.getheaders(), resp.read()
    finally:
        conn.close()


def test_fault_status_count(emu):
    rule = emu.ok("POST", "/_emulator/faults", {"method": "GET", "path": "^/api/public/v1/connections$",
                                                "status": 503, "count": 2})
    assert rule["fired"] == 0
    statuses = [conn_list_status(emu)[0] for _ in range(3)]
    assert statuses == [503, 503, 200]
    assert emu.get(PUB + "/workspaces")[0] == 200
    listed = emu.ok("GET", "/_emulator/faults")["faults"]
    assert listed[0]["fired"] == 2
    assert emu.ok("GET", "/_emulator/requests")["counts"]["GET /api/public/v1/connections"] == 3
    emu.ok("DELETE", "/_emulator/faults")
    assert emu.ok("GET", "/_emulator/faults")["faults"] == []


def test_fault_429(emu):
    emu.ok("POST", "/_emulator/faults", {"method": "*", "path": "/workspaces", "status": 429, "count": 1})
    status, headers, body = emu.get(PUB + "/workspaces")
    assert status == 429 and body == {"message": "You are being rate limited."}
    assert "Retry-After" not in headers
    emu.ok("POST", "/_emulator/faults", {"path": "/workspaces", "status": 429, "count": 1, "retry_after": 2})
    status, headers, body = emu.get(PUB + "/workspaces")
    assert status == 429 and headers["Retry-After"] == "2"


def test_fault_ratio_is_deterministic(emu):
    def run():
        emu.ok("DELETE", "/_emulator/faults")
        emu.ok("POST", "/_emulator/reset")
        emu.ok("POST", "/_emulator/faults", {"path": "/workspaces$", "status": 500, "ratio": 0.5})
        return [emu.get(PUB + "/workspaces")[0] for _ in range(20)]
    first, second = run(), run()
    assert first == second and 500 in first and 200 in first


def test_fault_kinds(emu):
    emu.ok("POST", "/_emulator/faults", {"path": "/workspaces$", "kind": "reset", "count": 1})
    with pytest.raises((ConnectionError, http.client.HTTPException)):
        raw_get(emu, PUB + "/workspaces")
    emu.ok("POST", "/_emulator/faults", {"path": "/workspaces$", "kind": "truncate", "count": 1})
    with pytest.raises(http.client.IncompleteRead):
        raw_get(emu, PUB + "/workspaces")
    emu.ok("POST", "/_emulator/faults", {"path": "/workspaces$", "kind": "malformed", "count": 1})
    status, _, body = raw_get(emu, PUB + "/workspaces")
    assert status == 200
    with pytest.raises(ValueError):
        json.loads(body)
    emu.ok("POST", "/_emulator/faults", {"path": "/workspaces$", "kind": "wrongtype", "count": 1})
    status, _, body = emu.get(PUB + "/workspaces")
    assert status == 200 and isinstance(body["data"], str)
    emu.ok("POST", "/_emulator/faults", {"path": "/workspaces/", "kind": "wrongtype", "count": 1})
    status, _, body = emu.get(PUB + "/workspaces/" + DEMO_WS)
    assert not isinstance(body["name"], str)
    assert emu.get(PUB + "/workspaces")[0] == 200
    stats = emu.ok("GET", "/_emulator/requests")
    assert [e["fault"] for e in stats["log"]][-6:] == ["reset", "truncate", "malformed", "wrongtype", "wrongtype",
                                                        None]
    assert emu.call("POST", "/_emulator/faults", {"path": "(", "status": 500})[0] == 400


def test_fault_delay(emu):
    emu.ok("POST", "/_emulator/faults", {"path": "/workspaces$", "kind": "status", "status": 200,
                                         "delay_ms": 400, "count": 1})
    started = time.monotonic()
    with pytest.raises(Exception):
        emu.get(PUB + "/workspaces", timeout=0.2)
    assert time.monotonic() - started < 0.4


def keepalive(emu):
    """A raw HTTP/1.1 connection that stays open between requests (like curl's connection pool)."""
    return http.client.HTTPConnection("127.0.0.1", emu.port, timeout=5)


def ka_call(conn, method, path, body=None):
    headers = {"Authorization": "Bearer " + BEARER}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    conn.request(method, path, body=data, headers=headers)
    resp = conn.getresponse()
    raw = resp.read()
    return resp.status, json.loads(raw) if raw else None


def api_log(emu):
    return [e for e in emu.ok("GET", "/_emulator/requests")["log"]]


def test_keepalive_connections_are_reused(emu):
    cid = by_name(emu, "Faker Demo")["connectionId"]
    emu.ok("POST", "/_emulator/requests/reset")
    conn = keepalive(emu)
    try:
        assert ka_call(conn, "GET", PUB + "/workspaces")[0] == 200
        assert ka_call(conn, "GET", PUB + "/connections/" + "0" * 8 + "-0000-4000-8000-" + "0" * 12)[0] == 404
        assert ka_call(conn, "PATCH", PUB + "/connections/" + cid, {"name": "Kept alive"})[0] == 200
        assert ka_call(conn, "DELETE", PUB + "/connections/" + cid)[0] == 204
        assert ka_call(conn, "GET", PUB + "/workspaces")[0] == 200
    finally:
        conn.close()
    log = api_log(emu)
    assert len({e["tcp"] for e in log}) == 1
    assert [e["reused"] for e in log] == [False, True, True, True, True]
    counters = emu.ok("GET", "/_emulator/requests")["connections"][cid]
    assert counters == {"PATCH /api/public/v1/connections/{connectionId}": 1,
                        "DELETE /api/public/v1/connections/{connectionId}": 1}


def test_admin_connection_view(emu, public_schemas):
    cid = by_name(emu, "Faker Demo")["connectionId"]
    before = emu.ok("GET", "/_emulator/connections/" + cid)
    public_schemas.validate("ConnectionResponse", before["connection"])
    job = emu.ok("POST", PUB + "/jobs", {"connectionId": cid, "jobType": "sync"})
    after = emu.ok("GET", "/_emulator/connections/" + cid)
    assert [j["jobId"] for j in after["jobs"]] == [j["jobId"] for j in before["jobs"]] + [job["jobId"]]
    for j in after["jobs"]:
        public_schemas.validate("JobResponse", j)
    assert emu.call("GET", "/_emulator/connections/" + "0" * 8 + "-0000-4000-8000-" + "0" * 12)[0] == 404
    emu.ok("DELETE", PUB + "/jobs/%d" % job["jobId"])


def test_fault_reset_after_acts_then_sends_nothing(emu):
    cid = by_name(emu, "Faker Demo")["connectionId"]
    jobs_before = len(emu.ok("GET", "/_emulator/state")["jobs"])
    rule = emu.ok("POST", "/_emulator/faults", {"method": "POST", "path": "/jobs$", "kind": "reset_after",
                                                "connection": "reused", "count": 1})
    conn = keepalive(emu)
    try:
        # the first request on a TCP connection is not "reused": the rule lets it through
        status, job = ka_call(conn, "POST", PUB + "/jobs", {"connectionId": cid, "jobType": "sync"})
        assert status == 200
        emu.ok("DELETE", "/_emulator/faults")
        rule = emu.ok("POST", "/_emulator/faults", {"method": "DELETE", "path": "/jobs/", "kind": "reset_after",
                                                    "connection": "reused", "count": 1})
        with pytest.raises((http.client.RemoteDisconnected, ConnectionResetError)):
            ka_call(conn, "DELETE", PUB + "/jobs/%d" % job["jobId"])
    finally:
        conn.close()
    # the server acted: the job was cancelled although the client heard nothing
    wait_status(emu, job["jobId"], "cancelled")
    assert len(emu.ok("GET", "/_emulator/state")["jobs"]) == jobs_before + 1
    deletes = [e for e in api_log(emu) if e["method"] == "DELETE"]
    assert len(deletes) == 1 and deletes[0]["fault"] == "reset_after" and deletes[0]["reused"]
    assert deletes[0]["status"] == 200
    assert [r["fired"] for r in emu.ok("GET", "/_emulator/faults")["faults"] if r["id"] == rule["id"]] == [1]
    # "then": "close" ends with FIN instead of RST; a PATCH is applied all the same
    emu.ok("POST", "/_emulator/faults", {"method": "PATCH", "kind": "reset_after", "then": "close", "count": 1})
    with pytest.raises((http.client.RemoteDisconnected, ConnectionResetError)):
        conn = keepalive(emu)
        ka_call(conn, "PATCH", PUB + "/connections/" + cid, {"name": "Applied, answer lost"})
    conn.close()
    assert emu.ok("GET", PUB + "/connections/" + cid)["name"] == "Applied, answer lost"


def test_fault_cut_sends_real_length_and_part_of_the_body(emu):
    emu.ok("POST", "/_emulator/faults", {"path": "/workspaces$", "kind": "cut", "count": 1, "cut_at": 10})
    conn = keepalive(emu)
    try:
        conn.request("GET", PUB + "/workspaces", headers={"Authorization": "Bearer " + BEARER})
        resp = conn.getresponse()
        full = len(json.dumps(emu.ok("GET", PUB + "/workspaces"), ensure_ascii=False).encode())
        assert resp.status == 200 and int(resp.getheader("Content-Length")) == full
        with pytest.raises(http.client.IncompleteRead) as exc:
            resp.read()
        assert len(exc.value.partial) == 10
    finally:
        conn.close()


def test_fault_status_with_a_cut_body_does_not_run_the_request(emu, problem_schemas):
    cid = by_name(emu, "Faker Demo")["connectionId"]
    jobs_before = len(emu.ok("GET", "/_emulator/state")["jobs"])
    emu.ok("POST", "/_emulator/faults", {"method": "POST", "path": "/jobs$", "kind": "cut", "status": 409,
                                         "count": 1})
    conn = keepalive(emu)
    try:
        conn.request("POST", PUB + "/jobs", body=json.dumps({"connectionId": cid, "jobType": "sync"}),
                     headers={"Authorization": "Bearer " + BEARER, "Content-Type": "application/json"})
        resp = conn.getresponse()
        assert resp.status == 409
        with pytest.raises(http.client.IncompleteRead):
            resp.read()
    finally:
        conn.close()
    assert len(emu.ok("GET", "/_emulator/state")["jobs"]) == jobs_before
    # the same rule without the cut: the injected 409 is the server's own problem body
    emu.ok("POST", "/_emulator/faults", {"method": "POST", "path": "/jobs$", "status": 409, "count": 1})
    status, _, body = emu.call("POST", PUB + "/jobs", {"connectionId": cid, "jobType": "sync"})
    assert status == 409
    problem_schemas.validate("TryAgainLaterConflictProblemResponse", body)
    # a real 409 (a sync is running) with its body cut: the server did refuse it
    job = emu.ok("POST", PUB + "/jobs", {"connectionId": cid, "jobType": "sync"})
    emu.ok("POST", "/_emulator/faults", {"method": "POST", "path": "/jobs$", "kind": "cut", "count": 1})
    conn = keepalive(emu)
    try:
        conn.request("POST", PUB + "/jobs", body=json.dumps({"connectionId": cid, "jobType": "sync"}),
                     headers={"Authorization": "Bearer " + BEARER, "Content-Type": "application/json"})
        resp = conn.getresponse()
        assert resp.status == 409
        with pytest.raises(http.client.IncompleteRead):
            resp.read()
    finally:
        conn.close()
    assert len(emu.ok("GET", "/_emulator/state")["jobs"]) == jobs_before + 1
    emu.ok("DELETE", PUB + "/jobs/%d" % job["jobId"])


@pytest.mark.parametrize("when,then,acted,answered", [
    ("before", "answer", True, True),
    ("before", "close", False, False),
    ("after", "answer", True, True),
    ("after", "close", True, False),
    ("after", "reset", True, False),
])
def test_fault_stall(emu, when, then, acted, answered):
    cid = by_name(emu, "Faker Demo")["connectionId"]
    emu.ok("POST", "/_emulator/faults", {"method": "PATCH", "path": "/connections/", "kind": "stall",
                                         "delay_ms": 400, "when": when, "then": then, "count": 1})
    started = time.monotonic()
    conn = keepalive(emu)
    try:
        if answered:
            assert ka_call(conn, "PATCH", PUB + "/connections/" + cid, {"name": "Stalled"})[0] == 200
        else:
            with pytest.raises((http.client.RemoteDisconnected, ConnectionResetError)):
                ka_call(conn, "PATCH", PUB + "/connections/" + cid, {"name": "Stalled"})
    finally:
        conn.close()
    assert time.monotonic() - started >= 0.39
    assert (emu.ok("GET", PUB + "/connections/" + cid)["name"] == "Stalled") == acted
    assert api_log(emu)[-2]["fault"] == "stall"
    # a client that gives up during the stall does not stop the emulator
    emu.ok("POST", "/_emulator/faults", {"path": "/workspaces$", "kind": "stall", "delay_ms": 600, "count": 1})
    with pytest.raises(Exception):
        emu.get(PUB + "/workspaces", timeout=0.2)
    assert emu.get(PUB + "/workspaces")[0] == 200


def test_fault_armed_by_sequences_rules(emu):
    cid = by_name(emu, "Faker Demo")["connectionId"]
    first = emu.ok("POST", "/_emulator/faults", {"method": "PATCH", "kind": "reset_after", "count": 1})
    emu.ok("POST", "/_emulator/faults", {"method": "GET", "path": "/connections/", "status": 503, "count": 1,
                                         "armed_by": first["id"]})
    assert emu.get(PUB + "/connections/" + cid)[0] == 200       # not armed yet
    with pytest.raises((http.client.RemoteDisconnected, ConnectionResetError)):
        ka_call(keepalive(emu), "PATCH", PUB + "/connections/" + cid, {"name": "Armed"})
    assert emu.get(PUB + "/connections/" + cid)[0] == 503       # armed by the first rule's hit
    assert emu.get(PUB + "/connections/" + cid)[0] == 200       # count spent
    assert emu.call("POST", "/_emulator/faults", {"kind": "status", "armed_by": 999})[0] == 400
    for bad in ({"kind": "stall", "when": "later"}, {"kind": "stall", "then": "maybe"},
                {"connection": "old"}, {"kind": "cut", "cut_at": -1}):
        assert emu.call("POST", "/_emulator/faults", bad)[0] == 400, bad


# --- scale and shutdown --------------------------------------------------------------------------

def test_ten_thousand_connections_start_fast():
    e = Emulator("--connections", "10000")
    try:
        assert e.startup_seconds < 2.0, e.startup_seconds
        started = time.monotonic()
        last = e.ok("GET", PUB + "/connections?workspaceIds=%s&limit=100&offset=9900" % DEMO_WS)
        assert len(last["data"]) == 100 and last["data"][-1]["name"].startswith("conn-10000 ")
        assert time.monotonic() - started < 0.5
        names = set()
        offset = 0
        started = time.monotonic()
        while True:
            page = e.ok("GET", PUB + "/connections?workspaceIds=%s&limit=100&offset=%d" % (DEMO_WS, offset))
            names.update(c["connectionId"] for c in page["data"])
            if len(page["data"]) < 100:
                break
            offset += 100
        assert len(names) == 10000
        assert time.monotonic() - started < 10
        assert e.ok("GET", PUB + "/connections/" + last["data"][0]["connectionId"])["workspaceId"] == DEMO_WS
    finally:
        e.stop()


def test_sigterm_exits_cleanly():
    e = Emulator()
    e.proc.send_signal(signal.SIGTERM)
    assert e.proc.wait(5) == 0
    e.stop()


def test_reset_job_clears_state(emu):
    pg = by_name(emu, "Postgres → Snowflake")["connectionId"]
    before = emu.ok("POST", CFG + "/state/get", {"connectionId": pg})
    assert before["stateType"] == "stream"
    job = emu.ok("POST", PUB + "/jobs", {"connectionId": pg, "jobType": "reset"})
    assert emu.ok("POST", CFG + "/state/get", {"connectionId": pg}) == before       # not yet
    wait_status(emu, job["jobId"], "succeeded")
    assert emu.ok("POST", CFG + "/state/get", {"connectionId": pg}) == {"stateType": "not_set", "connectionId": pg}
    emu.ok("POST", CFG + "/state/create_or_update_safe", {"connectionId": pg, "connectionState": before})
    assert emu.ok("POST", CFG + "/state/get", {"connectionId": pg}) == before


# --- creating connections, tags ------------------------------------------------------------------

def _actor(emu, collection, name):
    items = emu.ok("GET", PUB + "/%s?workspaceIds=%s" % (collection, DEMO_WS))["data"]
    return next(a for a in items if a["name"] == name)


def test_create_connection(emu, public_schemas, problem_schemas):
    src = _actor(emu, "sources", "Stripe Billing")["sourceId"]
    dst = _actor(emu, "destinations", "BigQuery Warehouse")["destinationId"]
    tag = next(t for t in emu.ok("GET", PUB + "/tags?workspaceIds=" + DEMO_WS)["data"] if t["name"] == "finance")
    body = {"name": "stripe-to-bq", "sourceId": src, "destinationId": dst, "prefix": "s_",
            "schedule": {"scheduleType": "cron", "cronExpression": "0 30 2 ? * 2-6"},
            "configurations": {"streams": [{"name": "charges"}]}, "tags": [tag]}
    public_schemas.validate("ConnectionCreateRequest", body)
    made = emu.ok("POST", PUB + "/connections", body)
    public_schemas.validate("ConnectionResponse", made)
    assert made["name"] == "stripe-to-bq" and made["workspaceId"] == DEMO_WS and made["prefix"] == "s_"
    assert made["schedule"] == {"scheduleType": "cron", "cronExpression": "0 30 2 ? * 2-6 UTC"}
    assert [s["name"] for s in made["configurations"]["streams"]] == ["charges"]
    assert made["tags"] == [tag] and made["status"] == "active"
    assert emu.ok("GET", PUB + "/connections/" + made["connectionId"]) == made
    assert made["connectionId"] in [c["connectionId"] for c in all_connections(emu)]
    # no configurations: every discovered stream, full_refresh_overwrite
    every = emu.ok("POST", PUB + "/connections", {"sourceId": src, "destinationId": dst})
    public_schemas.validate("ConnectionResponse", every)
    assert len(every["configurations"]["streams"]) > 1
    assert {s["syncMode"] for s in every["configurations"]["streams"]} == {"full_refresh_overwrite"}
    assert every["name"] == "Stripe Billing → BigQuery Warehouse"
    # refusals
    status, _, problem_body = emu.call("POST", PUB + "/connections", {"sourceId": src})
    assert status == 400
    problem_schemas.validate("BadRequestProblemResponse", problem_body)
    bad_stream = dict(body, configurations={"streams": [{"name": "nope"}]})
    assert emu.call("POST", PUB + "/connections", bad_stream)[0] == 400
    missing = "0" * 8 + "-0000-4000-8000-" + "0" * 12
    status, _, problem_body = emu.call("POST", PUB + "/connections", dict(body, sourceId=missing))
    assert status == 404
    problem_schemas.validate("ResourceNotFoundProblemResponse", problem_body)


def test_tags(emu, public_schemas):
    v = public_schemas.validate
    listed = emu.ok("GET", PUB + "/tags?workspaceIds=" + DEMO_WS)
    v("TagsResponse", listed)
    assert sorted(t["name"] for t in listed["data"]) == ["finance", "nightly", "prod"]
    assert len(emu.ok("GET", PUB + "/tags")["data"]) == 4
    body = {"name": "team-a", "color": "FF5733", "workspaceId": DEMO_WS}
    v("TagCreateRequest", body)
    tag = emu.ok("POST", PUB + "/tags", body)
    v("TagResponse", tag)
    assert emu.call("POST", PUB + "/tags", body)[0] == 409
    assert emu.call("POST", PUB + "/tags", dict(body, name="x", color="red"))[0] == 400
    assert emu.ok("GET", PUB + "/tags/" + tag["tagId"]) == tag
    # a connection carries it; renaming the tag shows in the connection
    cid = by_name(emu, "Faker Demo")["connectionId"]
    patch(emu, cid, {"tags": [tag]})
    assert emu.ok("GET", PUB + "/connections/" + cid)["tags"] == [tag]
    renamed = emu.ok("PATCH", PUB + "/tags/" + tag["tagId"], {"name": "team-b", "color": "#00AA00"})
    v("TagResponse", renamed)
    assert emu.ok("GET", PUB + "/connections/" + cid)["tags"] == [renamed]
    assert next(c for c in all_connections(emu) if c["connectionId"] == cid)["tags"] == [renamed]  # listed too
    assert emu.call("PATCH", PUB + "/tags/" + tag["tagId"], {"name": "prod", "color": "FF0000"})[0] == 409
    # a tag of another workspace cannot be put on a connection
    other = next(t for t in emu.ok("GET", PUB + "/tags?workspaceIds=" + OTHER_WS)["data"])
    assert emu.call("PATCH", PUB + "/connections/" + cid, {"tags": [other]})[0] == 400
    # delete: gone, and off the connection
    assert emu.call("DELETE", PUB + "/tags/" + tag["tagId"])[0] == 204
    assert emu.call("GET", PUB + "/tags/" + tag["tagId"])[0] == 404
    c = emu.ok("GET", PUB + "/connections/" + cid)
    v("ConnectionResponse", c)
    assert c["tags"] == []


def test_job_failure_reason_is_planned(emu, config_schemas):
    cid = by_name(emu, "Faker Demo")["connectionId"]
    failure = {"origin": "destination", "type": "config_error", "message": "Bad key", "retryable": False}
    emu.ok("POST", "/_emulator/next-job", {"outcome": "failed", "attempts": 1, "duration": 0.5,
                                           "failure": failure})
    job = emu.ok("POST", PUB + "/jobs", {"connectionId": cid, "jobType": "sync"})
    assert wait_status(emu, job["jobId"], "failed")
    info = emu.ok("POST", CFG + "/jobs/get", {"id": job["jobId"]})
    config_schemas.validate("JobInfoRead", info)
    f = info["attempts"][0]["attempt"]["failureSummary"]["failures"][0]
    assert (f["failureOrigin"], f["failureType"], f["externalMessage"], f["retryable"]) == \
        ("destination", "config_error", "Bad key", False)
    status, _, _ = emu.call("POST", "/_emulator/next-job", {"failure": {"kind": "x"}}, token=None)
    assert status == 400


def test_stream_endpoints_validate_and_act_per_stream(emu, config_schemas):
    v = config_schemas.validate
    cid = by_name(emu, "Postgres → Snowflake")["connectionId"]
    state = emu.ok("POST", CFG + "/state/get", {"connectionId": cid})
    names = [e["streamDescriptor"]["name"] for e in state["streamState"]]
    assert "orders" in names and "users" in names
    one = [{"streamName": "orders", "streamNamespace": "public"}]
    refreshed = emu.ok("POST", CFG + "/connections/refresh", {"connectionId": cid, "refreshMode": "Truncate",
                                                              "streams": one})
    v("JobReadResponse", refreshed)
    assert refreshed["job"]["refreshConfig"] == {"streamsToRefresh": [{"name": "orders", "namespace": "public"}]}
    status, _, body = emu.call("POST", CFG + "/connections/clear/stream", {"connectionId": cid, "streams": one})
    assert status == 409
    v("KnownExceptionInfo", body)
    assert wait_status(emu, refreshed["job"]["id"], "succeeded")
    state = emu.ok("POST", CFG + "/state/get", {"connectionId": cid})
    names = [e["streamDescriptor"]["name"] for e in state["streamState"]]
    assert "orders" not in names and "users" in names
    cleared = emu.ok("POST", CFG + "/connections/clear/stream",
                     {"connectionId": cid, "streams": [{"streamName": "users", "streamNamespace": "public"}]})
    v("JobInfoRead", cleared)
    assert cleared["job"]["configType"] == "clear"
    assert wait_status(emu, cleared["job"]["id"], "succeeded")
    state = emu.ok("POST", CFG + "/state/get", {"connectionId": cid})
    assert "users" not in [e["streamDescriptor"]["name"] for e in state["streamState"]]
    # bad bodies
    for body in ({"connectionId": cid}, {"connectionId": cid, "streams": [{"streamName": "nope"}]},
                 {"connectionId": cid, "streams": []}):
        status, _, err = emu.call("POST", CFG + "/connections/clear/stream", body)
        assert status == 422
        v("InvalidInputExceptionInfo", err)
    last = emu.ok("POST", CFG + "/connections/last_job_per_stream", {"connectionId": cid})
    v("ConnectionLastJobPerStreamRead", last)
    by = {i["streamName"]: i for i in last}
    assert by["users"]["jobId"] == cleared["job"]["id"] and by["users"]["configType"] == "clear"
    assert by["orders"]["jobId"] == refreshed["job"]["id"]
    assert by["products"]["configType"] == "sync"
    v("ConnectionLastJobPerStreamRead", emu.ok("POST", CFG + "/connections/last_job_per_stream",
                                               {"connectionId": by_name(emu, "Faker Demo")["connectionId"]}))


def test_connection_events(emu, config_schemas):
    v = config_schemas.validate
    cid = by_name(emu, "Faker Demo")["connectionId"]
    patch(emu, cid, {"name": "Faker Renamed", "schedule": {"scheduleType": "cron", "cronExpression": "0 0 1 * * ?"}})
    patch(emu, cid, {"status": "inactive"})
    emu.ok("PATCH", "/_emulator/connections/" + cid, {"prefix": "ui_"}, token=None)
    job = emu.ok("POST", PUB + "/jobs", {"connectionId": cid, "jobType": "sync"})
    assert wait_status(emu, job["jobId"], "succeeded")
    events = emu.ok("POST", CFG + "/connections/events/list", {"connectionId": cid})
    v("ConnectionEventList", events)
    times = [e["createdAt"] for e in events["events"]]
    assert times == sorted(times, reverse=True)
    types = [e["eventType"] for e in events["events"]]
    assert types[:2] == ["SYNC_SUCCEEDED", "SYNC_STARTED"]
    settings = [e for e in events["events"] if e["eventType"] == "CONNECTION_SETTINGS_UPDATE"]
    assert settings[0]["user"]["email"] == "alice@example.com"
    assert settings[0]["summary"]["patches"] == {"prefix": {"from": "faker_", "to": "ui_"}}
    assert settings[1]["user"]["email"] == "demo@example.com"
    assert settings[1]["summary"]["patches"]["name"] == {"from": "Faker Demo", "to": "Faker Renamed"}
    assert "CONNECTION_DISABLED" in types
    page = emu.ok("POST", CFG + "/connections/events/list",
                  {"connectionId": cid, "pagination": {"pageSize": 2, "rowOffset": 1}})
    assert page["events"] == events["events"][1:3]
    only = emu.ok("POST", CFG + "/connections/events/list", {"connectionId": cid, "eventTypes": ["SYNC_FAILED"]})
    assert {e["eventType"] for e in only["events"]} == {"SYNC_FAILED"}
    status, _, err = emu.call("POST", CFG + "/connections/events/list", {"connectionId": cid, "eventTypes": ["X"]})
    assert status == 422
    v("InvalidInputExceptionInfo", err)
