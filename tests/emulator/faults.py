# Injected failures: rules added through POST /_emulator/faults that make matching API requests
# fail in a chosen way: an HTTP status, a connection reset mid-body, a body cut short, an answer
# lost after the server acted, a stall, invalid JSON, or JSON with wrong types. The server asks
# `FaultTable.match` once per API request; how each kind is delivered is in airbyte_emulator.py.

import random
import re
import threading
import zlib

KINDS = ("status", "reset", "truncate", "cut", "reset_after", "stall", "malformed", "wrongtype")
# Kinds whose answer can be an injected status instead of the real one ("status": 409 with a cut
# body): the request is then not run, as with kind "status".
DELIVERY_KINDS = ("reset", "truncate", "cut", "stall")
WHEN = ("before", "after")
THEN = ("answer", "close", "reset")
CONNECTION = ("any", "reused", "new")


class FaultRule:
    def __init__(self, rule_id, spec):
        self.id = rule_id
        self.method = str(spec.get("method") or "*").upper()
        self.path = str(spec.get("path") or ".*")
        self.regex = re.compile(self.path)
        self.kind = spec.get("kind") or "status"
        if self.kind not in KINDS:
            raise ValueError("kind must be one of %s" % ", ".join(KINDS))
        self.status = int(spec.get("status") or (500 if self.kind == "status" else 200))
        # A delivery kind with an explicit error status answers that status without running the
        # request (like kind "status"), delivered the kind's way (e.g. a 409 whose body is cut).
        self.replaces = self.status >= 400 and (
            self.kind == "status" or (self.kind in DELIVERY_KINDS and spec.get("status") is not None))
        count = spec.get("count", None)
        self.count = None if count is None else int(count)
        self.ratio = float(1.0 if spec.get("ratio") is None else spec["ratio"])
        self.delay_ms = float(spec.get("delay_ms") or 0)
        self.retry_after = spec.get("retry_after")
        self.when = spec.get("when") or "before"
        if self.when not in WHEN:
            raise ValueError("when must be one of %s" % ", ".join(WHEN))
        self.then = spec.get("then") or "answer"
        if self.then not in THEN:
            raise ValueError("then must be one of %s" % ", ".join(THEN))
        cut_at = spec.get("cut_at")
        self.cut_at = None if cut_at is None else int(cut_at)
        if self.cut_at is not None and self.cut_at < 0:
            raise ValueError("cut_at must be >= 0")
        self.connection = spec.get("connection") or "any"
        if self.connection not in CONNECTION:
            raise ValueError("connection must be one of %s" % ", ".join(CONNECTION))
        armed_by = spec.get("armed_by")
        self.armed_by = None if armed_by is None else int(armed_by)
        # Seeded from the rule itself, so the same rule always hits the same requests.
        seed = spec.get("seed")
        if seed is None:
            seed = zlib.crc32(("%s %s %s %s %s" % (self.method, self.path, self.kind, self.status,
                                                   self.ratio)).encode())
        self.rng = random.Random(seed)
        self.seen = 0
        self.fired = 0

    def describe(self):
        return {"id": self.id, "method": self.method, "path": self.path, "status": self.status,
                "count": self.count, "ratio": self.ratio, "delay_ms": self.delay_ms, "kind": self.kind,
                "retry_after": self.retry_after, "when": self.when, "then": self.then,
                "cut_at": self.cut_at, "connection": self.connection, "armed_by": self.armed_by,
                "replaces": self.replaces, "matched": self.seen, "fired": self.fired}


class FaultTable:
    def __init__(self):
        self.lock = threading.Lock()
        self.rules = []
        self.next_id = 1

    def add(self, spec):
        with self.lock:
            rule = FaultRule(self.next_id, spec)
            if rule.armed_by is not None and not any(r.id == rule.armed_by for r in self.rules):
                raise ValueError("armed_by: no rule %d" % rule.armed_by)
            self.next_id += 1
            self.rules.append(rule)
            return rule.describe()

    def clear(self):
        with self.lock:
            self.rules = []

    def describe(self):
        with self.lock:
            return [r.describe() for r in self.rules]

    def match(self, method, path, reused=False):
        """The rule that fires for this request, or None. Counts and the PRNG advance here.
        `reused`: the request came on a TCP connection that already served one."""
        with self.lock:
            fired = {r.id: r.fired for r in self.rules}
            for rule in self.rules:
                if rule.method not in ("*", method) or not rule.regex.search(path):
                    continue
                if rule.count is not None and rule.fired >= rule.count:
                    continue
                if rule.armed_by is not None and not fired.get(rule.armed_by):
                    continue
                if (rule.connection == "reused" and not reused) or (rule.connection == "new" and reused):
                    continue
                rule.seen += 1
                if rule.ratio < 1.0 and rule.rng.random() >= rule.ratio:
                    continue
                rule.fired += 1
                return rule
        return None


def wrong_types(value):
    """Valid JSON of the wrong shape: `data` becomes a string; otherwise scalars swap types."""
    if isinstance(value, dict):
        if "data" in value:
            out = dict(value)
            out["data"] = "this should have been an array"
            return out
        return {k: _swap(v) for k, v in value.items()}
    if isinstance(value, list):
        return {"unexpected": "object instead of array"}
    return [value]


def _swap(v):
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, str):
        return len(v)
    if isinstance(v, list):
        return {"items": len(v)}
    if isinstance(v, dict):
        return [v]
    return 0
