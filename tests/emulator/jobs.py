# Sync/reset/clear jobs: their life computed lazily from the wall clock, and their API shapes.
#
# A job never needs a background thread: given its creation time, planned duration, planned
# outcome and number of attempts, `Job.snapshot(now)` says what the real server would report at
# `now` (status, attempts, stats, log lines). Cancelling only records the moment of cancellation.

import datetime

PENDING_SECONDS = 0.3
MAX_LOG_LINES_PER_ATTEMPT = 60
LOG_INTERVAL = 0.2
TERMINAL = ("succeeded", "failed", "cancelled")
BYTES_PER_ROW = 187
DEFAULT_FAILURE = {"origin": "source", "type": "system_error",
                   "message": "Something went wrong in the connector. See the logs for more details.",
                   "retryable": True}


def _utc(ts):
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc)


def java_offset_datetime(epoch_seconds):
    """OffsetDateTime.ofInstant(...).toString() in UTC: seconds are omitted when they are :00."""
    d = _utc(int(epoch_seconds))
    text = d.strftime("%Y-%m-%dT%H:%M")
    if d.second:
        text += ":%02d" % d.second
    return text + "Z"


def java_duration(seconds):
    """java.time.Duration.ofSeconds(s).toString(): PT8M31S, PT1H, PT0S, PT25H3S."""
    seconds = int(seconds)
    if seconds == 0:
        return "PT0S"
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    out = "PT"
    if h:
        out += "%s%dH" % (sign, h)
    if m:
        out += "%s%dM" % (sign, m)
    if s:
        out += "%s%dS" % (sign, s)
    return out


def log_time(ts):
    return _utc(ts).strftime("%Y-%m-%d %H:%M:%S")


def parse_time(text):
    """Lenient ISO-8601 (or epoch millis, as the spec's examples show) -> epoch seconds."""
    text = text.strip()
    if text.isdigit():
        n = int(text)
        return n / 1000.0 if n > 10 ** 11 else float(n)
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    d = datetime.datetime.fromisoformat(text)
    if d.tzinfo is None:
        d = d.replace(tzinfo=datetime.timezone.utc)
    return d.timestamp()


