# Route handlers of the Config API, mounted under /api/v1 (all POST with a JSON body), limited to
# what airbytefs uses: jobs with attempts and logs, connection state, the web backend's full
# catalog. Errors use the Config API's KnownExceptionInfo shape.

import copy
import time

import catalog
import connections
import jobs
import seed
from problems import (config_bad_request, config_error, config_invalid_input, config_not_found,
                      invalid_api_key)
from state import CLIENT_ID, CLIENT_SECRET
from web import Response

ROOT = "/api/v1"
CONFIG_TYPES = {"sync": "sync", "reset_connection": "reset", "clear": "clear"}
JOB_STATUSES = ["pending", "queued", "running", "incomplete", "failed", "succeeded", "cancelled"]

DEFINITION_VERSIONS = {
    "postgres": ("airbyte/source-postgres", "3.6.28", True),
    "stripe": ("airbyte/source-stripe", "5.8.9", True),
    "github": ("airbyte/source-github", "1.8.27", True),
    "faker": ("airbyte/source-faker", "6.2.21", True),
    "bigquery": ("airbyte/destination-bigquery", "2.10.2", False),
    "snowflake": ("airbyte/destination-snowflake", "3.15.6", False),
    "postgres-destination": ("airbyte/destination-postgres", "2.4.5", False),
}
DISPLAY_NAMES = {"postgres": "Postgres", "stripe": "Stripe", "github": "GitHub", "faker": "Sample Data",
                 "bigquery": "BigQuery", "snowflake": "Snowflake"}


def routes(router):
    r = router.add
    r("POST", ROOT + "/applications/token", token, auth=False)
    r("POST", ROOT + "/jobs/get", get_job)
    r("POST", ROOT + "/jobs/get_without_logs", get_job_without_logs)
    r("POST", ROOT + "/attempt/get_for_job", get_attempt)
    r("POST", ROOT + "/jobs/cancel", cancel_job)
    r("POST", ROOT + "/jobs/list", list_jobs)
    r("POST", ROOT + "/state/get", get_state)
    r("POST", ROOT + "/state/create_or_update_safe", set_state)
    r("POST", ROOT + "/web_backend/connections/get", web_backend_get)
    r("POST", ROOT + "/web_backend/connections/update", web_backend_update)
    r("POST", ROOT + "/connections/get", get_connection)
    r("POST", ROOT + "/connections/refresh", refresh_connection)
    r("POST", ROOT + "/connections/clear/stream", clear_streams)
    r("POST", ROOT + "/connections/last_job_per_stream", last_job_per_stream)
    r("POST", ROOT + "/connections/events/list", list_events)
    r("POST", ROOT + "/connections/status", connection_statuses)


# --- helpers -------------------------------------------------------------------------------------

def body_of(req):
    body = req.json(lambda m: config_bad_request("Invalid json input: " + m))
    if not isinstance(body, dict):
        raise config_invalid_input("The request body must be a JSON object")
    return body


def required(body, name, kind):
    value = body.get(name)
    if value is None:
        raise config_invalid_input("%s must not be null" % name, name)
    if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise config_invalid_input("%s must be an integer" % name, name)
    if kind is str and not isinstance(value, str):
        raise config_invalid_input("%s must be a string" % name, name)
    return value


def job_or_404(app, body, name="id"):
    job_id = required(body, name, int)
    job = app.store.jobs.get(job_id)
    if job is None:
        raise config_not_found("Could not find job with id: %d" % job_id)
    return job


def connection_or_404(app, body):
    cid = required(body, "connectionId", str)
    c = app.store.connection(cid)
    if c is None:
        raise config_not_found("Could not find configuration for STANDARD_SYNC: %s." % cid)
    return c


# --- token ---------------------------------------------------------------------------------------

def token(app, req):
    body = req.form_or_json()
    if not isinstance(body, dict) or body.get("client_id") != CLIENT_ID or \
            body.get("client_secret") != CLIENT_SECRET:
        raise invalid_api_key("Invalid client id or client secret.")
    return Response(200, {"access_token": app.store.issue_token()})


