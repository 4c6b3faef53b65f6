#!/usr/bin/python3
"""Concurrent fault soak of airbytefs: LOOPS loops run at once against one mount for DURATION
seconds, each doing reads, writes, runs and refreshes while the emulator injects faults (every kind
it has, including answers lost after the server acted, cut bodies and stalls).

Each loop owns one connection: its writes are the only writes to that connection and its runs the
only jobs on it, so after every operation the loop checks the server (through the emulator's admin
API, never faulted) and attributes what changed to that operation alone:

  - a write that close acknowledged (0) is on the server; a refused one is absent (the server still
    holds the value before it);
  - a run that close acknowledged started exactly one job; a refused one started none.

The daemon must never die, no operation may take longer than its deadline, and the daemon must exit
0 at unmount. -o timeout bounds each system call as a whole (its requests, retries, waits and
checks); an operation here is a shell command of at most two calls that reach the API (open, then
the write or close that commits), so DEADLINE = 2*timeout + 2 s. Figures are printed at the end; the exit status is 0 only when every check held.

  /usr/bin/python3 tests/soak/soak.py --duration 300 --loops 32 --faults mix --binary build-asan/airbytefs

The CI form is tests/integration/test_soak.py (test_concurrent_soak), which calls run_soak()."""
import argparse
import collections
import errno
import json
import os
import pathlib
import random
import sys
import threading
import time
import urllib.request

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "integration"))

from conftest import Emulator, Mount  # noqa: E402

API = "^/api/public/v1/"
CONN = "^/api/public/v1/connections"
JOBS = "^/api/public/v1/jobs$"

# Each rule is added with its own seed; the first matching rule that fires wins, so the share of
# requests hit adds up over the rules.
FAULT_MIXES = {
    "none": [],
    # what the emulator had before issue 10
    "classic": [
        {"method": "*", "path": CONN, "status": 503, "ratio": 0.06},
        {"method": "*", "path": CONN, "status": 429, "ratio": 0.06},
        {"method": "*", "path": API, "kind": "reset", "ratio": 0.04},
        {"method": "GET", "path": CONN + "$", "kind": "malformed", "ratio": 0.03},
        {"method": "GET", "path": CONN + "$", "kind": "wrongtype", "ratio": 0.02},
        {"method": "*", "path": API, "kind": "truncate", "ratio": 0.03},
        {"method": "*", "path": API, "status": 200, "delay_ms": 300, "ratio": 0.05},
        {"method": "POST", "path": JOBS, "status": 502, "ratio": 0.08},
    ],
    # the kinds added for issue 10: the server acted, the answer is lost or late
    "lost": [
        {"method": "*", "path": API, "kind": "reset_after", "connection": "reused", "ratio": 0.08},
        {"method": "*", "path": API, "kind": "reset_after", "then": "close", "ratio": 0.03},
        {"method": "*", "path": API, "kind": "cut", "ratio": 0.05},
        {"method": "POST", "path": JOBS, "kind": "cut", "status": 409, "ratio": 0.05},
        {"method": "*", "path": API, "kind": "stall", "when": "after", "then": "close", "delay_ms": 300,
         "ratio": 0.03},
        {"method": "*", "path": API, "kind": "stall", "when": "before", "then": "close", "delay_ms": 200,
         "ratio": 0.02},
        {"method": "*", "path": API, "kind": "stall", "when": "after", "delay_ms": 400, "ratio": 0.03},
    ],
}
FAULT_MIXES["mix"] = FAULT_MIXES["lost"] + FAULT_MIXES["classic"]


class Admin:
    def __init__(self, emu):
        self.base = emu.base

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as resp:
            text = resp.read()
        return json.loads(text) if text else None

    def connection(self, cid):
        return self.call("GET", "/_emulator/connections/" + cid)


class Figures:
    def __init__(self):
        self.lock = threading.Lock()
        self.ops = collections.Counter()          # kind -> count
        self.errors = collections.Counter()       # kind errno-name -> count
        self.writes_acked = self.writes_refused = self.writes_verified = self.writes_absent = 0
        self.runs_acked = self.runs_refused = self.runs_verified = self.runs_absent = 0
        self.unknown = 0
        self.violations = []
        self.slowest = (0.0, "")
        self.over_timeout = 0
        self.hangs = []

    def op(self, kind, seconds, what, timeout):
        with self.lock:
            self.ops[kind] += 1
            if seconds > self.slowest[0]:
                self.slowest = (seconds, what)
            if seconds > timeout + 1:
                self.over_timeout += 1

    def error(self, kind, code):
        with self.lock:
            self.errors["%s %s" % (kind, errno.errorcode.get(code, code))] += 1

    def violation(self, text):
        with self.lock:
            self.violations.append(text)