class Job:
    __slots__ = ("id", "connection_id", "job_type", "created", "duration", "outcome", "attempts",
                 "cancelled_at", "log_type", "streams", "rate", "failure", "reset_streams")

    def __init__(self, job_id, connection_id, job_type, created, duration, outcome="succeeded",
                 attempts=1, streams=(), cancelled_at=None, failure=None, reset_streams=None):
        self.id = job_id
        self.connection_id = connection_id
        self.job_type = job_type
        self.created = float(created)
        self.duration = max(float(duration), 0.05)
        self.outcome = outcome
        self.attempts = max(int(attempts), 1)
        self.cancelled_at = cancelled_at
        self.log_type = "structured" if job_id % 2 == 0 else "formatted"
        self.streams = list(streams)   # [(name, namespace)]
        self.rate = 0 if job_type != "sync" else 400 + (job_id % 7) * 100   # rows per second
        # How a failed attempt failed: {"origin", "type", "message", "retryable"} (FailureReason).
        self.failure = dict(DEFAULT_FAILURE, **(failure or {}))
        # The streams a clear or refresh of some streams resets ([(name, namespace)]); None: all.
        self.reset_streams = None if reset_streams is None else list(reset_streams)

    def stream_keys(self):
        """The (name, namespace) of each stream the job runs: a clear or refresh of some streams
        runs those alone."""
        if self.reset_streams is not None:
            return list(self.reset_streams)
        return [(n, ns or None) for n, ns in self.streams]

    # --- lifecycle -------------------------------------------------------------------------------

    def _plan(self):
        """[(attempt start, attempt end, final?)] in seconds after creation."""
        pending = min(PENDING_SECONDS, self.duration / 3.0)
        slot = (self.duration - pending) / self.attempts
        plan = []
        for i in range(self.attempts):
            start = pending + i * slot
            last = i == self.attempts - 1
            end = pending + (i + 1) * slot if last else start + slot * 0.75
            plan.append((start, end, last))
        return pending, plan

    def is_terminal(self, now):
        return self.snapshot(now, with_logs=False)["status"] in TERMINAL

    def snapshot(self, now, with_logs=True):
        t_end = self.created + self.duration
        cancelled = self.cancelled_at is not None and now >= self.cancelled_at
        at = min(now, self.cancelled_at) if cancelled else now
        elapsed = at - self.created
        pending, plan = self._plan()
        attempts = []
        status = "pending"
        for number, (start, end, last) in enumerate(plan):
            if elapsed < start:
                if attempts and not cancelled:
                    status = "incomplete"
                break
            running = elapsed < end
            if running and not cancelled:
                a_status = "running"
                status = "running"
            elif running and cancelled:
                a_status = "failed"
            elif last and self.outcome == "succeeded":
                a_status = "succeeded"
            else:
                a_status = "failed"
            run_for = min(elapsed, end) - start
            rows = int(self.rate * run_for)
            attempts.append({"number": number, "status": a_status,
                             "start": self.created + start,
                             "end": None if a_status == "running" else self.created + start + run_for,
                             "rows": rows, "bytes": rows * BYTES_PER_ROW,
                             "cancelled": cancelled and running})
            if running:
                break
        if cancelled:
            status = "cancelled"
        elif at >= t_end:
            status = "succeeded" if self.outcome == "succeeded" else (
                "cancelled" if self.outcome == "cancelled" else "failed")
        updated = self.created + (self.duration if status in ("succeeded", "failed")
                                  and not cancelled else elapsed)
        snap = {"status": status, "createdAt": int(self.created), "updatedAt": int(updated),
                "startedAt": int(self.created + pending) if attempts else None,
                "rows": sum(a["rows"] for a in attempts), "attempts": attempts}
        snap["bytes"] = snap["rows"] * BYTES_PER_ROW
        if with_logs:
            for a in attempts:
                a["log"] = self._attempt_log(a, at)
        return snap

    # --- logs ------------------------------------------------------------------------------------

    def _attempt_log(self, a, at):
        """[(epoch seconds, level, source, message)] of one attempt as of time `at`."""
        start = a["start"]
        until = a["end"] if a["end"] is not None else at
        names = ", ".join(n for n, _ in self.streams) or "(none)"
        lines = [
            (start, "info", "platform",
             "Docker volume job log path: /tmp/workspace/%d/%d/logs.log" % (self.id, a["number"])),
            (start, "info", "platform", "Executing worker wrapper. Airbyte version: 1.8.0"),
            (start, "info", "replication-orchestrator",
             "Starting %s of connection %s, streams: %s" % (
                 "replication" if self.job_type == "sync" else "reset", self.connection_id, names)),
        ]
        span = max((until - start), 0.0)
        planned_span = max(self.duration / self.attempts, LOG_INTERVAL)
        interval = max(LOG_INTERVAL, planned_span / MAX_LOG_LINES_PER_ATTEMPT)
        k = 1
        while k * interval <= span and k <= MAX_LOG_LINES_PER_ATTEMPT:
            rows = int(self.rate * k * interval)
            lines.append((start + k * interval, "info", "replication-orchestrator",
                          "Records read: %d (%d KB)" % (rows, rows * BYTES_PER_ROW // 1024)))
            k += 1
        if a["status"] == "running":
            return lines
        end = a["end"]
        if a["cancelled"]:
            lines.append((end, "warn", "platform", "Job was cancelled by the user."))
        elif a["status"] == "succeeded":
            lines.append((end, "info", "replication-orchestrator",
                          "Source and destination are complete. Records committed: %d (%d KB)"
                          % (a["rows"], a["bytes"] // 1024)))
            lines.append((end, "info", "platform", "Sync completed successfully."))
        else:
            lines.append((end, "error", "replication-orchestrator",
                          "Source process exited with non-zero exit code 1"))
            lines.append((end, "error", "platform",
                          "Attempt %d failed: Something went wrong in the connector. "
                          "See the logs for more details." % a["number"]))
        return lines

    # --- API shapes ------------------------------------------------------------------------------

    def public(self, now):
        """JobResponse."""
        snap = self.snapshot(now, with_logs=False)
        out = {"jobId": self.id, "status": snap["status"], "jobType": self.job_type,
               "startTime": java_offset_datetime(snap["createdAt"]), "connectionId": self.connection_id}
        if snap["status"] in TERMINAL:
            out["lastUpdatedAt"] = java_offset_datetime(snap["updatedAt"])
        if snap["status"] != "pending":
            out["duration"] = java_duration(snap["updatedAt"] - snap["createdAt"])
        out["bytesSynced"] = snap["bytes"]
        out["rowsSynced"] = snap["rows"]
        return out

    def config_type(self):
        return {"sync": "sync", "reset": "reset_connection", "clear": "clear",
                "refresh": "refresh"}[self.job_type]

    def config_job(self, snap):
        """JobRead."""
        streams = []
        for name, ns in self.stream_keys():
            d = {"name": name}
            if ns:
                d["namespace"] = ns
            streams.append(d)
        out = {"id": self.id, "configType": self.config_type(), "configId": self.connection_id,
               "enabledStreams": streams, "createdAt": snap["createdAt"], "updatedAt": snap["updatedAt"],
               "status": snap["status"],
               "aggregatedStats": {"recordsEmitted": snap["rows"], "bytesEmitted": snap["bytes"],
                                   "recordsCommitted": snap["rows"], "bytesCommitted": snap["bytes"],
                                   "recordsRejected": 0},
               "streamAggregatedStats": self._stream_stats(snap["rows"])}
        if snap["startedAt"] is not None:
            out["startedAt"] = snap["startedAt"]
        if self.job_type in ("reset", "clear"):
            out["resetConfig"] = {"streamsToReset": streams}
        elif self.job_type == "refresh":
            out["refreshConfig"] = {"streamsToRefresh": streams}
        return out

    def _stream_stats(self, rows):
        out = []
        keys = self.stream_keys()
        n = len(keys) or 1
        for i, (name, ns) in enumerate(keys):
            r = rows // n + (rows % n if i == 0 else 0)
            d = {"streamName": name, "recordsEmitted": r, "bytesEmitted": r * BYTES_PER_ROW,
                 "recordsCommitted": r, "bytesCommitted": r * BYTES_PER_ROW, "recordsRejected": 0,
                 "wasBackfilled": False, "wasResumed": False}
            if ns:
                d["streamNamespace"] = ns
            out.append(d)
        return out

    def config_attempt(self, a):
        """AttemptRead."""
        updated = a["end"] if a["end"] is not None else a["start"]
        out = {"id": a["number"], "status": a["status"], "createdAt": int(a["start"]),
               "updatedAt": int(updated), "bytesSynced": a["bytes"], "recordsSynced": a["rows"],
               "totalStats": {"recordsEmitted": a["rows"], "bytesEmitted": a["bytes"],
                              "stateMessagesEmitted": a["rows"] // 500,
                              "recordsCommitted": a["rows"], "bytesCommitted": a["bytes"],
                              "recordsRejected": 0},
               "streamStats": [{"streamName": s["streamName"], "stats": {
                   "recordsEmitted": s["recordsEmitted"], "bytesEmitted": s["bytesEmitted"],
                   "recordsCommitted": s["recordsCommitted"], "bytesCommitted": s["bytesCommitted"]}}
                   for s in self._stream_stats(a["rows"])]}
        if a["end"] is not None:
            out["endedAt"] = int(a["end"])
        if a["status"] == "failed":
            cancel = a["cancelled"]
            f = self.failure
            out["failureSummary"] = {"failures": [{
                "failureOrigin": "airbyte_platform" if cancel else f["origin"],
                "failureType": "manual_cancellation" if cancel else f["type"],
                "externalMessage": "The sync was cancelled." if cancel else f["message"],
                "internalMessage": "Job was cancelled." if cancel else
                "Source process exited with non-zero exit code 1",
                "retryable": False if cancel else bool(f["retryable"]),
                "timestamp": int(a["end"] * 1000)}],
                "partialSuccess": a["rows"] > 0}
        return out

    def config_attempt_info(self, a, with_logs=True):
        """AttemptInfoRead."""
        out = {"attempt": self.config_attempt(a)}
        if not with_logs:
            return out
        if self.log_type == "structured":
            out["logType"] = "structured"
            out["logs"] = {"events": [{
                "timestamp": int(ts * 1000), "message": msg, "level": level, "logSource": source,
                "caller": {"className": "io.airbyte.workers.general.ReplicationWorker",
                           "methodName": "run", "lineNumber": 212,
                           "threadName": "replication-worker-%d" % self.id}}
                for ts, level, source, msg in a["log"]], "version": "1"}
        else:
            out["logType"] = "formatted"
            out["logs"] = {"logLines": ["%s %s > %s" % (log_time(ts), source, msg)
                                        for ts, level, source, msg in a["log"]]}
        return out

    def config_info(self, now, with_logs=True):
        """JobInfoRead."""
        snap = self.snapshot(now, with_logs=with_logs)
        return {"job": self.config_job(snap),
                "attempts": [self.config_attempt_info(a, with_logs) for a in snap["attempts"]]}

    def config_with_attempts(self, now):
        """JobWithAttemptsRead (jobs/list)."""
        snap = self.snapshot(now, with_logs=False)
        return {"job": self.config_job(snap),
                "attempts": [self.config_attempt(a) for a in snap["attempts"]]}