# --- jobs ----------------------------------------------------------------------------------------

def get_job(app, req):
    body = body_of(req)
    with app.store.lock:
        job = job_or_404(app, body)
        return Response(200, job.config_info(time.time()))


def get_job_without_logs(app, req):
    body = body_of(req)
    with app.store.lock:
        job = job_or_404(app, body)
        return Response(200, job.config_info(time.time(), with_logs=False))


def get_attempt(app, req):
    body = body_of(req)
    with app.store.lock:
        job = job_or_404(app, body, "jobId")
        number = required(body, "attemptNumber", int)
        snap = job.snapshot(time.time())
        for a in snap["attempts"]:
            if a["number"] == number:
                return Response(200, job.config_attempt_info(a))
        raise config_not_found("Could not find attempt %d of job %d" % (number, job.id))


def cancel_job(app, req):
    body = body_of(req)
    with app.store.lock:
        job = job_or_404(app, body)
        now = time.time()
        if job.is_terminal(now):
            raise config_error(409, "Job is not currently running",
                               "io.airbyte.commons.server.errors.ConflictException")
        job.cancelled_at = now
        return Response(200, job.config_info(now))


def list_jobs(app, req):
    body = body_of(req)
    types = required(body, "configTypes", list)
    for t in types:
        if t not in ("sync", "reset_connection", "clear", "refresh", "check_connection_source",
                     "check_connection_destination", "discover_schema", "get_spec"):
            raise config_invalid_input("Invalid configType: %s" % t, "configTypes")
    wanted_types = {CONFIG_TYPES[t] for t in types if t in CONFIG_TYPES}
    statuses = body.get("statuses") or []
    for s in statuses:
        if s not in JOB_STATUSES:
            raise config_invalid_input("Invalid status: %s" % s, "statuses")
    pagination = body.get("pagination") or {}
    page_size = int(pagination.get("pageSize") or 200)
    row_offset = int(pagination.get("rowOffset") or 0)
    field = body.get("orderByField") or "createdAt"
    descending = (body.get("orderByMethod") or "DESC") == "DESC"
    store = app.store
    now = time.time()
    with store.lock:
        cid = body.get("configId")
        jobs = store.jobs_of(cid) if cid else list(store.jobs.values())
        rows = []
        for job in jobs:
            if job.job_type not in wanted_types:
                continue
            read = job.config_with_attempts(now)
            if statuses and read["job"]["status"] not in statuses:
                continue
            rows.append(read)
        rows.sort(key=lambda r: (r["job"][field], r["job"]["id"]), reverse=descending)
        return Response(200, {"jobs": rows[row_offset:row_offset + page_size], "totalJobCount": len(rows)})


# --- state ---------------------------------------------------------------------------------------

def get_state(app, req):
    body = body_of(req)
    with app.store.lock:
        c = connection_or_404(app, body)
        return Response(200, app.store.current_state(c["connectionId"], time.time()))


def _check_stream_states(entries, where):
    if not isinstance(entries, list):
        raise config_invalid_input("%s must be an array" % where, where)
    for i, e in enumerate(entries):
        desc = e.get("streamDescriptor") if isinstance(e, dict) else None
        if not isinstance(desc, dict) or not isinstance(desc.get("name"), str):
            raise config_invalid_input("%s[%d].streamDescriptor.name must be a string" % (where, i), where)
        if e.get("streamState") is not None and not isinstance(e["streamState"], dict):
            raise config_invalid_input("%s[%d].streamState must be an object" % (where, i), where)


