# Route handlers of the public API, mounted under /api/public/v1 (as on a self-managed Airbyte).
# Bodies follow public-api.yaml; errors are problem JSON (problems.py).

import copy
import json
import re
import time
import uuid

import catalog
import connections
import seed
from jobs import parse_time
from problems import (bad_request, conflict, invalid_api_key, not_found, problem, state_conflict,
                      try_again_later, unprocessable)
from state import CLIENT_ID, CLIENT_SECRET
from web import Response, parse_bool, parse_int

ROOT = "/api/public/v1"
JOB_TYPES = ["sync", "reset", "refresh", "clear"]
JOB_STATUSES = ["pending", "queued", "running", "incomplete", "failed", "succeeded", "cancelled"]


def routes(router):
    r = router.add
    r("GET", ROOT + "/health", health, auth=False)
    r("POST", ROOT + "/applications/token", token, auth=False)
    r("GET", ROOT + "/workspaces", list_workspaces)
    r("GET", ROOT + "/workspaces/{workspaceId}", get_workspace)
    r("GET", ROOT + "/connections", list_connections)
    r("POST", ROOT + "/connections", create_connection)
    r("GET", ROOT + "/connections/{connectionId}", get_connection)
    r("PATCH", ROOT + "/connections/{connectionId}", patch_connection)
    r("DELETE", ROOT + "/connections/{connectionId}", delete_connection)
    r("GET", ROOT + "/sources", list_sources)
    r("GET", ROOT + "/sources/{sourceId}", get_source)
    r("GET", ROOT + "/destinations", list_destinations)
    r("GET", ROOT + "/destinations/{destinationId}", get_destination)
    r("PATCH", ROOT + "/sources/{sourceId}", patch_source)
    r("PATCH", ROOT + "/destinations/{destinationId}", patch_destination)
    r("DELETE", ROOT + "/sources/{sourceId}", delete_source)
    r("DELETE", ROOT + "/destinations/{destinationId}", delete_destination)
    r("GET", ROOT + "/streams", stream_properties)
    r("GET", ROOT + "/tags", list_tags)
    r("POST", ROOT + "/tags", create_tag)
    r("GET", ROOT + "/tags/{tagId}", get_tag)
    r("PATCH", ROOT + "/tags/{tagId}", patch_tag)
    r("DELETE", ROOT + "/tags/{tagId}", delete_tag)
    r("POST", ROOT + "/jobs", create_job)
    r("GET", ROOT + "/jobs", list_jobs)
    r("GET", ROOT + "/jobs/{jobId}", get_job)
    r("DELETE", ROOT + "/jobs/{jobId}", cancel_job)


# --- helpers -------------------------------------------------------------------------------------

def check_uuid(value, name):
    try:
        return str(uuid.UUID(value))
    except (ValueError, TypeError, AttributeError):
        raise bad_request("Invalid UUID string for %s: %s" % (name, value))


def forbidden():
    return problem(403, "forbidden", "Caller does not have the required permissions to access the "
                   "requested workspaces.", data={"message": "Forbidden"})


def workspace_filter(app, req):
    ids = [check_uuid(w, "workspaceIds") for w in req.arg_list("workspaceIds")]
    known = {w["workspaceId"] for w in app.store.workspaces}
    if any(w not in known for w in ids):
        raise forbidden()
    return ids


def paging(req):
    limit = parse_int(req.arg("limit"), "limit", 20, 1, 100)
    offset = parse_int(req.arg("offset"), "offset", 0, 0)
    return limit, offset


def envelope(app, collection, params, items_json, limit, offset):
    """List envelope with PaginationMapper's links (on the advertised, possibly internal, host)."""
    base = "%s%s/%s?" % (app.store.advertised_host, ROOT, collection)
    query = "".join("%s=%s&" % (k, v) for k, v in params)
    nxt = "" if not items_json else "%s%slimit=%d&offset=%d" % (base, query, limit, offset + limit)
    prev = "" if offset == 0 else "%s%slimit=%d&offset=%d" % (base, query, limit, max(offset - limit, 0))
    text = '{"previous": %s, "next": %s, "data": [%s]}' % (
        json.dumps(prev), json.dumps(nxt), ", ".join(items_json))
    return Response(200, raw=text)


