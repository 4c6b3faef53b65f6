# The emulator's whole mutable world, behind one lock: workspaces, sources, destinations,
# connections, jobs, connection states, tokens and the run-time settings.
#
# Listing must stay fast with 10,000 connections, so each connection's ConnectionResponse is
# serialized once and cached until it changes, and the filtered id list of each listing query is
# cached until a connection is added, deleted or moved (see `_lists`).

import copy
import json
import secrets
import threading
import time

import connections
import seed
from jobs import Job

STATIC_TOKEN = "demo-bearer-token"
CLIENT_ID = "demo-client-id"
CLIENT_SECRET = "demo-client-secret"


class Settings:
    """Run-time knobs; `defaults` keeps the command line's values for /_emulator/reset."""

    FIELDS = ("latency_ms", "token_lifetime", "job_duration", "config_api_enabled")

    def __init__(self, latency_ms, token_lifetime, job_duration, config_api_enabled):
        self.latency_ms = latency_ms
        self.token_lifetime = token_lifetime
        self.job_duration = job_duration
        self.config_api_enabled = config_api_enabled
        self.defaults = self.as_dict()

    def as_dict(self):
        return {f: getattr(self, f) for f in self.FIELDS}

    def update(self, values):
        for key, value in values.items():
            if key not in self.FIELDS:
                raise KeyError(key)
            if key == "config_api_enabled":
                value = bool(value)
            elif key == "token_lifetime":
                value = int(value)
            else:
                value = float(value)
            setattr(self, key, value)

    def restore(self):
        self.update(self.defaults)


def _drop_streams(state, streams):
    """Removes the entries of streams [(name, namespace)] from a per-stream or global state."""
    def keep(entry):
        d = entry.get("streamDescriptor") or {}
        return (d.get("name"), d.get("namespace") or None) not in streams
    if state.get("stateType") == "stream":
        state["streamState"] = [e for e in state.get("streamState") or [] if keep(e)]
    elif state.get("stateType") == "global":
        g = state.get("globalState") or {}
        g["streamStates"] = [e for e in g.get("streamStates") or [] if keep(e)]