def set_state(app, req):
    body = body_of(req)
    state = required(body, "connectionState", dict)
    cid = required(body, "connectionId", str)
    if not isinstance(state, dict):
        raise config_invalid_input("connectionState must be an object", "connectionState")
    kind = state.get("stateType")
    if kind not in ("global", "stream", "legacy", "not_set"):
        raise config_invalid_input("connectionState.stateType must be one of [global, stream, legacy, "
                                   "not_set]", "connectionState.stateType")
    store = app.store
    with store.lock:
        c = connection_or_404(app, {"connectionId": cid})
        now = time.time()
        if store.running_job(cid, now) is not None:
            raise config_error(423, "State cannot be updated while a sync is running for connection %s."
                               % cid, "io.airbyte.commons.server.errors.SyncIsRunningException")
        new = {"stateType": kind, "connectionId": c["connectionId"]}
        if kind == "stream":
            _check_stream_states(state.get("streamState"), "connectionState.streamState")
            new["streamState"] = copy.deepcopy(state["streamState"])
        elif kind == "global":
            g = state.get("globalState")
            if not isinstance(g, dict):
                raise config_invalid_input("connectionState.globalState must be an object",
                                           "connectionState.globalState")
            _check_stream_states(g.get("streamStates"), "connectionState.globalState.streamStates")
            new["globalState"] = copy.deepcopy(g)
        elif kind == "legacy":
            if not isinstance(state.get("state"), dict):
                raise config_invalid_input("connectionState.state must be an object", "connectionState.state")
            new["state"] = copy.deepcopy(state["state"])
        store.states[cid] = new
        store.state_written[cid] = now
        return Response(200, copy.deepcopy(new))


# --- connections ---------------------------------------------------------------------------------

def _namespace_definition(value):
    return "customformat" if value == "custom_format" else value


def _non_breaking(value):
    return "disable" if value == "disable_connection" else value


def _schedule_fields(c):
    s = c["schedule"]
    if s["scheduleType"] == "cron":
        return {"scheduleType": "cron",
                "scheduleData": {"cron": {"cronExpression": s["cronExpression"], "cronTimeZone": "UTC"}}}
    if s["scheduleType"] == "basic":
        return {"schedule": {"units": s["units"], "timeUnit": s["timeUnit"]}, "scheduleType": "basic",
                "scheduleData": {"basicSchedule": {"timeUnit": s["timeUnit"], "units": s["units"]}}}
    return {"scheduleType": "manual"}


def _common(store, c, sync_catalog):
    out = {"connectionId": c["connectionId"], "name": c["name"],
           "namespaceDefinition": _namespace_definition(c.get("namespaceDefinition") or "destination")}
    if c.get("namespaceFormat") is not None:
        out["namespaceFormat"] = c["namespaceFormat"]
    out.update({"prefix": c.get("prefix") or "", "sourceId": c["sourceId"],
                "destinationId": c["destinationId"], "operationIds": [], "syncCatalog": sync_catalog})
    out.update(_schedule_fields(c))
    out["status"] = c["status"]
    if c.get("statusReason"):
        out["statusReason"] = c["statusReason"]
    out.update({"notifySchemaChanges": False, "notifySchemaChangesByEmail": False,
                "nonBreakingChangesPreference": _non_breaking(c.get("nonBreakingSchemaUpdatesBehavior") or "ignore"),
                "backfillPreference": "disabled",
                "tags": [copy.deepcopy(store.tags[t]) for t in c["tags"] if t in store.tags],
                "onDemandEnabled": False})
    return out


def config_connection(store, c):
    """ConnectionRead (configured streams only)."""
    out = _common(store, c, catalog.config_selected_catalog(store.discovered(c["sourceId"]), c["streams"]))
    out.update({"sourceCatalogId": seed.uid("catalog", c["sourceId"]), "breakingChange": False,
                "created_at": c["createdAt"], "workspaceId": c["workspaceId"]})
    return out


def _version(key):
    repo, tag, refreshes = DEFINITION_VERSIONS[key]
    return {"dockerRepository": repo, "dockerImageTag": tag, "supportsRefreshes": refreshes,
            "isVersionOverrideApplied": False, "supportLevel": "certified", "supportState": "supported",
            "supportsFileTransfer": False, "supportsDataActivation": False}