def errno_of(exc):
    return exc.errno if isinstance(exc, OSError) and exc.errno else errno.EIO


class Loop(threading.Thread):
    def __init__(self, n, cid, mount, admin, figures, args, stop_at):
        super().__init__(name="loop-%d" % n, daemon=True)
        self.n, self.cid, self.m, self.admin, self.fig, self.args = n, cid, mount, admin, figures, args
        self.stop_at = stop_at
        self.rng = random.Random(args.seed * 1000 + n)
        self.dir = mount.path / "connections" / cid
        self.current = None      # (what, started) of the operation in progress
        self.i = 0
        # Values and runs whose outcome airbytefs said it could not know (EREMOTEIO): the server
        # may still apply them later (a request it held past the client's timeout), so a later
        # check accepts them showing up, once each.
        self.pending = {"name": set(), "prefix": set()}
        self.pending_runs = 0

    def timed(self, kind, what, fn):
        self.current = (what, time.monotonic())
        t0 = self.current[1]
        try:
            return fn()
        finally:
            dt = time.monotonic() - t0
            self.current = None
            self.fig.op(kind, dt, what, self.args.timeout)
            if dt > self.args.deadline:
                self.fig.violation("%s took %.1f s (deadline %.1f s)" % (what, dt, self.args.deadline))

    def run(self):
        server = self.admin.connection(self.cid)
        values = {"name": server["connection"]["name"], "prefix": server["connection"].get("prefix", "")}
        weights = [("read", 30), ("write", 35), ("run", 15), ("refresh", 10), ("list", 10)]
        kinds = [k for k, w in weights for _ in range(w)]
        while time.monotonic() < self.stop_at and os.path.ismount(self.m.path):
            self.i += 1
            kind = self.rng.choice(kinds)
            try:
                getattr(self, "op_" + kind)(values)
            except AssertionError:
                raise
            except Exception as e:  # a bug in the soak itself must not pass silently
                self.fig.violation("%s: soak error %r" % (self.name, e))
                return

    def op_read(self, values):
        f = self.rng.choice(["name", "prefix", "schedule", "settings.json", "enabled", "streams"])
        try:
            self.timed("read", "cat %s/%s" % (self.cid[:8], f), (self.dir / f).read_bytes)
        except OSError as e:
            self.fig.error("read", errno_of(e))

    def op_list(self, values):
        target = self.rng.choice([self.m.path / "connections", self.dir / "jobs", self.m.path / "by-name"])
        try:
            self.timed("list", "ls %s" % target.name, lambda: os.listdir(target))
        except OSError as e:
            self.fig.error("list", errno_of(e))

    def op_refresh(self, values):
        def refresh():
            with open(self.m.path / ".refresh", "w") as f:
                f.write("\n")
        try:
            self.timed("refresh", "echo > .refresh", refresh)
        except OSError as e:
            self.fig.error("refresh", errno_of(e))

    def op_write(self, values):
        field = self.rng.choice(["name", "prefix"])
        value = ("soak %d.%d" if field == "name" else "s%d_%d_") % (self.n, self.i)
        before = values[field]
        code = 0

        def write():
            with open(self.dir / field, "w") as f:
                f.write(value + "\n")
        try:
            self.timed("write", "write %s/%s" % (self.cid[:8], field), write)
        except OSError as e:
            code = errno_of(e)
            self.fig.error("write", code)
        now = self.admin.connection(self.cid)["connection"].get(field, "")
        with self.fig.lock:
            if code == 0:
                self.fig.writes_acked += 1
                if now == value:
                    self.fig.writes_verified += 1
            else:
                self.fig.writes_refused += 1
                if now == before:
                    self.fig.writes_absent += 1
        late = now != before and now in self.pending[field]  # an earlier unknown write, applied late
        if late:
            self.pending[field].discard(now)
        if code == 0 and now != value and not late:
            self.fig.violation("acknowledged write of %s=%r to %s is not on the server (it has %r)" %
                               (field, value, self.cid, now))
        elif code in self.args.unknown_errnos:
            with self.fig.lock:
                self.fig.unknown += 1
            if now != value:
                self.pending[field].add(value)
        elif code != 0 and now != before and not late:
            self.fig.violation("refused write (%s) of %s=%r to %s is on the server (it has %r, had %r)" %
                               (errno.errorcode.get(code, code), field, value, self.cid, now, before))
        values[field] = now

    def op_run(self, values):
        before = len(self.admin.connection(self.cid)["jobs"])
        code = 0

        def start():
            with open(self.dir / "run", "w") as f:
                f.write("sync\n")
        try:
            self.timed("run", "run %s" % self.cid[:8], start)
        except OSError as e:
            code = errno_of(e)
            self.fig.error("run", code)
        jobs = self.admin.connection(self.cid)["jobs"]
        started = len(jobs) - before
        if code not in self.args.unknown_errnos:  # an earlier unknown run may start late, once
            late = min(self.pending_runs, max(0, started - (1 if code == 0 else 0)))
            self.pending_runs -= late
            started -= late
        with self.fig.lock:
            if code == 0:
                self.fig.runs_acked += 1
                self.fig.runs_verified += started == 1
            else:
                self.fig.runs_refused += 1
                self.fig.runs_absent += started == 0
        if code == 0 and started != 1:
            self.fig.violation("acknowledged run of %s started %d jobs" % (self.cid, started))
        elif code != 0 and code in self.args.unknown_errnos:
            with self.fig.lock:
                self.fig.unknown += 1
            if started == 0:
                self.pending_runs += 1
        elif code != 0 and started != 0:
            self.fig.violation("refused run (%s) of %s started %d jobs: %s" % (
                errno.errorcode.get(code, code), self.cid, started, [j["jobId"] for j in jobs[before:]]))