class Store:
    def __init__(self, n_connections, settings, advertised_host):
        self.n_connections = max(0, min(int(n_connections), seed.MAX_CONNECTIONS))
        self.settings = settings
        self.advertised_host = advertised_host.rstrip("/")
        self.lock = threading.RLock()
        self.tokens = {}          # access token -> expiry (epoch seconds)
        self.reset()

    # --- seed ------------------------------------------------------------------------------------

    def reset(self):
        with self.lock:
            self.workspaces = seed.workspaces()
            self.sources = {s["sourceId"]: s for s in seed.sources()}
            self.destinations = {d["destinationId"]: d for d in seed.destinations()}
            self.source_types = {s["sourceId"]: s["sourceType"] for s in self.sources.values()}
            self.tags = {t["tagId"]: t for t in seed.tags()}
            self.connections = {}
            self.conn_order = []
            self.states = {}
            self.state_written = {}
            demo, other = seed.hand_crafted()
            for c, state_kind in demo[:self.n_connections] + other:
                self._add_connection(c)
                self.states[c["connectionId"]] = seed.seed_state(state_kind, c)
                self.state_written[c["connectionId"]] = 0
            for i in range(seed.HAND_CRAFTED_COUNT + 1, self.n_connections + 1):
                c = seed.generated(i)
                self._add_connection(c)
            self.jobs = {}
            self.jobs_by_conn = {}
            next_id = seed.FIRST_JOB_ID
            for cid in self.conn_order:
                c = self.connections[cid]
                if c["workspaceId"] != seed.DEMO_WORKSPACE_ID:
                    continue
                plan = seed.HISTORY if cid in self.states else seed.GENERATED_HISTORY
                for job_type, outcome, attempts, duration, hours_ago in plan:
                    # Every other job starts on a whole minute (startTime then has no seconds).
                    created = (seed.HISTORY_END - hours_ago * 3600 + (next_id % 97) * 60
                               + (0 if next_id % 2 else 17))
                    job = Job(next_id, cid, job_type, created, duration, outcome, attempts,
                              self._enabled_streams(c))
                    if outcome == "cancelled":
                        job.cancelled_at = created + duration * 0.9
                    self._add_job(job)
                    next_id += 1
            self.next_job_id = next_id
            self.first_live_job_id = next_id
            self.next_job_plan = None
            self.events = {}
            self._json = {}
            self._lists = {}
            self.pages = {}  # (workspaces, includeDeleted, limit, offset) -> a list page's bytes

    def _add_connection(self, c):
        self.connections[c["connectionId"]] = c
        self.conn_order.append(c["connectionId"])
        self._lists = {}
        self.pages = {}

    def _add_job(self, job):
        self.jobs[job.id] = job
        self.jobs_by_conn.setdefault(job.connection_id, []).append(job.id)

    @staticmethod
    def _enabled_streams(c):
        return [(s["name"], s.get("namespace")) for s in c["streams"]]

    # --- tokens ----------------------------------------------------------------------------------

    def issue_token(self):
        token = secrets.token_urlsafe(32)
        with self.lock:
            self.tokens[token] = time.time() + self.settings.token_lifetime
        return token

    def token_valid(self, token):
        if token == STATIC_TOKEN:
            return True
        with self.lock:
            expiry = self.tokens.get(token)
        return expiry is not None and time.time() < expiry

    def expire_tokens(self):
        with self.lock:
            for token in self.tokens:
                self.tokens[token] = 0

    # --- connections -----------------------------------------------------------------------------

    def connection(self, cid):
        return self.connections.get(cid)

    def connection_json(self, cid):
        """Serialized ConnectionResponse, cached until the connection changes."""
        text = self._json.get(cid)
        if text is None:
            text = json.dumps(connections.render(self.connections[cid], self.tags), ensure_ascii=False)
            self._json[cid] = text
        return text

    def connection_public(self, cid):
        return json.loads(self.connection_json(cid))

    def changed(self, cid, listing=False):
        """Call after mutating a connection; `listing` when its visibility in lists may change."""
        self._json.pop(cid, None)
        self.pages.clear()  # the connection is on some page
        if listing:
            self._lists.clear()

    def add_connection(self, c):
        """A connection made by POST /connections."""
        self._add_connection(c)
        self.states[c["connectionId"]] = {"stateType": "not_set", "connectionId": c["connectionId"]}
        self.state_written[c["connectionId"]] = 0
        self.changed(c["connectionId"], listing=True)

    # --- tags ------------------------------------------------------------------------------------

    def tag_lookup(self, workspace_id):
        """tagId -> Tag of one workspace."""
        return {tid: t for tid, t in self.tags.items() if t["workspaceId"] == workspace_id}

    def tags_changed(self):
        """A tag was renamed, recoloured or deleted: every connection's answer may change."""
        self._json.clear()
        self.pages.clear()

    def listed_ids(self, workspace_ids, include_deleted):
        key = (tuple(sorted(workspace_ids)), include_deleted)
        ids = self._lists.get(key)
        if ids is None:
            wanted = set(workspace_ids)
            ids = [cid for cid in self.conn_order
                   if (not wanted or self.connections[cid]["workspaceId"] in wanted)
                   and (include_deleted or self.connections[cid]["status"] != "deprecated")]
            self._lists[key] = ids
        return ids

    def discovered(self, source_id):
        return seed.CATALOGS[self.source_types[source_id]]

    def destination_modes(self, destination_id):
        return seed.DESTINATION_MODES[self.destinations[destination_id]["destinationType"]]

    def apply_changes(self, cid, changes):
        c = self.connections[cid]
        c.update(copy.deepcopy(changes))
        if "statusReason" in c and c["status"] != "locked" and "status" in changes:
            c.pop("statusReason", None)
        self.changed(cid, listing="status" in changes)

    # --- jobs ------------------------------------------------------------------------------------

    def jobs_of(self, cid):
        return [self.jobs[j] for j in self.jobs_by_conn.get(cid, [])]

    def running_job(self, cid, now):
        for job in reversed(self.jobs_of(cid)):
            if not job.is_terminal(now):
                return job
        return None

    def create_job(self, cid, job_type, now, reset_streams=None):
        plan = self.next_job_plan or {}
        self.next_job_plan = None
        duration = plan.get("duration")
        job = Job(self.next_job_id, cid, job_type, now,
                  self.settings.job_duration if duration is None else duration,
                  plan.get("outcome") or "succeeded", plan.get("attempts") or 1,
                  self._enabled_streams(self.connections[cid]), failure=plan.get("failure"),
                  reset_streams=reset_streams)
        self.next_job_id += 1
        self._add_job(job)
        return job

    def current_state(self, cid, now):
        """The ConnectionState: a reset or clear of every stream that succeeded after the last
        write empties it; a clear or refresh of some streams drops those streams' entries."""
        state = copy.deepcopy(self.states.get(cid) or {"stateType": "not_set", "connectionId": cid})
        written = self.state_written.get(cid, 0)
        for job in self.jobs_of(cid):
            if job.id < self.first_live_job_id or job.created + job.duration <= written:
                continue
            if job.snapshot(now, with_logs=False)["status"] != "succeeded":
                continue
            if job.reset_streams is None and job.job_type in ("reset", "clear"):
                state = {"stateType": "not_set", "connectionId": cid}
            elif job.reset_streams is not None and job.job_type in ("clear", "refresh"):
                _drop_streams(state, job.reset_streams)
        return state

    # --- events ----------------------------------------------------------------------------------

    def record_event(self, cid, event_type, summary, user, now):
        """A timeline event other than a job's (those derive from the jobs themselves)."""
        self.events.setdefault(cid, []).append(
            {"id": seed.uid("event", "%s/%d" % (cid, len(self.events.get(cid, [])))), "connectionId": cid,
             "eventType": event_type, "summary": summary, "createdAt": int(now), "user": dict(user),
             "_at": now})

    def record_changes(self, cid, before, changes, user, now):
        """The timeline events of a change of connection `before` (a copy taken before it) by
        `changes`: CONNECTION_ENABLED/DISABLED for the status, one CONNECTION_SETTINGS_UPDATE
        with {"patches": {field: {"from", "to"}}} for the rest (streams as "name: syncMode")."""
        def shown(key, value):
            if key == "streams":
                return ["%s%s: %s" % (st["namespace"] + "." if st.get("namespace") else "", st["name"],
                                      st["syncMode"]) for st in value or []]
            return copy.deepcopy(value)
        patches = {}
        for key, value in changes.items():
            old = before.get(key)
            if old == value:
                continue
            if key == "status" and value in ("active", "inactive"):
                self.record_event(cid, "CONNECTION_ENABLED" if value == "active" else "CONNECTION_DISABLED",
                                  {}, user, now)
                continue
            patches[key] = {"from": shown(key, old), "to": shown(key, value)}
        if patches:
            self.record_event(cid, "CONNECTION_SETTINGS_UPDATE", {"patches": patches}, user, now)

    def events_of(self, cid, now):
        """ConnectionEvents of a connection, newest first: each job's start and end (a job started
        through the API names the demo user; a scheduled one no one), and recorded changes."""
        out = list(self.events.get(cid, []))
        for job in self.jobs_of(cid):
            snap = job.snapshot(now, with_logs=False)
            word = {"sync": "SYNC", "refresh": "REFRESH", "clear": "CLEAR", "reset": "CLEAR"}[job.job_type]
            summary = {"jobId": job.id, "jobType": job.job_type, "attemptsCount": len(snap["attempts"]),
                       "startTimeEpochSeconds": snap["createdAt"]}
            started = {"id": seed.uid("event", "%d/start" % job.id), "connectionId": cid,
                       "eventType": word + "_STARTED", "summary": dict(summary), "createdAt": snap["createdAt"],
                       "_at": job.created}
            if job.id >= self.first_live_job_id:
                started["user"] = dict(seed.DEMO_USER)
            out.append(started)
            if snap["status"] in ("succeeded", "failed", "cancelled"):
                summary.update({"endTimeEpochSeconds": snap["updatedAt"], "recordsLoaded": snap["rows"],
                                "bytesLoaded": snap["bytes"]})
                out.append({"id": seed.uid("event", "%d/end" % job.id), "connectionId": cid,
                            "eventType": word + "_" + snap["status"].upper(), "summary": summary,
                            "createdAt": snap["updatedAt"],
                            "_at": max(job.created + 0.001, min(job.created + job.duration,
                                                                job.cancelled_at or now, now))})
        out.sort(key=lambda e: e["_at"], reverse=True)
        return [{k: copy.deepcopy(v) for k, v in e.items() if k != "_at"} for e in out]

    # --- admin snapshot --------------------------------------------------------------------------

    def dump(self, now):
        with self.lock:
            return {
                "workspaces": copy.deepcopy(self.workspaces),
                "tags": copy.deepcopy(self.tags),
                "connections": {cid: self.connection_public(cid) for cid in self.conn_order},
                "sources": copy.deepcopy(self.sources),
                "destinations": copy.deepcopy(self.destinations),
                "jobs": {str(j.id): j.public(now) for j in self.jobs.values()},
                "states": {cid: self.current_state(cid, now) for cid in self.conn_order},
            }