def _source_read(src):
    return {"sourceDefinitionId": src["definitionId"], "sourceId": src["sourceId"],
            "workspaceId": src["workspaceId"], "connectionConfiguration": copy.deepcopy(src["configuration"]),
            "name": src["name"], "sourceName": DISPLAY_NAMES[src["sourceType"]], "createdAt": src["createdAt"],
            "isVersionOverrideApplied": False, "supportState": "supported"}


def _destination_read(dst):
    return {"destinationDefinitionId": dst["definitionId"], "destinationId": dst["destinationId"],
            "workspaceId": dst["workspaceId"], "connectionConfiguration": copy.deepcopy(dst["configuration"]),
            "name": dst["name"], "destinationName": DISPLAY_NAMES[dst["destinationType"]],
            "createdAt": dst["createdAt"], "isVersionOverrideApplied": False, "supportState": "supported"}


def web_backend_connection(store, c, now):
    """WebBackendConnectionRead: syncCatalog holds ALL discovered streams."""
    src = store.sources[c["sourceId"]]
    dst = store.destinations[c["destinationId"]]
    out = _common(store, c, catalog.config_catalog(store.discovered(c["sourceId"]), c["streams"]))
    out.update({"source": _source_read(src), "destination": _destination_read(dst), "operations": [],
                "isSyncing": store.running_job(c["connectionId"], now) is not None,
                "catalogId": seed.uid("catalog", c["sourceId"]), "schemaChange": "no_change",
                "createdAt": c["createdAt"],
                "sourceActorDefinitionVersion": _version(src["sourceType"]),
                "destinationActorDefinitionVersion": _version(
                    "postgres-destination" if dst["destinationType"] == "postgres" else dst["destinationType"])})
    syncs = [j for j in store.jobs_of(c["connectionId"]) if j.job_type == "sync"]
    if syncs:
        latest = max(syncs, key=lambda j: (j.created, j.id))
        out["latestSyncJobCreatedAt"] = int(latest.created)
        out["latestSyncJobStatus"] = latest.snapshot(now, with_logs=False)["status"]
    return out


def get_connection(app, req):
    body = body_of(req)
    with app.store.lock:
        c = connection_or_404(app, body)
        return Response(200, config_connection(app.store, c))


def web_backend_get(app, req):
    body = body_of(req)
    with app.store.lock:
        c = connection_or_404(app, body)
        return Response(200, web_backend_connection(app.store, c, time.time()))


def _streams_from_catalog(sync_catalog, discovered):
    if not isinstance(sync_catalog, dict) or not isinstance(sync_catalog.get("streams"), list):
        raise config_invalid_input("syncCatalog.streams must be an array", "syncCatalog.streams")
    out = []
    seen = set()
    for i, entry in enumerate(sync_catalog["streams"]):
        where = "syncCatalog.streams[%d]" % i
        stream = entry.get("stream") if isinstance(entry, dict) else None
        conf = entry.get("config") if isinstance(entry, dict) else None
        if not isinstance(stream, dict) or not isinstance(stream.get("name"), str):
            raise config_invalid_input("%s.stream.name must be a string" % where, where)
        if not isinstance(conf, dict) or conf.get("syncMode") not in ("full_refresh", "incremental") or \
                conf.get("destinationSyncMode") not in ("append", "overwrite", "append_dedup",
                                                        "overwrite_dedup", "update", "soft_delete"):
            raise config_invalid_input("%s.config needs a valid syncMode and destinationSyncMode" % where, where)
        ns = stream.get("namespace") or None
        matches = [s for s in discovered if s["name"] == stream["name"] and (s.get("namespace") or None) == ns]
        if not matches:
            raise config_invalid_input("Stream %s (namespace %s) is not in the source's catalog"
                                       % (stream["name"], ns), where)
        if (stream["name"], ns) in seen:
            raise config_invalid_input("Duplicate stream %s (namespace %s)" % (stream["name"], ns), where)
        seen.add((stream["name"], ns))
        if conf.get("selected") is False:
            continue
        selected = conf.get("selectedFields") if conf.get("fieldSelectionEnabled") else None
        out.append({"name": stream["name"], "namespace": ns,
                    "syncMode": catalog.mode_from_pair(conf["syncMode"], conf["destinationSyncMode"]),
                    "cursorField": list(conf.get("cursorField") or []),
                    "primaryKey": [list(p) for p in conf.get("primaryKey") or []],
                    "selectedFields": None if selected is None else
                    [list(f.get("fieldPath") or []) for f in selected]})
    return out