def dumps(value):
    return json.dumps(value, ensure_ascii=False)


# --- health and tokens ---------------------------------------------------------------------------

def health(app, req):
    return Response(200, {"available": True})


def token(app, req):
    body = req.form_or_json()
    if not isinstance(body, dict):
        raise bad_request("Invalid request body")
    cid, secret = body.get("client_id"), body.get("client_secret")
    if not isinstance(cid, str) or not isinstance(secret, str):
        raise bad_request("client_id and client_secret are required")
    if cid != CLIENT_ID or secret != CLIENT_SECRET:
        raise invalid_api_key("Invalid client id or client secret.")
    return Response(200, {"access_token": app.store.issue_token(), "token_type": "Bearer",
                          "expires_in": int(app.store.settings.token_lifetime)})


# --- workspaces ----------------------------------------------------------------------------------

def list_workspaces(app, req):
    ids = workspace_filter(app, req)
    include_deleted = parse_bool(req.arg("includeDeleted"), "includeDeleted")
    limit, offset = paging(req)
    items = [w for w in app.store.workspaces if not ids or w["workspaceId"] in ids]
    page = [dumps(w) for w in items[offset:offset + limit]]
    params = [("includeDeleted", str(include_deleted).lower())]
    if ids:
        params.append(("workspaceIds", ",".join(ids)))
    return envelope(app, "workspaces", params, page, limit, offset)


def get_workspace(app, req):
    wid = check_uuid(req.params["workspaceId"], "workspaceId")
    for w in app.store.workspaces:
        if w["workspaceId"] == wid:
            return Response(200, w)
    raise not_found("workspace", wid)


# --- connections ---------------------------------------------------------------------------------

def list_connections(app, req):
    ids = workspace_filter(app, req)
    include_deleted = parse_bool(req.arg("includeDeleted"), "includeDeleted")
    limit, offset = paging(req)
    store = app.store
    # Pages are served from ready bytes until a connection changes, so that a walk of a big
    # workspace measures the client, not the emulator's JSON encoding.
    key = (tuple(sorted(ids)), include_deleted, limit, offset)
    with store.lock:
        raw = store.pages.get(key)
        if raw is None:
            listed = store.listed_ids(ids, include_deleted)
            page = [store.connection_json(cid) for cid in listed[offset:offset + limit]]
            params = [("includeDeleted", str(include_deleted).lower())]
            if ids:
                params.append(("workspaceIds", ",".join(ids)))
            raw = envelope(app, "connections", params, page, limit, offset).payload()
            store.pages[key] = raw
    return Response(200, raw=raw)


def _connection_or_404(app, raw_id):
    cid = check_uuid(raw_id, "connectionId")
    if app.store.connection(cid) is None:
        raise not_found("connection", cid)
    return cid


def get_connection(app, req):
    with app.store.lock:
        cid = _connection_or_404(app, req.params["connectionId"])
        return Response(200, raw=app.store.connection_json(cid))


def patch_connection(app, req):
    body = req.json(lambda m: bad_request("Invalid JSON body: " + m))
    connections.check_patch_body(body)
    store = app.store
    with store.lock:
        cid = _connection_or_404(app, req.params["connectionId"])
        c = store.connection(cid)
        changes = connections.patch(c, body, store.discovered(c["sourceId"]),
                                    store.destination_modes(c["destinationId"]), store.tag_lookup(c["workspaceId"]))
        before = copy.deepcopy(c)
        store.apply_changes(cid, changes)
        store.record_changes(cid, before, changes, seed.DEMO_USER, time.time())
        return Response(200, raw=store.connection_json(cid))


def create_connection(app, req):
    """POST /connections (ConnectionCreateRequest): the ConnectionsController's checks, then a new
    connection; no `configurations` selects every discovered stream as full_refresh_overwrite."""
    body = req.json(lambda m: bad_request("Invalid JSON body: " + m))
    if not isinstance(body, dict):
        raise bad_request("Cannot deserialize value of type `ConnectionCreateRequest` from non-object")
    if body.get("sourceId") is None or body.get("destinationId") is None:
        raise bad_request("Missing required creator property 'sourceId' or 'destinationId' for "
                          "ConnectionCreateRequest")
    connections.check_patch_body(body)
    store = app.store
    with store.lock:
        sid = check_uuid(body["sourceId"], "sourceId")
        did = check_uuid(body["destinationId"], "destinationId")
        src, dst = store.sources.get(sid), store.destinations.get(did)
        if src is None:
            raise not_found("source", sid)
        if dst is None:
            raise not_found("destination", did)
        if src["workspaceId"] != dst["workspaceId"]:
            raise bad_request("The source and the destination must be in the same workspace")
        c = connections.new_connection(body, src, dst, store.discovered(sid), store.destination_modes(did),
                                       store.tag_lookup(src["workspaceId"]), int(time.time()))
        store.add_connection(c)
        return Response(200, raw=store.connection_json(c["connectionId"]))