def sanitizer_report(log):
    for marker in ("ERROR: AddressSanitizer", "runtime error:", "ERROR: LeakSanitizer"):
        i = log.find(marker)
        if i >= 0:
            return log[max(0, i - 200):i + 4000]
    return ""


def run_soak(duration=25.0, loops=32, faults="mix", timeout=3, seed=1, binary=None, unknown_errnos=(errno.EREMOTEIO,),
             expire_every=10.0, job_duration=0.3, out=sys.stdout):
    """Runs one soak; returns a dict of figures (see `figures_text`). `ok` is True when every check held."""
    if binary:
        os.environ["AIRBYTEFS_BIN"] = str(binary)
    args = argparse.Namespace(timeout=timeout, deadline=2 * timeout + 2, seed=seed,
                              unknown_errnos=set(unknown_errnos))
    emu = Emulator("--connections", str(loops + 16), "--job-duration", str(job_duration))
    admin = Admin(emu)
    fig = Figures()
    started = time.monotonic()
    m = Mount(emu, options=["cache_ttl=1", "timeout=%d" % timeout])
    status = None
    crashed = None
    try:
        conns = sorted(c for c, v in emu.connections().items()
                       if v["status"] == "active" and not v["name"].startswith("Sandbox"))[:loops]
        if len(conns) < loops:
            raise RuntimeError("only %d usable connections for %d loops" % (len(conns), loops))
        for i, rule in enumerate(FAULT_MIXES[faults]):
            admin.call("POST", "/_emulator/faults", dict(rule, seed=seed * 100 + i))
        stop_at = time.monotonic() + duration
        threads = [Loop(n, cid, m, admin, fig, args, stop_at) for n, cid in enumerate(conns)]
        for t in threads:
            t.start()
        next_expiry = time.monotonic() + expire_every
        while any(t.is_alive() for t in threads):
            now = time.monotonic()
            if m.proc.poll() is not None and crashed is None:
                crashed = m.proc.returncode
                break
            for t in threads:
                cur = t.current
                if cur and now - cur[1] > args.deadline + 5 and cur not in fig.hangs:
                    fig.hangs.append(cur)
            if now > stop_at + args.deadline + 10:
                break
            if expire_every and now > next_expiry and now < stop_at:
                admin.call("POST", "/_emulator/tokens/expire")
                next_expiry = now + expire_every
            time.sleep(0.1)
        for t in threads:
            t.join(1 if crashed is not None else args.deadline + 5)
        still = [t.current for t in threads if t.is_alive() and t.current]
        for cur in still:
            if cur not in fig.hangs:
                fig.hangs.append(cur)
        if crashed is None and m.proc.poll() is not None:
            crashed = m.proc.returncode
        faults_fired = collections.Counter()
        for r in admin.call("GET", "/_emulator/faults")["faults"]:
            faults_fired[r["kind"] if r["kind"] != "status" else "status %d" % r["status"]] += r["fired"]
        admin.call("DELETE", "/_emulator/faults")
        # once the API behaves, everything works again
        recovered = crashed is None and bool(os.listdir(m.path / "connections"))
    finally:
        status = m.unmount()
        log = m.log()
        emu.stop()
    if crashed is None and status not in (0,):
        crashed = status
    result = {
        "duration": duration, "loops": loops, "faults": faults, "timeout": timeout, "seed": seed,
        "binary": os.environ.get("AIRBYTEFS_BIN", ""), "wall": time.monotonic() - started,
        "ops": dict(fig.ops), "ops_total": sum(fig.ops.values()), "errors": dict(fig.errors),
        "faults_fired": dict(faults_fired), "faults_total": sum(faults_fired.values()),
        "writes_acked": fig.writes_acked, "writes_verified": fig.writes_verified,
        "writes_refused": fig.writes_refused, "writes_absent": fig.writes_absent,
        "runs_acked": fig.runs_acked, "runs_verified": fig.runs_verified,
        "runs_refused": fig.runs_refused, "runs_absent": fig.runs_absent,
        "unknown": fig.unknown, "violations": fig.violations, "crashes": 0 if crashed is None else 1,
        "crash_status": crashed, "hangs": [w for w, _ in fig.hangs], "slowest": fig.slowest[0],
        "slowest_op": fig.slowest[1], "over_timeout": fig.over_timeout, "deadline": args.deadline,
        "exit_status": status, "recovered": recovered, "sanitizer": sanitizer_report(log),
    }
    result["ok"] = (not result["violations"] and not result["crashes"] and not result["hangs"] and
                    status == 0 and recovered and not result["sanitizer"])
    if out:
        out.write(figures_text(result) + "\n")
        out.flush()
    return result