def web_backend_update(app, req):
    body = body_of(req)
    store = app.store
    with store.lock:
        c = connection_or_404(app, body)
        cid = c["connectionId"]
        changes = {}
        if body.get("syncCatalog") is not None:
            changes["streams"] = _streams_from_catalog(body["syncCatalog"], store.discovered(c["sourceId"]))
        for field in ("name", "prefix", "namespaceFormat"):
            if body.get(field) is not None:
                changes[field] = body[field]
        if body.get("namespaceDefinition") is not None:
            v = body["namespaceDefinition"]
            if v not in ("source", "destination", "customformat"):
                raise config_invalid_input("Invalid namespaceDefinition: %s" % v, "namespaceDefinition")
            changes["namespaceDefinition"] = "custom_format" if v == "customformat" else v
        if body.get("nonBreakingChangesPreference") is not None:
            v = body["nonBreakingChangesPreference"]
            if v not in ("ignore", "disable", "propagate_columns", "propagate_fully"):
                raise config_invalid_input("Invalid nonBreakingChangesPreference: %s" % v,
                                           "nonBreakingChangesPreference")
            changes["nonBreakingSchemaUpdatesBehavior"] = "disable_connection" if v == "disable" else v
        if body.get("status") is not None:
            if body["status"] not in connections.STATUSES:
                raise config_invalid_input("Invalid status: %s" % body["status"], "status")
            changes["status"] = body["status"]
        if body.get("tags") is not None:
            changes["tags"] = [t["tagId"] for t in body["tags"] if isinstance(t, dict) and t.get("tagId") in store.tags]
        st = body.get("scheduleType")
        if st is not None:
            data = body.get("scheduleData") or {}
            if st == "manual":
                changes["schedule"] = {"scheduleType": "manual"}
            elif st == "cron" and isinstance(data.get("cron"), dict):
                changes["schedule"] = {"scheduleType": "cron",
                                       "cronExpression": str(data["cron"].get("cronExpression") or "")}
            elif st == "basic" and isinstance(data.get("basicSchedule"), dict):
                b = data["basicSchedule"]
                changes["schedule"] = {"scheduleType": "basic", "units": int(b.get("units") or 1),
                                       "timeUnit": str(b.get("timeUnit") or "hours")}
            else:
                raise config_invalid_input("scheduleData does not match scheduleType %s" % st, "scheduleData")
        store.apply_changes(cid, changes)
        return Response(200, web_backend_connection(store, store.connection(cid), time.time()))


def _connection_streams(body, c, required_list):
    """The [(name, namespace)] a refresh or clear names (ConnectionStream items); None: every stream."""
    streams = body.get("streams")
    if streams is None:
        if required_list:
            raise config_invalid_input("streams must not be null", "streams")
        return None
    if not isinstance(streams, list):
        raise config_invalid_input("streams must be an array", "streams")
    out = []
    for i, s in enumerate(streams):
        if not isinstance(s, dict) or not isinstance(s.get("streamName"), str):
            raise config_invalid_input("streams[%d].streamName must be a string" % i, "streams")
        ns = s.get("streamNamespace") or None
        if (s["streamName"], ns) not in [(x["name"], x.get("namespace") or None) for x in c["streams"]]:
            raise config_invalid_input("Stream %s (namespace %s) is not configured in this connection"
                                       % (s["streamName"], ns), "streams")
        out.append((s["streamName"], ns))
    return out or None