def delete_connection(app, req):
    store = app.store
    with store.lock:
        cid = _connection_or_404(app, req.params["connectionId"])
        store.apply_changes(cid, {"status": "deprecated"})
    return Response(204)


# --- sources and destinations --------------------------------------------------------------------

def _list_actors(app, req, collection, table):
    ids = workspace_filter(app, req)
    include_deleted = parse_bool(req.arg("includeDeleted"), "includeDeleted")
    limit, offset = paging(req)
    with app.store.lock:
        items = [a for a in table.values() if not ids or a["workspaceId"] in ids]
        page = [dumps(a) for a in items[offset:offset + limit]]
    params = [("includeDeleted", str(include_deleted).lower())]
    if ids:
        params.append(("workspaceIds", ",".join(ids)))
    return envelope(app, collection, params, page, limit, offset)


def list_sources(app, req):
    return _list_actors(app, req, "sources", app.store.sources)


def list_destinations(app, req):
    return _list_actors(app, req, "destinations", app.store.destinations)


def get_source(app, req):
    sid = check_uuid(req.params["sourceId"], "sourceId")
    with app.store.lock:
        src = app.store.sources.get(sid)
        if src is None:
            raise not_found("source", sid)
        return Response(200, raw=dumps(src))


def get_destination(app, req):
    did = check_uuid(req.params["destinationId"], "destinationId")
    with app.store.lock:
        dst = app.store.destinations.get(did)
        if dst is None:
            raise not_found("destination", did)
        return Response(200, raw=dumps(dst))


def _patch_actor(app, req, table, key, kind):
    aid = check_uuid(req.params[key], key)
    body = req.json(lambda m: bad_request("Invalid JSON body: " + m))
    if not isinstance(body, dict):
        raise bad_request("Cannot deserialize value of type `%sPatchRequest` from non-object" % kind.title())
    name = body.get("name")
    if name is not None and (not isinstance(name, str) or not name.strip()):
        raise bad_request("The name of a %s must be a non-empty string" % kind)
    config = body.get("configuration")
    if config is not None and not isinstance(config, dict):
        raise bad_request("configuration must be an object")
    with app.store.lock:
        actor = table.get(aid)
        if actor is None:
            raise not_found(kind, aid)
        if name is not None:
            actor["name"] = name
        if config is not None:
            for k, v in config.items():
                if v != "**********":  # a masked secret sent back keeps the stored one
                    actor["configuration"][k] = v
        return Response(200, raw=dumps(actor))


def _delete_actor(app, req, table, key, kind):
    aid = check_uuid(req.params[key], key)
    with app.store.lock:
        if aid not in table:
            raise not_found(kind, aid)
        del table[aid]
    return Response(204)


def patch_source(app, req):
    return _patch_actor(app, req, app.store.sources, "sourceId", "source")


def patch_destination(app, req):
    return _patch_actor(app, req, app.store.destinations, "destinationId", "destination")


def delete_source(app, req):
    return _delete_actor(app, req, app.store.sources, "sourceId", "source")


def delete_destination(app, req):
    return _delete_actor(app, req, app.store.destinations, "destinationId", "destination")


def stream_properties(app, req):
    raw_sid = req.arg("sourceId")
    if not raw_sid:
        raise bad_request("Required QueryValue [sourceId] not specified")
    sid = check_uuid(raw_sid, "sourceId")
    store = app.store
    if sid not in store.sources:
        raise not_found("source", sid)
    dest_modes = ["overwrite", "append", "append_dedup"]
    raw_did = req.arg("destinationId")
    if raw_did:
        did = check_uuid(raw_did, "destinationId")
        if did not in store.destinations:
            raise not_found("destination", did)
        dest_modes = store.destination_modes(did)
    parse_bool(req.arg("ignoreCache"), "ignoreCache")
    return Response(200, catalog.stream_properties(store.discovered(sid), dest_modes))