def figures_text(r):
    lines = [
        "soak: %.0f s, %d loops, faults=%s, -o timeout=%d, seed %d, %s" % (
            r["duration"], r["loops"], r["faults"], r["timeout"], r["seed"], r["binary"] or "(default binary)"),
        "  operations: %d (%s)" % (r["ops_total"], ", ".join("%s %d" % kv for kv in sorted(r["ops"].items()))),
        "  faults fired: %d (%s)" % (r["faults_total"], ", ".join("%s %d" % kv for kv in sorted(r["faults_fired"].items()))),
        "  writes: %d acknowledged, %d of them on the server; %d refused, %d of them absent" % (
            r["writes_acked"], r["writes_verified"], r["writes_refused"], r["writes_absent"]),
        "  runs: %d acknowledged, %d of them started exactly one job; %d refused, %d of them started none" % (
            r["runs_acked"], r["runs_verified"], r["runs_refused"], r["runs_absent"]),
        "  unknown outcomes accepted: %d" % r["unknown"],
        "  errors seen: %s" % (", ".join("%s %d" % kv for kv in sorted(r["errors"].items())) or "none"),
        "  crashes: %d%s; hangs past the deadline (%.0f s): %d; slowest op %.2f s (%s); ops over timeout+1 s: %d" % (
            r["crashes"], "" if r["crash_status"] is None else " (status %r)" % (r["crash_status"],),
            r["deadline"], len(r["hangs"]), r["slowest"], r["slowest_op"], r["over_timeout"]),
        "  daemon exit status at unmount: %r; works again without faults: %s; wall %.0f s" % (
            r["exit_status"], r["recovered"], r["wall"]),
        "  violations: %d" % len(r["violations"]),
    ]
    lines += ["    - " + v for v in r["violations"][:30]]
    if len(r["violations"]) > 30:
        lines.append("    ... %d more" % (len(r["violations"]) - 30))
    if r["hangs"]:
        lines.append("  hung: " + "; ".join(r["hangs"][:10]))
    if r["sanitizer"]:
        lines.append("  sanitizer report:\n" + r["sanitizer"])
    lines.append("  result: %s" % ("PASS" if r["ok"] else "FAIL"))
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description="Concurrent fault soak of airbytefs (see the module docstring).")
    p.add_argument("--duration", type=float, default=300, help="seconds of operations (default 300)")
    p.add_argument("--loops", type=int, default=32, help="concurrent loops, one connection each (default 32)")
    p.add_argument("--faults", choices=sorted(FAULT_MIXES), default="mix", help="fault mix (default mix)")
    p.add_argument("--timeout", type=int, default=3, help="the mount's -o timeout (default 3)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--binary", help="airbytefs binary (default: $AIRBYTEFS_BIN or build/airbytefs)")
    p.add_argument("--unknown-errno", action="append", default=None,
                   help="an errno name meaning 'outcome unknown' (default EREMOTEIO, what airbytefs "
                        "returns when its check cannot tell): a failed write or run with it may be on "
                        "the server; counted, not a violation. Repeatable")
    p.add_argument("--json", help="also write the figures as JSON to this file")
    a = p.parse_args(argv)
    unknown = [getattr(errno, name) for name in (a.unknown_errno or ["EREMOTEIO"])]
    r = run_soak(a.duration, a.loops, a.faults, a.timeout, a.seed, a.binary, unknown)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(r, f, indent=2)
    return 0 if r["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
