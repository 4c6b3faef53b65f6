"""Fault soaks.

test_soak: a fixed number of operations (listings, reads, writes, runs), one at a time, against a
mount while the API misbehaves in the ways the emulator had first (429, 5xx, resets, truncated and
malformed bodies, latency, token expiry). Asserts: the daemon never dies, no operation outlives its
deadline plus a margin, every write that close acknowledged is on the server, every write that
failed changed nothing, and no sync was started twice (POST /jobs is never retried).
SOAK_OPS sets the number of operations (CI: 120).

test_concurrent_soak: the CI form of tests/soak/soak.py: 32 loops at once, each owning one
connection, doing reads, writes, runs and refreshes for SOAK_SECONDS (CI: 15) under every fault
kind, answers lost after the server acted, cut bodies and stalls included. After each operation
the loop checks the server: an acknowledged write is there and a refused one is not, an
acknowledged run started exactly one job and a refused one none. The daemon never dies, no
operation outlives 2*timeout+2 s (each system call is bounded by -o timeout as a whole), and the daemon exits 0. docs/reliability.md has longer runs."""
import json
import os
import pathlib
import random
import subprocess
import sys
import time
import urllib.error
import urllib.request

from conftest import Emulator, Mount

class ApiClient:
    """"Another client" of the emulated Airbyte server: the public API with the static token, over
    plain urllib (its own TCP connections), behind the mount's back."""

    def __init__(self, emu, token="demo-bearer-token"):
        self.url = emu.api_url
        self.token = token

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Authorization": "Bearer " + self.token,
                                              "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                text = resp.read()
                return resp.status, (json.loads(text) if text else None)
        except urllib.error.HTTPError as e:
            text = e.read()
            return e.code, (json.loads(text) if text else None)

    def start(self, cid, job_type="sync"):
        status, body = self.call("POST", "/jobs", {"connectionId": cid, "jobType": job_type})
        assert status == 200, (status, body)
        return body


OPS = int(os.environ.get("SOAK_OPS", "120"))
TIMEOUT = 3
DEADLINE = 4 * TIMEOUT + 3  # a write is up to three API calls (GET, PATCH, GET), each bounded

FAULTS = [
    {"method": "*", "path": "^/api/public/v1/connections", "status": 503, "ratio": 0.08},
    {"method": "*", "path": "^/api/public/v1/connections", "status": 429, "ratio": 0.08},
    {"method": "*", "path": "^/api/public/v1/", "kind": "reset", "ratio": 0.05},
    {"method": "GET", "path": "^/api/public/v1/connections$", "kind": "malformed", "ratio": 0.03},
    {"method": "GET", "path": "^/api/public/v1/connections$", "kind": "wrongtype", "ratio": 0.02},
    {"method": "*", "path": "^/api/public/v1/", "kind": "truncate", "ratio": 0.04},
    {"method": "*", "path": "^/api/public/v1/", "status": 200, "delay_ms": 400, "ratio": 0.08},
    {"method": "POST", "path": "^/api/public/v1/jobs$", "status": 502, "ratio": 0.1},
]


def timed(cmd):
    t0 = time.time()
    r = subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=DEADLINE + 30)
    return r.returncode, time.time() - t0


def test_soak():
    emu = Emulator("--job-duration", "0.5")
    m = Mount(emu, options=["cache_ttl=1", f"timeout={TIMEOUT}"])
    rng = random.Random(20261125)
    try:
        conns = sorted(c for c, v in emu.connections().items() if v["status"] != "locked")
        runners = conns[:3]
        jobs_before = len(emu.state()["jobs"])
        for i, rule in enumerate(FAULTS):
            emu.admin("POST", "/_emulator/faults", {**rule, "seed": i})
        writes = {}  # cid -> list of (value, acknowledged)
        run_attempts = run_acks = 0
        slowest = 0.0
        for i in range(OPS):
            if i % 40 == 39:
                emu.admin("POST", "/_emulator/tokens/expire")
            op = rng.choice(["list", "read", "read", "write", "write", "run"])
            cid = rng.choice(conns)
            d = f"{m.path}/connections/{cid}"
            if op == "list":
                rc, dt = timed(f"ls -l {m.path}/connections")
            elif op == "read":
                rc, dt = timed(f"cat {d}/name {d}/schedule {d}/settings.json")
            elif op == "write":
                value = f"soak {i}"
                rc, dt = timed(f"/bin/echo '{value}' > {d}/name")
                writes.setdefault(cid, []).append((value, rc == 0))
            else:
                cid = rng.choice(runners)
                run_attempts += 1
                rc, dt = timed(f"/bin/echo sync > {m.path}/connections/{cid}/run")
                run_acks += rc == 0
            slowest = max(slowest, dt)
            assert dt <= DEADLINE, f"op {i} ({op}) took {dt:.1f} s"
            assert m.proc.poll() is None, "the daemon died:\n" + m.log()
            assert os.path.ismount(m.path)
        fired = sum(r["fired"] for r in emu.admin("GET", "/_emulator/faults")["faults"])
        emu.admin("DELETE", "/_emulator/faults")

        state = emu.state()
        names = {c: state["connections"][c]["name"] for c in conns}
        for cid, attempts in writes.items():
            acked = [v for v, ok in attempts if ok]
            # Values are unique: the server holds the last acknowledged one (or the original name
            # when none was), so no failed write after it was applied, and no acknowledged one lost.
            expected = acked[-1] if acked else emu_original_name(cid)
            assert names[cid] == expected, (cid, attempts, names[cid])
        log = emu.requests()["log"]
        # A 401 (expired token) was refused before any work: resending it is the only resend allowed.
        posts = [r for r in log if r["method"] == "POST" and r["path"] == "/api/public/v1/jobs"
                 and r["status"] != 401]
        assert len(posts) <= run_attempts, "POST /jobs was retried"
        created = len(state["jobs"]) - jobs_before
        assert run_acks <= created <= run_attempts, (run_acks, created, run_attempts)
        print(f"soak: {OPS} ops, {fired} faults fired, {sum(len(a) for a in writes.values())} writes "
              f"({sum(ok for a in writes.values() for _, ok in a)} acknowledged), {run_attempts} runs "
              f"({run_acks} acknowledged, {created} jobs), slowest op {slowest:.2f} s")
        # everything works again once the API behaves
        assert subprocess.run(f"ls {m.path}/connections", shell=True, capture_output=True).returncode == 0
    finally:
        status = m.unmount()
        emu.stop()
    assert status == 0, m.log()


ORIGINAL = {}


def emu_original_name(cid):
    if not ORIGINAL:
        emu = Emulator()
        try:
            ORIGINAL.update({c: v["name"] for c, v in emu.state()["connections"].items()})
        finally:
            emu.stop()
    return ORIGINAL[cid]


SOAK_SECONDS = float(os.environ.get("SOAK_SECONDS", "15"))


def test_concurrent_soak():
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "soak"))
    import soak
    r = soak.run_soak(duration=SOAK_SECONDS, loops=32, faults="mix", timeout=3, seed=1)
    assert r["crashes"] == 0, "the daemon died (status %r):\n%s" % (r["crash_status"], r["sanitizer"])
    assert not r["sanitizer"], r["sanitizer"]
    assert not r["hangs"], "operations hung past the deadline: %s" % r["hangs"]
    assert not r["violations"], "%d violations:\n%s" % (len(r["violations"]), "\n".join(r["violations"][:20]))
    assert r["exit_status"] == 0 and r["recovered"]
    assert r["writes_acked"] > 0 and r["runs_acked"] > 0 and r["faults_total"] > 0, r