# --- tags ----------------------------------------------------------------------------------------
# TagsResponse is {"data": [...]} without paging; a tag's name is unique in its workspace (409);
# deleting a tag takes it off every connection that carried it.

TAG_COLOR = re.compile(r"^#?[0-9A-Fa-f]{6}$")


def _check_tag_fields(body, kind, required):
    if not isinstance(body, dict):
        raise bad_request("Cannot deserialize value of type `%s` from non-object" % kind)
    for field in required:
        if body.get(field) is None:
            raise bad_request("Missing required creator property '%s' for %s" % (field, kind))
    for field in ("name", "color"):
        if body.get(field) is not None and not isinstance(body[field], str):
            raise bad_request("Cannot deserialize value of type `String` for field `%s`" % field)
    if body.get("name") is not None and not body["name"].strip():
        raise bad_request("A tag's name must not be empty")
    if body.get("color") is not None and not TAG_COLOR.match(body["color"]):
        raise bad_request("Invalid color %s: a tag's color is a hexadecimal value such as FF5733" % body["color"])


def _tag_or_404(app, raw_id):
    tid = check_uuid(raw_id, "tagId")
    tag = app.store.tags.get(tid)
    if tag is None:
        raise not_found("tag", tid)
    return tag


def _name_taken(store, workspace_id, name, but=None):
    return any(t["name"] == name and t["workspaceId"] == workspace_id and t["tagId"] != but
               for t in store.tags.values())


def list_tags(app, req):
    ids = workspace_filter(app, req)
    with app.store.lock:
        items = [dict(t) for t in app.store.tags.values() if not ids or t["workspaceId"] in ids]
    return Response(200, {"data": items})


def create_tag(app, req):
    body = req.json(lambda m: bad_request("Invalid JSON body: " + m))
    _check_tag_fields(body, "TagCreateRequest", ("name", "color", "workspaceId"))
    wid = check_uuid(body["workspaceId"], "workspaceId")
    store = app.store
    with store.lock:
        if wid not in {w["workspaceId"] for w in store.workspaces}:
            raise forbidden()
        if _name_taken(store, wid, body["name"]):
            raise conflict("Tag with same name already exists: %s" % body["name"])
        tag = {"tagId": str(uuid.uuid4()), "workspaceId": wid, "name": body["name"], "color": body["color"]}
        store.tags[tag["tagId"]] = tag
        return Response(200, dict(tag))


def get_tag(app, req):
    with app.store.lock:
        return Response(200, dict(_tag_or_404(app, req.params["tagId"])))


def patch_tag(app, req):
    body = req.json(lambda m: bad_request("Invalid JSON body: " + m))
    _check_tag_fields(body, "TagPatchRequest", ("name", "color"))
    store = app.store
    with store.lock:
        tag = _tag_or_404(app, req.params["tagId"])
        if _name_taken(store, tag["workspaceId"], body["name"], but=tag["tagId"]):
            raise conflict("Tag with same name already exists: %s" % body["name"])
        tag["name"], tag["color"] = body["name"], body["color"]
        store.tags_changed()
        return Response(200, dict(tag))


def delete_tag(app, req):
    store = app.store
    with store.lock:
        tag = _tag_or_404(app, req.params["tagId"])
        del store.tags[tag["tagId"]]
        for cid, c in store.connections.items():
            if tag["tagId"] in c["tags"]:
                c["tags"] = [t for t in c["tags"] if t != tag["tagId"]]
        store.tags_changed()
    return Response(204)


# --- jobs ----------------------------------------------------------------------------------------

def parse_job_id(raw):
    try:
        n = int(raw)
    except (TypeError, ValueError):
        raise bad_request("Failed to convert argument [jobId] for value [%s]" % raw)
    if not -2 ** 63 <= n < 2 ** 63:
        raise bad_request("Failed to convert argument [jobId] for value [%s]" % raw)
    return n