def refresh_connection(app, req):
    """refreshConnectionStream: starts a refresh job (the public API refuses refreshes)."""
    body = body_of(req)
    mode = body.get("refreshMode")
    if mode not in ("Truncate", "Merge"):
        raise config_error(422, "refreshMode must be Truncate or Merge",
                           "io.airbyte.commons.server.errors.BadObjectSchemaKnownException")
    with app.store.lock:
        c = connection_or_404(app, body)
        cid = c["connectionId"]
        streams = _connection_streams(body, c, False)
        now = time.time()
        if app.store.running_job(cid, now) is not None:
            raise config_error(409, "A sync is already running for: %s" % cid,
                               "io.airbyte.commons.server.errors.ValueConflictKnownException")
        job = app.store.create_job(cid, "refresh", now, reset_streams=streams)
        return Response(200, {"job": job.config_job(job.snapshot(now, with_logs=False))})


def clear_streams(app, req):
    """clearConnectionStream: a clear job of the streams named (their data and their state)."""
    body = body_of(req)
    with app.store.lock:
        c = connection_or_404(app, body)
        cid = c["connectionId"]
        streams = _connection_streams(body, c, True)
        if not streams:
            raise config_invalid_input("streams must name at least one stream", "streams")
        now = time.time()
        if app.store.running_job(cid, now) is not None:
            raise config_error(409, "A sync is already running for: %s" % cid,
                               "io.airbyte.commons.server.errors.ValueConflictKnownException")
        job = app.store.create_job(cid, "clear", now, reset_streams=streams)
        return Response(200, job.config_info(now, with_logs=False))


def last_job_per_stream(app, req):
    """getConnectionLastJobPerStream: per configured stream, the newest final job that ran it."""
    body = body_of(req)
    store = app.store
    with store.lock:
        c = connection_or_404(app, body)
        now = time.time()
        out = []
        for s in c["streams"]:
            key = (s["name"], s.get("namespace") or None)
            for job in reversed(store.jobs_of(c["connectionId"])):
                snap = job.snapshot(now, with_logs=False)
                if snap["status"] not in jobs.TERMINAL or key not in job.stream_keys():
                    continue
                stats = next((x for x in job._stream_stats(snap["rows"]) if x["streamName"] == key[0]
                              and (x.get("streamNamespace") or None) == key[1]), None)
                # The schema requires streamNamespace; the server sends "" for a stream without one.
                out.append({"streamName": key[0], "streamNamespace": key[1] or "", "jobId": job.id,
                            "configType": job.config_type(), "jobStatus": snap["status"],
                            "recordsCommitted": stats["recordsCommitted"] if stats else 0,
                            "bytesCommitted": stats["bytesCommitted"] if stats else 0,
                            "startedAt": snap["startedAt"] or snap["createdAt"], "endedAt": snap["updatedAt"]})
                break
        return Response(200, out)


EVENT_TYPES = ("SYNC_STARTED", "SYNC_SUCCEEDED", "SYNC_INCOMPLETE", "SYNC_FAILED", "SYNC_CANCELLED",
               "REFRESH_STARTED", "REFRESH_SUCCEEDED", "REFRESH_INCOMPLETE", "REFRESH_FAILED",
               "REFRESH_CANCELLED", "CLEAR_STARTED", "CLEAR_SUCCEEDED", "CLEAR_INCOMPLETE", "CLEAR_FAILED",
               "CLEAR_CANCELLED", "CONNECTION_SETTINGS_UPDATE", "CONNECTION_ENABLED", "CONNECTION_DISABLED",
               "SCHEMA_UPDATE", "SCHEMA_CONFIG_UPDATE", "CONNECTOR_UPDATE", "UNKNOWN")


