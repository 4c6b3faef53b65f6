# The emulator's own control API under /_emulator: request counters and log, reset to the seed,
# state dump, edits "made in the web UI", run-time settings, token expiry, the next job's fate and
# fault rules. Never counted, never delayed, never faulted, no auth.

import copy
import time

import connections
import seed
from problems import ApiError
from web import Response

ROOT = "/_emulator"


def routes(router):
    r = router.add
    r("GET", ROOT + "/requests", requests_get, auth=False)
    r("POST", ROOT + "/requests/reset", requests_reset, auth=False)
    r("POST", ROOT + "/reset", reset, auth=False)
    r("GET", ROOT + "/state", state, auth=False)
    r("GET", ROOT + "/connections/{connectionId}", get_connection, auth=False)
    r("PATCH", ROOT + "/connections/{connectionId}", patch_connection, auth=False)
    r("POST", ROOT + "/config", config, auth=False)
    r("GET", ROOT + "/config", config_get, auth=False)
    r("POST", ROOT + "/tokens/expire", tokens_expire, auth=False)
    r("POST", ROOT + "/next-job", next_job, auth=False)
    r("POST", ROOT + "/faults", faults_add, auth=False)
    r("GET", ROOT + "/faults", faults_list, auth=False)
    r("DELETE", ROOT + "/faults", faults_clear, auth=False)


def admin_error(status, message):
    return ApiError(status, {"error": message})


def json_body(req, default=None):
    if req.body is None or not req.body.strip():
        if default is not None:
            return default
    return req.json(lambda m: admin_error(400, "invalid JSON: " + m))


def requests_get(app, req):
    return Response(200, app.requests.snapshot())


def requests_reset(app, req):
    app.requests.reset()
    return Response(200, {"ok": True})


def reset(app, req):
    app.store.reset()
    app.store.settings.restore()
    app.faults.clear()
    app.requests.reset()
    return Response(200, {"ok": True})


def state(app, req):
    return Response(200, app.store.dump(time.time()))


def get_connection(app, req):
    """One connection as the public API shows it (deleted ones too) and its jobs, oldest first:
    what a test checks after each operation without the cost of the whole state dump."""
    store = app.store
    now = time.time()
    with store.lock:
        cid = req.params["connectionId"]
        if store.connection(cid) is None:
            raise admin_error(404, "no connection %s" % cid)
        jobs = sorted(store.jobs_of(cid), key=lambda j: j.id)
        return Response(200, {"connection": store.connection_public(cid),
                              "jobs": [j.public(now) for j in jobs]})


def patch_connection(app, req):
    body = json_body(req)
    if not isinstance(body, dict):
        raise admin_error(400, "body must be a JSON object")
    store = app.store
    with store.lock:
        cid = req.params["connectionId"]
        c = store.connection(cid)
        if c is None:
            raise admin_error(404, "no connection %s" % cid)
        before = copy.deepcopy(c)
        connections.admin_merge(c, body)
        store.changed(cid, listing=True)
        store.record_changes(cid, before, {k: c.get(k) for k in before.keys() | c.keys()}, seed.WEB_UI_USER,
                             time.time())
        return Response(200, store.connection_public(cid))


def config(app, req):
    body = json_body(req)
    if not isinstance(body, dict):
        raise admin_error(400, "body must be a JSON object")
    try:
        app.store.settings.update(body)
    except (KeyError, TypeError, ValueError) as e:
        raise admin_error(400, "bad setting: %s" % e)
    return Response(200, app.store.settings.as_dict())


def config_get(app, req):
    return Response(200, app.store.settings.as_dict())


def tokens_expire(app, req):
    app.store.expire_tokens()
    return Response(200, {"ok": True})


def next_job(app, req):
    body = json_body(req, {})
    if not isinstance(body, dict):
        raise admin_error(400, "body must be a JSON object")
    outcome = body.get("outcome", "succeeded")
    if outcome not in ("succeeded", "failed"):
        raise admin_error(400, "outcome must be succeeded or failed")
    plan = {"outcome": outcome, "attempts": int(body.get("attempts") or 1)}
    if body.get("duration") is not None:
        plan["duration"] = float(body["duration"])
    failure = body.get("failure")
    if failure is not None:
        if not isinstance(failure, dict) or set(failure) - {"origin", "type", "message", "retryable"}:
            raise admin_error(400, "failure takes origin, type, message and retryable")
        plan["failure"] = failure
    with app.store.lock:
        app.store.next_job_plan = plan
    return Response(200, plan)


def faults_add(app, req):
    body = json_body(req)
    if not isinstance(body, dict):
        raise admin_error(400, "body must be a JSON object")
    try:
        return Response(200, app.faults.add(body))
    except Exception as e:  # a bad regex, kind or number: tell the test author
        raise admin_error(400, "bad fault rule: %s" % e)


def faults_list(app, req):
    return Response(200, {"faults": app.faults.describe()})


def faults_clear(app, req):
    app.faults.clear()
    return Response(200, {"ok": True})