def create_job(app, req):
    body = req.json(lambda m: bad_request("Invalid JSON body: " + m))
    if not isinstance(body, dict):
        raise bad_request("Cannot deserialize value of type `JobCreateRequest` from non-object")
    job_type = body.get("jobType")
    if job_type is None or body.get("connectionId") is None:
        raise bad_request("Missing required creator property 'jobType' or 'connectionId' for JobCreateRequest")
    if job_type not in JOB_TYPES:
        raise connections.enum_error("JobTypeEnum", job_type, JOB_TYPES)
    store = app.store
    with store.lock:
        cid = _connection_or_404(app, body["connectionId"])
        if job_type == "refresh":
            raise unprocessable("Refreshes are not supported in the public API")
        now = time.time()
        if store.running_job(cid, now) is not None:
            raise try_again_later("A sync is already running for: %s" % cid)
        job = store.create_job(cid, job_type, now)
        return Response(200, job.public(now))


def get_job(app, req):
    job_id = parse_job_id(req.params["jobId"])
    with app.store.lock:
        job = app.store.jobs.get(job_id)
        if job is None:
            raise not_found("job", job_id)
        return Response(200, job.public(time.time()))


def cancel_job(app, req):
    job_id = parse_job_id(req.params["jobId"])
    with app.store.lock:
        job = app.store.jobs.get(job_id)
        if job is None:
            raise not_found("job", job_id)
        now = time.time()
        if job.is_terminal(now):
            raise state_conflict("Job is not currently running")
        job.cancelled_at = now
        return Response(200, job.public(now))


ORDER_FIELDS = ("createdAt", "updatedAt")


def list_jobs(app, req):
    store = app.store
    limit, offset = paging(req)
    order = req.arg("orderBy")
    field, descending = "createdAt", False
    if order is not None:
        parts = order.split("|")
        if len(parts) != 2 or parts[0] not in ORDER_FIELDS or parts[1] not in ("ASC", "DESC"):
            raise bad_request("Invalid order by clause provided")
        field, descending = parts[0], parts[1] == "DESC"
    job_type = req.arg("jobType")
    if job_type is not None and job_type not in JOB_TYPES:
        raise connections.enum_error("JobTypeEnum", job_type, JOB_TYPES)
    status = req.arg("status")
    if status is not None and status not in JOB_STATUSES:
        raise connections.enum_error("JobStatusEnum", status, JOB_STATUSES)
    bounds = {}
    for name in ("createdAtStart", "createdAtEnd", "updatedAtStart", "updatedAtEnd"):
        v = req.arg(name)
        if v:
            try:
                bounds[name] = parse_time(v)
            except ValueError:
                raise bad_request("Failed to convert argument [%s] for value [%s]" % (name, v))
    now = time.time()
    with store.lock:
        raw_cid = req.arg("connectionId")
        params = []
        if job_type:
            params.append(("jobType", job_type))
        if raw_cid:
            cid = _connection_or_404(app, raw_cid)
            candidates = store.jobs_of(cid)
            params.append(("connectionId", cid))
        else:
            ids = set(workspace_filter(app, req))
            if ids:
                params.append(("workspaceIds", ",".join(sorted(ids))))
            candidates = [j for j in store.jobs.values()
                          if not ids or store.connections[j.connection_id]["workspaceId"] in ids]
        rows = []
        for job in candidates:
            if job_type and job.job_type != job_type:
                continue
            snap = job.snapshot(now, with_logs=False)
            if status and snap["status"] != status:
                continue
            if not _in_bounds(snap, bounds):
                continue
            rows.append((snap["createdAt"] if field == "createdAt" else snap["updatedAt"], job.id, job))
        rows.sort(key=lambda r: (r[0], r[1]), reverse=descending)
        page = [dumps(job.public(now)) for _, _, job in rows[offset:offset + limit]]
    return envelope(app, "jobs", params, page, limit, offset)


def _in_bounds(snap, bounds):
    c, u = snap["createdAt"], snap["updatedAt"]
    if "createdAtStart" in bounds and c < bounds["createdAtStart"]:
        return False
    if "createdAtEnd" in bounds and c > bounds["createdAtEnd"]:
        return False
    if "updatedAtStart" in bounds and u < bounds["updatedAtStart"]:
        return False
    if "updatedAtEnd" in bounds and u > bounds["updatedAtEnd"]:
        return False
    return True