def list_events(app, req):
    """listConnectionEvents: newest first, pagination {pageSize, rowOffset}, optional eventTypes."""
    body = body_of(req)
    types = body.get("eventTypes")
    if types is not None:
        if not isinstance(types, list) or any(t not in EVENT_TYPES for t in types):
            raise config_invalid_input("eventTypes must be a list of ConnectionEventType", "eventTypes")
    pagination = body.get("pagination") or {}
    if not isinstance(pagination, dict):
        raise config_invalid_input("pagination must be an object", "pagination")
    size = pagination.get("pageSize", 200)
    offset = pagination.get("rowOffset", 0)
    if not isinstance(size, int) or not isinstance(offset, int) or size < 1 or offset < 0:
        raise config_invalid_input("pagination.pageSize must be positive, rowOffset not negative", "pagination")
    with app.store.lock:
        c = connection_or_404(app, body)
        events = app.store.events_of(c["connectionId"], time.time())
        if types:
            events = [e for e in events if e["eventType"] in types]
        return Response(200, {"events": events[offset:offset + size]})


# --- connection statuses -------------------------------------------------------------------------

REPLICATION_TYPES = ("sync", "reset", "clear", "refresh")
NON_TERMINAL = ("pending", "running", "incomplete")


def _last_failure(job, snap):
    """The first failure of the job's last failed attempt (FailureReason), or None."""
    for a in reversed(snap["attempts"]):
        if a["status"] == "failed":
            failures = job.config_attempt(a).get("failureSummary", {}).get("failures") or []
            return copy.deepcopy(failures[0]) if failures else None
    return None


def connection_status(store, c, now):
    """ConnectionStatusRead, as the server's ConnectionsHandler.getConnectionStatuses computes it:
    the connection's replication jobs newest first; the active job is the newest when it is not
    terminal; the last sync is the newest succeeded or failed one (cancelled jobs are skipped)."""
    cid = c["connectionId"]
    rows = []
    for job in store.jobs_of(cid):
        if job.job_type in REPLICATION_TYPES:
            rows.append((job.created, job.id, job, job.snapshot(now, with_logs=False)))
    rows.sort(key=lambda r: (r[0], r[1]), reverse=True)
    out = {"connectionId": cid}
    newest = rows[0] if rows else None
    running = newest is not None and newest[3]["status"] in NON_TERMINAL
    if running:
        out["activeJob"] = newest[2].config_job(newest[3])
    last = next((r for r in rows if r[3]["status"] in ("succeeded", "failed")), None)
    success = next((r for r in rows if r[3]["status"] == "succeeded"), None)
    if success is not None:
        out["lastSuccessfulSync"] = success[3]["updatedAt"]
    failure = None
    if last is not None:
        out["lastSyncJobId"] = last[2].id
        if last[3]["attempts"]:
            out["lastSyncAttemptNumber"] = last[3]["attempts"][-1]["number"]
        if last[3]["status"] == "failed":
            failure = _last_failure(last[2], last[3])
            if failure is not None:
                out["failureReason"] = failure
    syncs = [r for r in rows if r[2].job_type == "sync"]
    if syncs:
        out["lastSyncJobCreatedAt"] = syncs[0][3]["createdAt"]
    schedule = _schedule_fields(c).get("scheduleData")
    if schedule is not None:
        out["scheduleData"] = schedule
    config_error = failure is not None and failure.get("failureType") == "config_error"
    if running:
        status = "running"
    elif config_error:
        status = "failed"
    elif c["status"] != "active":
        status = "paused"
    elif newest is not None and newest[3]["status"] == "cancelled":
        status = "incomplete"
    elif last is None or newest[2].job_type in ("reset", "clear"):
        status = "pending"
    elif last[3]["status"] == "failed":
        status = "incomplete"
    else:
        status = "synced"
    out["connectionSyncStatus"] = status
    return out


def connection_statuses(app, req):
    """getConnectionStatuses: one ConnectionStatusRead per id, in the order asked; an unknown id
    fails the whole request (404), as the server's lookup of the connection does."""
    body = body_of(req)
    ids = required(body, "connectionIds", list)
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise config_invalid_input("connectionIds must be an array of uuids", "connectionIds")
    store = app.store
    with store.lock:
        now = time.time()
        out = []
        for cid in ids:
            c = connection_or_404(app, {"connectionId": cid})
            out.append(connection_status(store, c, now))
        return Response(200, out)
