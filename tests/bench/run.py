#!/usr/bin/python3
"""airbytefs benchmark (issue 6, "Fast at any size").

Runs airbytefs against the Airbyte API emulator (tests/emulator) with N connections and an injected
latency per request, times shell workloads through the mount, counts the API requests each one
makes (the emulator's per-route counters), and reads the daemon's peak RSS (VmHWM). Two baselines
run side by side in the same run: a curl + jq script (tests/bench/curl_jq.sh) doing the same reads
against the same emulator, and libfuse's `passthrough` example serving a copy of the same files
(the floor of any FUSE filesystem).

    /usr/bin/python3 tests/bench/run.py                 # full: N = 100, 1000, 10000 x 0 and 50 ms
    /usr/bin/python3 tests/bench/run.py --quick         # N = 100, 0 ms, 1 run each (CTest bench.quick)
    /usr/bin/python3 tests/bench/run.py --update-doc    # full, and rewrite docs/benchmark.md's results

Writes results.md, results.csv and floors.csv to --out (default build/bench/). Exits non-zero when a
workload fails (wrong output, mount failure, daemon exit status); timings are never asserted.
Standard library only; see docs/benchmark.md.
"""
import argparse
import collections
import csv
import datetime
import io
import json
import math
import os
import pathlib
import platform
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parents[1]
EMULATOR = REPO / "tests" / "emulator" / "airbyte_emulator.py"
CURL_JQ = HERE / "curl_jq.sh"
DOC = REPO / "docs" / "benchmark.md"
PASSTHROUGH_SRC = pathlib.Path("/usr/share/doc/libfuse3-dev/examples")
PYTHON = "/usr/bin/python3"
WORKSPACE = "e0a1b2c3-0000-4000-8000-000000000001"
CLIENT_ID = "demo-client-id"
CLIENT_SECRET = "demo-client-secret"
PUBLIC = "/api/public/v1"
PAGE = 100                 # the public API's largest page
TTL = 30                   # airbytefs's default cache_ttl (seconds); warm runs stay well inside it
KERNEL_TIMEOUT = 1.0       # airbytefs's entry/attr timeouts; a warm run starts this much (+0.2 s)
                           # after the previous command, so the kernel's cache has expired and
                           # the daemon's cache is what is measured
SIZES = (100, 1000, 10000)
LATENCIES = (0, 50)
MIB = 1024 * 1024
DOC_BEGIN = "<!-- bench:results:begin -->"
DOC_END = "<!-- bench:results:end -->"

AIRBYTEFS, CURL, PASSTHROUGH = "airbytefs", "curl+jq", "passthrough"
# Workloads whose floor is a ratio to passthrough (issue 17: names within 1.1x at 10,000):
# passthrough runs beside airbytefs at every latency at these sizes, so that a row's ratio compares
# runs of one time, not runs minutes apart on a machine whose speed drifts by a third.
SAME_TIME_BASELINE = ("names_cold", "names_warm")
SAME_TIME_SIZES = (10000,)
SYSTEMS = (AIRBYTEFS, CURL, PASSTHROUGH)

# name -> (kind, systems, description). The order is the run order; edit100 is last because it
# changes names (the emulator is reset to its seed before each configuration).
WORKLOADS = collections.OrderedDict([
    ("ls_cold", ("cold", SYSTEMS,
                 "`ls -l connections` on a fresh mount (curl+jq: list every id and name)")),
    ("ls_warm", ("warm", (AIRBYTEFS, PASSTHROUGH),
                 "`ls -l connections` again on the same mount, within the TTL, 1.2 s after the "
                 "previous command (the kernel's 1 s cache has expired, the daemon's has not)")),
    ("names_cold", ("cold", SYSTEMS,
                    "`cd connections && cat -- */name */schedule` (one cat) on a fresh mount")),
    ("names_warm", ("warm", (AIRBYTEFS, PASSTHROUGH),
                    "the same `cat` again on the same mount, within the TTL, 1.2 s after the "
                    "previous command")),
    ("rsync_cold", ("cold", SYSTEMS,
                    "`rsync -a settings/ dest/` on a fresh mount (curl+jq: each connection's JSON to a file)")),
    ("parallel16_cold", ("cold", SYSTEMS,
                         "16 parallel `cat connections/<id>/connection.json`, distinct ids, fresh mount "
                         "(curl+jq: 16 parallel GET /connections/{id})")),
    ("edit100", ("warm", (AIRBYTEFS,),
                 "100 `printf '%s\\n' NEW > connections/<id>/name` in one shell, listing cached")),
])
# The read workloads that the "faster than curl+jq" floor compares (curl+jq has no cache: its
# number for a warm workload is the cold one).
CURL_COUNTERPART = {"ls_cold": "ls_cold", "ls_warm": "ls_cold", "names_cold": "names_cold",
                    "names_warm": "names_cold", "rsync_cold": "rsync_cold",
                    "parallel16_cold": "parallel16_cold"}


class BenchError(Exception):
    """A workload failed: wrong output, a mount that did not come up, a daemon that exited badly."""


class Terminated(BaseException):
    pass


def on_signal(signum, frame):
    raise Terminated("signal %d" % signum)


# --- cleanup registry: everything started is stopped in finally blocks, and once more at exit -----

CLEANUPS = []


def register(fn):
    CLEANUPS.append(fn)
    return fn


def unregister(fn):
    if fn in CLEANUPS:
        CLEANUPS.remove(fn)


def cleanup_all():
    while CLEANUPS:
        fn = CLEANUPS.pop()
        try:
            fn()
        except BaseException as e:  # keep cleaning up whatever happens
            print("cleanup: %s" % e, file=sys.stderr)


T0 = time.monotonic()


def log(msg):
    print("[%6.1f s] %s" % (time.monotonic() - T0, msg), file=sys.stderr, flush=True)


# --- processes ----------------------------------------------------------------------------------

def run_shell(script, timeout, env=None, cwd=None):
    """Runs a bash script in its own process group; returns (seconds, rc, stdout bytes, stderr).
    On timeout the whole group is killed and BenchError raised."""
    started = time.monotonic()
    proc = subprocess.Popen(["bash", "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, env=env, cwd=cwd, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_group(proc)
        raise BenchError("timed out after %d s: %s" % (timeout, script[:200]))
    except BaseException:
        kill_group(proc)
        raise
    elapsed = time.monotonic() - started
    return elapsed, proc.returncode, out, err.decode("utf-8", "replace")


def kill_group(proc):
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        pass
    try:
        proc.communicate(timeout=10)
    except (subprocess.TimeoutExpired, ValueError, OSError):
        pass


def stop_process(proc, grace=10):
    if proc.poll() is not None:
        return proc.returncode
    proc.terminate()
    try:
        return proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            pass
        return "killed"


def mounted_under(root):
    root = os.path.realpath(root)
    found = []
    try:
        with open("/proc/self/mounts") as f:
            for line in f:
                mnt = line.split()[1].replace("\\040", " ")
                if mnt == root or mnt.startswith(root + "/"):
                    found.append(mnt)
    except OSError:
        pass
    return found


def remove_tree(path):
    """rmtree, but never into a mount that is still there."""
    if not path or not os.path.exists(path):
        return
    for mnt in mounted_under(path):
        subprocess.run(["fusermount3", "-u", "-z", mnt], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=20, check=False)
    if mounted_under(path):
        log("warning: %s still has mounts; left in place" % path)
        return
    shutil.rmtree(path, ignore_errors=True)


def proc_cpu_s(pid):
    """User + system CPU seconds of a process so far (from /proc), or None once it is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


class CpuMeter:
    """CPU seconds that processes (the daemon, the emulator) spend between start() and stop()."""

    def __init__(self, *procs):
        self.procs = procs
        self.before = [proc_cpu_s(p.pid) if p else None for p in procs]

    def stop(self):
        out = []
        for p, b in zip(self.procs, self.before):
            a = proc_cpu_s(p.pid) if p else None
            out.append(a - b if a is not None and b is not None else None)
        return out


# --- the emulator -------------------------------------------------------------------------------

class Emulator:
    def __init__(self, n, workdir):
        self.n = n
        port_file = os.path.join(workdir, "emulator-%d.port" % n)
        self.log_path = os.path.join(workdir, "emulator-%d.log" % n)
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [PYTHON, str(EMULATOR), "--port", "0", "--port-file", port_file, "--quiet",
             "--connections", str(n)],
            stdout=subprocess.DEVNULL, stderr=self.log, stdin=subprocess.DEVNULL)
        self._cleanup = register(self.stop)
        deadline = time.monotonic() + 60
        while not os.path.exists(port_file):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise BenchError("emulator did not start; see " + self.log_path)
            time.sleep(0.02)
        self.port = int(open(port_file).read())
        self.base = "http://127.0.0.1:%d" % self.port
        self.api_url = self.base + PUBLIC

    def admin(self, method, path, body=None, timeout=60):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + "/_emulator" + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            text = resp.read()
        return json.loads(text) if text else None

    def requests(self):
        return self.admin("GET", "/requests")

    def reset_requests(self):
        self.admin("POST", "/requests/reset")

    def reset(self, latency_ms):
        self.admin("POST", "/reset", timeout=120)
        self.admin("POST", "/config", {"latency_ms": latency_ms})

    def state_connections(self):
        return self.admin("GET", "/state", timeout=120)["connections"]

    def stop(self):
        unregister(self.stop)
        stop_process(self.proc)
        self.log.close()


def api_get(url, token, timeout=60):
    req = urllib.request.Request(url, headers={"Authorization": "Bearer " + token})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return resp.read()


def fetch_reference(emu):
    """The workspace's connections, read once with urllib (latency 0, before any measured run):
    ids, names, schedules as the schedule file shows them, and the raw listing's size."""
    body = json.dumps({"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}).encode()
    req = urllib.request.Request(emu.api_url + "/applications/token", data=body, method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as resp:
        token = json.loads(resp.read())["access_token"]
    conns, raw_bytes, pages, offset = [], 0, 0, 0
    while pages < 1000:
        text = api_get("%s/connections?workspaceIds=%s&limit=%d&offset=%d"
                       % (emu.api_url, WORKSPACE, PAGE, offset), token)
        raw_bytes += len(text)
        pages += 1
        data = json.loads(text)["data"]
        if not data:
            break
        conns.extend(data)
        offset += PAGE
    ids = sorted(c["connectionId"] for c in conns)
    if len(ids) != emu.n or len(set(ids)) != len(ids):
        raise BenchError("emulator listed %d connections, expected %d" % (len(ids), emu.n))
    return {
        "ids": ids,
        "names": {c["connectionId"]: c["name"] for c in conns},
        "schedules": {c["connectionId"]: schedule_text(c.get("schedule")) for c in conns},
        "status": {c["connectionId"]: c.get("status") for c in conns},
        "raw_bytes": raw_bytes,
        "pages": pages,
    }


def schedule_text(schedule):
    schedule = schedule or {}
    kind = schedule.get("scheduleType") or "manual"
    if kind == "cron":
        text = (schedule.get("cronExpression") or "").strip()
        return text[:-4].strip() if text.endswith(" UTC") else text
    if kind == "basic":
        return schedule.get("basicTiming") or "basic"
    return kind


# --- mounts -------------------------------------------------------------------------------------

class FuseMount:
    """A FUSE daemon in the foreground (-f) and its mount point; unmount() returns its exit status."""

    def __init__(self, argv, path, env, log_path, what):
        self.path = path
        self.what = what
        self.log_path = log_path
        os.makedirs(path, exist_ok=True)
        self.log = open(log_path, "w")
        started = time.monotonic()
        self.proc = subprocess.Popen(argv + [path], stdout=self.log, stderr=self.log, env=env,
                                     stdin=subprocess.DEVNULL)
        self._cleanup = register(self.unmount)
        deadline = started + 30
        while not os.path.ismount(path):
            if self.proc.poll() is not None:
                self.unmount()
                raise BenchError("%s exited at mount (status %s): %s"
                                 % (what, self.proc.returncode, self.log_tail()))
            if time.monotonic() > deadline:
                self.unmount()
                raise BenchError("%s: mount did not appear in 30 s: %s" % (what, self.log_tail()))
            time.sleep(0.01)
        self.mount_seconds = time.monotonic() - started

    def log_tail(self, lines=15):
        try:
            if not self.log.closed:
                self.log.flush()
            return " | ".join(pathlib.Path(self.log_path).read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def vmhwm_kib(self):
        try:
            with open("/proc/%d/status" % self.proc.pid) as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1])
        except OSError:
            pass
        return None

    def unmount(self):
        unregister(self.unmount)
        if os.path.ismount(self.path):
            try:
                subprocess.run(["fusermount3", "-u", self.path], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, timeout=20, check=False)
            except subprocess.TimeoutExpired:
                pass
        try:
            status = self.proc.wait(20)
        except subprocess.TimeoutExpired:
            status = "hung (killed)"
            stop_process(self.proc, grace=5)
        if os.path.ismount(self.path):
            subprocess.run(["fusermount3", "-u", "-z", self.path], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=20, check=False)
        if not self.log.closed:
            self.log.close()
        try:
            os.rmdir(self.path)
        except OSError:
            pass
        return status


class Bench:
    def __init__(self, args, workdir, shmdir):
        self.args = args
        self.workdir = workdir
        self.shmdir = shmdir
        self.seq = 0
        self.passthrough_bin = None

    def fresh(self, prefix):
        self.seq += 1
        return os.path.join(self.workdir, "%s-%d" % (prefix, self.seq))

    def airbytefs_env(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith("AIRBYTE_")}
        env.update({"AIRBYTE_CLOUD_CLIENT_ID": CLIENT_ID, "AIRBYTE_CLOUD_CLIENT_SECRET": CLIENT_SECRET})
        return env

    def mount_airbytefs(self, emu):
        path = self.fresh("abfs-mnt")
        opts = "api_url=%s,workspace=%s" % (emu.api_url, WORKSPACE)
        return FuseMount([self.args.binary, "-f", "-o", opts], path, self.airbytefs_env(),
                         path + ".log", "airbytefs")

    def mount_passthrough(self, tree):
        path = self.fresh("pt-mnt")
        argv = [self.passthrough_bin, "-f", "-o", "modules=subdir,subdir=" + tree]
        if not self.args.passthrough_stock:
            argv.insert(2, "--plus")        # readdirplus, as airbytefs
        return FuseMount(argv, path, dict(os.environ), path + ".log", "passthrough")

    def build_passthrough(self):
        src = PASSTHROUGH_SRC / "passthrough.c"
        helpers = PASSTHROUGH_SRC / "passthrough_helpers.h"
        if not src.exists() or not helpers.exists():
            raise BenchError("%s and passthrough_helpers.h are missing (install libfuse3-dev with "
                             "its docs)" % src)
        build = os.path.join(self.workdir, "passthrough")
        os.makedirs(build)
        shutil.copy(helpers, build)
        text = src.read_text()
        if not self.args.passthrough_stock:
            # The example turns the kernel's caches off (timeouts 0); airbytefs keeps entries and
            # attributes 1 s. Give passthrough the same, so that the difference is the daemons'.
            for field in ("entry_timeout", "attr_timeout"):
                old = "cfg->%s = 0;" % field
                if old not in text:
                    raise BenchError("passthrough.c has no `%s` to patch; use --passthrough-stock" % old)
                text = text.replace(old, "cfg->%s = %.1f;" % (field, KERNEL_TIMEOUT))
        if self.args.passthrough_direct_io:
            # airbytefs opens its API-backed files with direct_io (no pages: every read() is a READ,
            # the one at the end too); give passthrough's opens and creates the same.
            old = "fi->fh = res;"
            if text.count(old) != 2:
                raise BenchError("passthrough.c has no two `%s` to patch; drop --passthrough-direct-io" % old)
            text = text.replace(old, old + " fi->direct_io = 1;")
        pathlib.Path(build, "passthrough.c").write_text(text)
        flags = subprocess.run(["pkg-config", "--cflags", "--libs", "fuse3"], capture_output=True,
                               text=True, timeout=60)
        if flags.returncode != 0:
            raise BenchError("pkg-config fuse3: " + flags.stderr.strip())
        out = os.path.join(build, "passthrough")
        cc = subprocess.run(["gcc", "-D_FILE_OFFSET_BITS=64", "-O2", "-o", out,
                             os.path.join(build, "passthrough.c")] + flags.stdout.split(),
                            capture_output=True, text=True, timeout=120)
        if cc.returncode != 0:
            raise BenchError("building passthrough failed: " + cc.stderr[-2000:])
        self.passthrough_bin = out

    def copy_tree(self, emu, ref):
        """Copies connections/*/{name,schedule,connection.json,settings.json} and settings/ out of
        an airbytefs mount into /dev/shm, for passthrough to serve."""
        tree = os.path.join(self.shmdir, "tree-%d" % emu.n)
        m = self.mount_airbytefs(emu)
        try:
            os.makedirs(os.path.join(tree, "settings"))
            for cid in ref["ids"]:
                dst = os.path.join(tree, "connections", cid)
                os.makedirs(dst)
                for name in ("name", "schedule", "connection.json", "settings.json"):
                    shutil.copyfile(os.path.join(m.path, "connections", cid, name),
                                    os.path.join(dst, name))
                shutil.copyfile(os.path.join(m.path, "settings", cid + ".json"),
                                os.path.join(tree, "settings", cid + ".json"))
        finally:
            status = m.unmount()
        if status != 0:
            raise BenchError("airbytefs exited with status %r after the copy: %s" % (status, m.log_tail()))
        return tree


# --- workloads: scripts and checks ---------------------------------------------------------------

def q(path):
    return shlex.quote(str(path))


def parallel_ids(ref):
    ids = ref["ids"]
    n = len(ids)
    return [ids[i * n // 16] for i in range(16)] if n >= 16 else list(ids)


def fs_script(workload, root, ctx):
    """The shell command of a read workload through a mounted tree at root."""
    if workload.startswith("ls_"):
        return "ls -l -- %s" % q(os.path.join(root, "connections"))
    if workload.startswith("names_"):
        return "cd %s && cat -- */name */schedule" % q(os.path.join(root, "connections"))
    if workload == "rsync_cold":
        return "rsync -a %s/ %s/" % (q(os.path.join(root, "settings")), q(ctx["dest"]))
    if workload == "parallel16_cold":
        lines = ["pids=()"]
        for cid in ctx["ids"]:
            lines.append("cat %s > %s & pids+=($!)" % (
                q(os.path.join(root, "connections", cid, "connection.json")),
                q(os.path.join(ctx["dest"], cid + ".json"))))
        lines.append('rc=0; for p in "${pids[@]}"; do wait "$p" || rc=1; done; exit $rc')
        return "\n".join(lines)
    raise ValueError(workload)


def curl_script(workload, ctx):
    base = "bash %s" % q(CURL_JQ)
    if workload == "ls_cold":
        return base + " ls"
    if workload == "names_cold":
        return base + " names"
    if workload == "rsync_cold":
        return base + " settings %s" % q(ctx["dest"])
    if workload == "parallel16_cold":
        return base + " parallel %s %s" % (q(ctx["dest"]), " ".join(ctx["ids"]))
    raise ValueError(workload)


def edit_script(root, edits):
    lines = ["set -e"]
    for cid, value in edits:
        lines.append("printf '%%s\\n' %s > %s" % (
            q(value), q(os.path.join(root, "connections", cid, "name"))))
    return "\n".join(lines)


def check_ids(got, ref, what):
    if len(got) != len(ref["ids"]) or sorted(got) != ref["ids"]:
        missing = sorted(set(ref["ids"]) - set(got))[:3]
        raise BenchError("%s: %d entries, expected %d (missing e.g. %s)"
                         % (what, len(got), len(ref["ids"]), missing))


def check_output(workload, system, out, ref, ctx):
    text = out.decode("utf-8", "replace")
    lines = text.splitlines()
    if workload.startswith("ls_"):
        if system == CURL:
            check_ids([line.split(" ", 1)[0] for line in lines], ref, "listing")
        else:
            if not lines or not lines[0].startswith("total"):
                raise BenchError("ls -l output does not start with 'total': %r" % text[:200])
            check_ids([line.split()[-1] for line in lines[1:] if line.strip()], ref, "ls -l")
    elif workload.startswith("names_"):
        expected = sorted(list(ref["names"].values()) + list(ref["schedules"].values()))
        if sorted(lines) != expected:
            diff = sorted((collections.Counter(expected) - collections.Counter(lines)).elements())[:3]
            raise BenchError("names/schedules: %d lines, expected %d; missing e.g. %r"
                             % (len(lines), len(expected), diff))
    elif workload == "rsync_cold":
        files = sorted(f for f in os.listdir(ctx["dest"]) if not f.startswith("."))
        check_ids([f[:-5] for f in files if f.endswith(".json")], ref, "copied settings")
        if len(files) != len(ref["ids"]):
            raise BenchError("copied %d files, expected %d" % (len(files), len(ref["ids"])))
        for f in files:
            cid = f[:-5]
            doc = json.loads(pathlib.Path(ctx["dest"], f).read_text())
            if doc.get("name") != ref["names"][cid]:
                raise BenchError("%s: name %r, expected %r" % (f, doc.get("name"), ref["names"][cid]))
            if system == CURL and doc.get("connectionId") != cid:
                raise BenchError("%s: connectionId %r" % (f, doc.get("connectionId")))
    elif workload == "parallel16_cold":
        for cid in ctx["ids"]:
            doc = json.loads(pathlib.Path(ctx["dest"], cid + ".json").read_text())
            if doc.get("connectionId") != cid or doc.get("name") != ref["names"][cid]:
                raise BenchError("%s.json: connectionId %r name %r"
                                 % (cid, doc.get("connectionId"), doc.get("name")))


def list_offsets(snapshot):
    """The offsets of the GET /connections requests in the log."""
    offsets = []
    for e in snapshot.get("log", []):
        if e.get("method") == "GET" and e.get("path") == PUBLIC + "/connections":
            qs = urllib.parse.parse_qs(e.get("query") or "")
            try:
                offsets.append(int(qs.get("offset", ["0"])[0]))
            except ValueError:
                offsets.append(-1)
    return offsets


def route_counts(snapshot):
    """(requests by endpoint without the token route, token requests, duplicate GETs)."""
    routes, token = {}, 0
    for key, count in snapshot.get("routes", {}).items():
        method, _, path = key.partition(" ")
        if path.endswith("/applications/token"):
            token += count
            continue
        if path.startswith(PUBLIC):
            path = path[len(PUBLIC):]
        routes["%s %s" % (method, path)] = count
    seen = collections.Counter((e["path"], e.get("query") or "") for e in snapshot.get("log", [])
                               if e.get("method") == "GET")
    dups = sum(c - 1 for c in seen.values() if c > 1)
    return routes, token, dups


# --- results ------------------------------------------------------------------------------------

class Result:
    def __init__(self, n, latency, workload, system, runs):
        self.n, self.latency, self.workload, self.system, self.runs = n, latency, workload, system, runs
        self.times, self.routes, self.tokens, self.dups, self.rss, self.mount_s = [], [], [], [], [], []
        self.cpu, self.emu_cpu = [], []  # CPU seconds of the daemon and of the emulator, per run
        self.offsets = []
        self.wall_s = 0.0
        self.notes = []
        self.error = None

    def add(self, seconds, snapshot=None):
        self.times.append(seconds)
        if snapshot is not None:
            routes, token, dups = route_counts(snapshot)
            self.routes.append(routes)
            self.tokens.append(token)
            self.dups.append(dups)
            self.offsets.append(list_offsets(snapshot))

    @property
    def ok(self):
        return self.error is None and bool(self.times)

    def median(self):
        return statistics.median(self.times) if self.times else None

    def median_routes(self):
        if not self.routes:
            return None
        keys = sorted({k for r in self.routes for k in r})
        return {k: statistics.median([r.get(k, 0) for r in self.routes]) for k in keys}

    def requests_total(self):
        if not self.routes:
            return None
        return statistics.median([sum(r.values()) for r in self.routes])

    def token_median(self):
        return statistics.median(self.tokens) if self.tokens else None

    def peak_rss(self):
        vals = [v for v in self.rss if v is not None]
        return max(vals) if vals else None

    def add_cpu(self, meter):
        daemon, emulator = meter.stop()
        self.cpu.append(daemon)
        self.emu_cpu.append(emulator)

    def median_cpu(self):
        vals = [v for v in self.cpu if v is not None]
        return statistics.median(vals) if vals else None

    def median_emu_cpu(self):
        vals = [v for v in self.emu_cpu if v is not None]
        return statistics.median(vals) if vals else None


def fmt_s(t):
    if t is None:
        return "—"
    if t < 1:
        return "%.3f" % t
    if t < 10:
        return "%.2f" % t
    return "%.1f" % t


def fmt_num(x):
    return "%d" % x if float(x).is_integer() else "%.1f" % x


def fmt_routes(result):
    routes = result.median_routes()
    if routes is None:
        return "—"
    parts = ["%s ×%s" % (k, fmt_num(v)) for k, v in sorted(routes.items(), key=lambda kv: -kv[1]) if v]
    text = ", ".join(parts) if parts else "none"
    token = result.token_median()
    if token:
        text += " (+%s token)" % fmt_num(token)
    return text


def fmt_mib(kib):
    return "—" if kib is None else "%.1f MiB" % (kib / 1024.0)


# --- the runner ---------------------------------------------------------------------------------

def runs_for(args, n, latency, workload, system):
    if args.runs:
        return args.runs
    if args.quick:
        return 1
    if workload == "edit100":
        # 200 requests a run (GET + PATCH per edit), so ~11 s at 50 ms whatever N is.
        return 3 if latency == 0 else 1
    return 5 if n <= 1000 else 3


class Runner:
    def __init__(self, args, bench):
        self.args = args
        self.bench = bench
        self.results = []
        self.refs = {}

    def run_config(self, emu, ref, tree, latency, with_passthrough):
        """Every workload at one latency. passthrough serves local files, so it runs only with the
        first latency of each N (with_passthrough) and its numbers stand for every latency, except
        for the workloads whose floor is a ratio to it (SAME_TIME_BASELINE), where it runs at every
        latency. A cold workload's runs are interleaved across the systems (airbytefs, then curl,
        then passthrough, again), so that a machine slowing down over the cell (a 2-core VM's
        neighbours, its memory reclaim) weighs on every system alike, not on one."""
        emu.reset(latency)
        for workload, (kind, systems, _) in WORKLOADS.items():
            if workload not in self.args.workloads:
                continue
            cells = []
            for system in systems:
                same_time = system == PASSTHROUGH and workload in SAME_TIME_BASELINE and emu.n in SAME_TIME_SIZES
                if system == PASSTHROUGH and (tree is None or not (with_passthrough or same_time)):
                    continue
                if system == CURL and self.args.no_curl:
                    continue
                runs = runs_for(self.args, emu.n, latency, workload, system)
                res = Result(emu.n, latency if system != PASSTHROUGH or same_time else None, workload, system,
                             runs)
                self.results.append(res)
                cells.append(res)
            if kind == "cold":
                log("N=%d latency=%d ms %s [%s] x%s, interleaved" % (
                    emu.n, latency, workload, ", ".join(r.system for r in cells),
                    "/".join(str(r.runs) for r in cells)))
                for i in range(max((r.runs for r in cells), default=0)):
                    for res in cells:
                        if i < res.runs and res.error is None:
                            self.run_cell(res, kind, emu, ref, tree, runs=1)
                for res in cells:
                    self.log_cell(res)
            else:
                for res in cells:
                    log("N=%d latency=%d ms %s [%s] x%d" % (emu.n, latency, workload, res.system, res.runs))
                    self.run_cell(res, kind, emu, ref, tree, runs=res.runs)
                    self.log_cell(res)

    def run_cell(self, res, kind, emu, ref, tree, runs):
        """runs more runs of res (its error set on a failure)."""
        started = time.monotonic()
        try:
            if res.system == CURL:
                self.run_curl(res, emu, ref, runs)
            elif kind == "cold":
                self.run_cold(res, emu, ref, tree, runs)
            else:
                self.run_warm(res, emu, ref, tree)
        except BenchError as e:
            res.error = str(e)
        finally:
            res.wall_s = (res.wall_s or 0.0) + time.monotonic() - started

    @staticmethod
    def log_cell(res):
        if res.error is not None:
            log("  [%s] FAILED: %s" % (res.system, res.error))
        else:
            log("  [%s] median %s s, requests %s, peak RSS %s"
                % (res.system, fmt_s(res.median()), fmt_routes(res), fmt_mib(res.peak_rss())))

    def context(self, workload, ref):
        ctx = {"ids": parallel_ids(ref)}
        if workload in ("rsync_cold", "parallel16_cold"):
            ctx["dest"] = self.bench.fresh("dest")
            os.makedirs(ctx["dest"])
        return ctx

    def timed(self, res, script, ref, ctx, emu, env=None):
        seconds, rc, out, err = run_shell(script, self.args.timeout, env=env)
        if rc != 0:
            raise BenchError("exit status %d: %s" % (rc, err.strip()[-500:]))
        check_output(res.workload, res.system, out, ref, ctx)
        return seconds

    def run_curl(self, res, emu, ref, runs):
        env = dict(os.environ, API=emu.api_url, WS=WORKSPACE, CLIENT_ID=CLIENT_ID,
                   CLIENT_SECRET=CLIENT_SECRET)
        for _ in range(runs):
            ctx = self.context(res.workload, ref)
            try:
                emu.reset_requests()
                meter = CpuMeter(None, emu.proc)
                seconds = self.timed(res, curl_script(res.workload, ctx), ref, ctx, emu, env=env)
                res.add_cpu(meter)
                res.add(seconds, emu.requests())
            finally:
                remove_tree(ctx.get("dest"))

    def run_cold(self, res, emu, ref, tree, runs):
        """A fresh mount per run; the counters are zeroed before the daemon starts, so whatever it
        asks at mount time is counted; the clock starts once the mount is there."""
        for _ in range(runs):
            ctx = self.context(res.workload, ref)
            try:
                if res.system == AIRBYTEFS:
                    emu.reset_requests()
                    m = self.bench.mount_airbytefs(emu)
                else:
                    m = self.bench.mount_passthrough(tree)
                status = None
                try:
                    res.mount_s.append(m.mount_seconds)
                    script = fs_script(res.workload, m.path, ctx)
                    meter = CpuMeter(m.proc, emu.proc if res.system == AIRBYTEFS else None)
                    seconds = self.timed(res, script, ref, ctx, emu)
                    res.add_cpu(meter)
                    res.add(seconds, emu.requests() if res.system == AIRBYTEFS else None)
                    res.rss.append(m.vmhwm_kib())
                finally:
                    status = m.unmount()
                if status != 0:
                    raise BenchError("%s exited with status %r: %s" % (res.system, status, m.log_tail()))
            finally:
                remove_tree(ctx.get("dest"))

    def run_warm(self, res, emu, ref, tree):
        """One mount, primed (the same command, or `ls -l connections` for edits), then timed
        runs; remounted and primed again before a run that could end past the listing's TTL."""
        m, primed_at, last, ended = None, 0.0, 0.0, 0.0
        prime_workload = "ls_cold" if res.workload == "edit100" else res.workload
        try:
            for run in range(res.runs):
                # a run that could end past the TTL (counted from the prime's start) gets a
                # fresh mount, primed again
                if res.system == AIRBYTEFS and m is not None and \
                        time.monotonic() + KERNEL_TIMEOUT + 0.2 - primed_at + 1.5 * last + 1 > TTL - 2:
                    self.finish_mount(res, m)
                    m = None
                if m is None:
                    m = self.bench.mount_airbytefs(emu) if res.system == AIRBYTEFS \
                        else self.bench.mount_passthrough(tree)
                    res.mount_s.append(m.mount_seconds)
                    primed_at = time.monotonic()
                    self.timed(res, fs_script(prime_workload, m.path, {}), ref, {}, emu)
                    ended = time.monotonic()
                gap = ended + KERNEL_TIMEOUT + 0.2 - time.monotonic()
                if gap > 0:
                    time.sleep(gap)
                meter = CpuMeter(m.proc, emu.proc if res.system == AIRBYTEFS else None)
                if res.workload == "edit100":
                    seconds = self.run_edits(res, emu, ref, m, run)
                    res.add_cpu(meter)
                else:
                    if res.system == AIRBYTEFS:
                        emu.reset_requests()
                        meter = CpuMeter(m.proc, emu.proc)
                    seconds = self.timed(res, fs_script(res.workload, m.path, {}), ref, {}, emu)
                    res.add_cpu(meter)
                    res.add(seconds, emu.requests() if res.system == AIRBYTEFS else None)
                last = seconds
                ended = time.monotonic()
            self.finish_mount(res, m)
            m = None
        finally:
            if m is not None:
                m.unmount()

    def finish_mount(self, res, m):
        res.rss.append(m.vmhwm_kib())
        status = m.unmount()
        if status != 0:
            raise BenchError("%s exited with status %r: %s" % (res.system, status, m.log_tail()))

    def run_edits(self, res, emu, ref, m, run):
        editable = [cid for cid in ref["ids"] if ref["status"][cid] not in ("locked", "deprecated")]
        edits = [(editable[i % len(editable)], "bench r%d e%03d %s" % (run, i, ref["names"][editable[i % len(editable)]][:20]))
                 for i in range(100)]
        emu.reset_requests()
        seconds, rc, out, err = run_shell(edit_script(m.path, edits), self.args.timeout)
        snapshot = emu.requests()
        if rc != 0:
            raise BenchError("edits: exit status %d: %s" % (rc, err.strip()[-500:]))
        expected = dict(edits)
        state = emu.state_connections()
        wrong = [cid for cid, value in expected.items() if state[cid]["name"] != value]
        if wrong:
            raise BenchError("edits: %d of %d connections do not have their new name (e.g. %s: %r)"
                             % (len(wrong), len(expected), wrong[0], state[wrong[0]]["name"]))
        res.add(seconds, snapshot)
        return seconds


# --- floors -------------------------------------------------------------------------------------

def find(results, n, latency, workload, system):
    """The result of one cell; passthrough's of the same latency (SAME_TIME_BASELINE), or else
    its one run per N, which stands for every latency."""
    cells = [r for r in results if (r.n, r.workload, r.system) == (n, workload, system)]
    for r in cells:
        if r.latency == latency:
            return r
    for r in cells:
        if system == PASSTHROUGH and r.latency is None:
            return r
    return None


def floors(results, refs, sizes, latencies):
    """[(floor, target, measured, status)] — printed, never asserted."""
    rows = []
    na = "not measured in this run"

    def ok(r):
        return r is not None and r.ok

    for n in SIZES:
        target = math.ceil(n / PAGE)
        got = [(lat, find(results, n, lat, "ls_cold", AIRBYTEFS)) for lat in latencies]
        got = [(lat, r.median_routes().get("GET /connections", 0)) for lat, r in got if ok(r)]
        if not got:
            rows.append(("cold `ls -l` of %s connections: list requests" % f"{n:,}", "%d (⌈N/100⌉)" % target,
                         na, "—"))
            continue
        worst = max(c for _, c in got)
        parts = []
        for lat, c in got:
            r = find(results, n, lat, "ls_cold", AIRBYTEFS)
            # the run whose list count is the median one (the details of that run)
            runs = [o for o in r.offsets if len(o) == c] or r.offsets or [[]]
            offs = runs[0]
            past = sum(1 for o in offs if o > n)
            again = len(offs) - len(set(offs))
            detail = []
            if n % PAGE == 0 and n in offs:
                detail.append("1 empty page ends the walk")
            if past:
                detail.append("%d past the end" % past)
            if again:
                detail.append("%d fetched twice" % again)
            parts.append("%s at %d ms%s" % (fmt_num(c), lat, " (%s)" % ", ".join(detail) if detail else ""))
        rows.append(("cold `ls -l` of %s connections: list requests" % f"{n:,}", "%d (⌈N/100⌉)" % target,
                     "; ".join(parts), "met" if worst <= target else "not met"))
    for n in SIZES:
        got = [(lat, find(results, n, lat, "ls_warm", AIRBYTEFS)) for lat in latencies]
        got = [(lat, r.requests_total()) for lat, r in got if ok(r)]
        if not got:
            rows.append(("warm `ls -l` of %s connections within the TTL: requests" % f"{n:,}", "0", na, "—"))
            continue
        rows.append(("warm `ls -l` of %s connections within the TTL: requests" % f"{n:,}", "0",
                     ", ".join("%s at %d ms" % (fmt_num(c), lat) for lat, c in got),
                     "met" if all(c == 0 for _, c in got) else "not met"))
    for n in (1000, 10000):
        for lat in latencies:
            r = find(results, n, lat, "ls_cold", AIRBYTEFS)
            cpu = r.median_cpu() if ok(r) else None
            label = "daemon CPU of a cold `ls -l` of %s connections, %d ms" % (f"{n:,}", lat)
            if cpu is None:
                rows.append((label, "≤ 25 µs per connection", na, "—"))
            else:
                rows.append((label, "≤ 25 µs per connection (%.3f s)" % (25e-6 * n),
                             "%.3f s = %.0f µs per connection" % (cpu, cpu / n * 1e6),
                             "met" if cpu <= 25e-6 * n else "not met"))
    r = find(results, 10000, 50, "ls_cold", AIRBYTEFS)
    rows.append(("cold `ls -l` of 10,000 connections at 50 ms", "≤ 0.75 s",
                 "%s s" % fmt_s(r.median()) if ok(r) else na,
                 ("met" if r.median() <= 0.75 else "not met") if ok(r) else "—"))
    def ratio_row(label, a, b, limit, against):
        """A floor "a within limit x b": both medians and their ratio, or not measured."""
        target = "≤ %s× %s" % (limit, against)
        if not (ok(a) and ok(b)):
            return (label, target, na, "—")
        ratio = a.median() / b.median()
        return (label, target, "%s s vs %s s = %.2f×" % (fmt_s(a.median()), fmt_s(b.median()), ratio),
                "met" if ratio <= limit else "not met")

    for workload in ("names_cold", "names_warm"):  # issue 17: within 1.1x of passthrough at 10,000
        for lat in latencies:
            rows.append(ratio_row("`%s` at 10,000, %d ms" % (workload, lat),
                                  find(results, 10000, lat, workload, AIRBYTEFS),
                                  find(results, 10000, lat, workload, PASSTHROUGH), 1.1, "passthrough"))
    for r in sorted((r for r in results if r.workload == "parallel16_cold" and r.system == AIRBYTEFS and r.ok),
                    key=lambda r: (r.n, r.latency)):
        c = find(results, r.n, r.latency, "parallel16_cold", CURL)
        if ok(c):
            rows.append(ratio_row("`parallel16_cold` at %s, %d ms" % (f"{r.n:,}", r.latency), r, c, 1.2,
                                  "16 parallel curls"))
    for lat in latencies:
        rows.append(ratio_row("warm read of every `name` (and `schedule`) at 1,000, %d ms" % lat,
                              find(results, 1000, lat, "names_warm", AIRBYTEFS),
                              find(results, 1000, lat, "names_warm", PASSTHROUGH), 1.5, "passthrough"))
    par = [r for r in results if r.workload == "parallel16_cold" and r.system == AIRBYTEFS and r.ok]
    if par:
        bad = [r for r in par if max(r.dups) > 0]
        measured = "%d of %d configurations with duplicates" % (len(bad), len(par))
        if bad:
            measured += ": " + "; ".join("N=%d %d ms: %d (%s)" % (r.n, r.latency, max(r.dups), fmt_routes(r))
                                         for r in bad)
        rows.append(("16 parallel cold readers: duplicate GETs of one resource", "0", measured,
                     "met" if not bad else "not met"))
    else:
        rows.append(("16 parallel cold readers: duplicate GETs of one resource", "0", na, "—"))
    big = [r for r in results if r.n == 10000 and r.system == AIRBYTEFS and r.peak_rss() is not None]
    if big and 10000 in refs:
        peak = max(big, key=lambda r: r.peak_rss())
        raw = refs[10000]["raw_bytes"]
        limit = 3 * raw + 20 * MIB
        rows.append(("daemon peak RSS at 10,000", "≤ 3 × %.1f MiB listing JSON + 20 MiB = %.1f MiB"
                     % (raw / MIB, limit / MIB),
                     "%s (%s, %d ms)" % (fmt_mib(peak.peak_rss()), peak.workload, peak.latency),
                     "met" if peak.peak_rss() * 1024 <= limit else "not met"))
    else:
        rows.append(("daemon peak RSS at 10,000", "≤ 3 × listing JSON + 20 MiB", na, "—"))
    for workload, counterpart in CURL_COUNTERPART.items():
        pairs = []
        for r in results:
            if r.workload == workload and r.system == AIRBYTEFS and r.ok:
                c = find(results, r.n, r.latency, counterpart, CURL)
                if ok(c):
                    pairs.append((r, c))
        label = "airbytefs faster than curl+jq: %s" % workload
        if not pairs:
            rows.append((label, "faster in every configuration", na, "—"))
            continue
        slower = [(r, c) for r, c in pairs if r.median() >= c.median()]
        worst = max(pairs, key=lambda rc: rc[0].median() / rc[1].median())
        measured = "faster in %d of %d; worst N=%d %d ms: %s s vs %s s" % (
            len(pairs) - len(slower), len(pairs), worst[0].n, worst[0].latency,
            fmt_s(worst[0].median()), fmt_s(worst[1].median()))
        rows.append((label, "faster in every configuration", measured, "met" if not slower else "not met"))
    return rows


# --- reports ------------------------------------------------------------------------------------

def machine():
    model = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal:"):
                mem = "%.0f GiB" % (int(line.split()[1]) / 1024 / 1024)
    except OSError:
        pass
    return {"nproc": len(os.sched_getaffinity(0)), "cpu": model, "kernel": platform.release(), "memory": mem}


def pkg_version(name):
    try:
        return subprocess.run(["pkg-config", "--modversion", name], capture_output=True, text=True,
                              timeout=30).stdout.strip() or "?"
    except (OSError, subprocess.TimeoutExpired):
        return "?"


def loadavg():
    try:
        return " ".join(open("/proc/loadavg").read().split()[:3])
    except OSError:
        return "?"


def commit_label(args):
    if args.commit:
        return args.commit
    try:
        head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True,
                              text=True, timeout=30).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--", "core", "fs",
                                "CMakeLists.txt"], capture_output=True, text=True, timeout=30).stdout.strip()
        return head + (" (with uncommitted changes in core/ or fs/)" if dirty else "")
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"


def report(args, results, refs, floor_rows, started, elapsed, load_before):
    m = machine()
    out = io.StringIO()
    w = out.write
    w("Measured %s UTC on %d CPUs (%s), %s memory, Linux %s; %s in %.0f s "
      "(load average %s before, %s after).\n\n"
      % (started.strftime("%Y-%m-%d %H:%M"), m["nproc"], m["cpu"], m["memory"], m["kernel"],
         "quick run" if args.quick else "full run", elapsed, load_before, loadavg()))
    w("- Command: `%s`\n" % args.command)
    w("- airbytefs commit: `%s`\n" % commit_label(args))
    w("- Emulator: tests/emulator/airbyte_emulator.py --connections N, on this machine; latency "
      "set with POST /_emulator/config\n")
    w("- passthrough: libfuse %s's example%s, serving a copy of the mount's files in /dev/shm; it "
      "reads local files, so it ran once per N and its numbers stand on every latency's row, "
      "except for names_cold and names_warm at 10,000, where it ran beside airbytefs at every latency\n"
      % (pkg_version("fuse3"), (" as shipped" if args.passthrough_stock
         else " with airbytefs's kernel cache (entry and attribute timeouts 1 s, readdirplus)")
         + (", its files opened with direct_io as airbytefs's" if args.passthrough_direct_io else "")))
    w("- Cold workloads: the systems' runs interleaved (airbytefs, curl+jq, passthrough, again)\n")
    w("- Raw listing JSON (all pages of `GET /connections`, limit 100): %s\n\n"
      % ", ".join("N=%s: %s bytes in %d pages" % (f"{n:,}", f"{r['raw_bytes']:,}", r["pages"])
                  for n, r in sorted(refs.items())))
    w("Median wall time in seconds; requests are the API requests of one run (median by endpoint, "
      "the token route apart; for a cold run, from the daemon's start); peak RSS is the daemon's "
      "VmHWM just before unmount (the highest of the runs); daemon CPU s is the user + system CPU "
      "the airbytefs daemon (passthrough's, in parentheses) spent during the timed command, "
      "emulator CPU s what the emulator spent serving airbytefs meanwhile (medians, from /proc).\n\n")
    w("| N | latency | workload | runs | airbytefs s | curl+jq s | passthrough s "
      "| daemon CPU s | emulator CPU s | airbytefs requests | curl+jq requests | airbytefs peak RSS |\n")
    w("|---:|---:|---|---:|---:|---:|---:|---:|---:|---|---|---:|\n")
    keys = []
    for r in results:
        if r.system == PASSTHROUGH:
            continue
        key = (r.n, r.latency, r.workload)
        if key not in keys:
            keys.append(key)
    for n, lat, workload in keys:
        cells = {}
        for system in SYSTEMS:
            r = find(results, n, lat, workload, system)
            cells[system] = r
        a, c, p = cells[AIRBYTEFS], cells[CURL], cells[PASSTHROUGH]

        def t(r):
            if r is None:
                return "—"
            return fmt_s(r.median()) if r.ok else "FAILED"
        runs = a.runs if a else (c or p).runs

        def cpu(r, median):
            v = median(r) if r is not None and r.ok else None
            return "—" if v is None else "%.3f" % v
        daemon = cpu(a, Result.median_cpu)
        if p is not None and p.ok and p.median_cpu() is not None:
            daemon += " (%s)" % cpu(p, Result.median_cpu)
        w("| %s | %d ms | %s | %d | %s | %s | %s | %s | %s | %s | %s | %s |\n" % (
            f"{n:,}", lat, workload, runs, t(a), t(c), t(p), daemon, cpu(a, Result.median_emu_cpu),
            fmt_routes(a) if a and a.ok else "—", fmt_routes(c) if c and c.ok else "—",
            fmt_mib(a.peak_rss()) if a and a.ok else "—"))
    failures = [r for r in results if not r.ok]
    if failures:
        w("\nFailures:\n\n")
        for r in failures:
            w("- N=%d %s %s [%s]: %s\n" % (r.n, "any latency" if r.latency is None else "%d ms" % r.latency,
                                            r.workload, r.system,
                                              (r.error or "no run").replace("\n", " ")[:600]))
    w("\nFloors (checked, never asserted):\n\n")
    w("| floor | target | measured | status |\n|---|---|---|---|\n")
    for row in floor_rows:
        w("| %s |\n" % " | ".join(row))
    w("\nWorkloads:\n\n")
    for workload, (_, systems, desc) in WORKLOADS.items():
        w("- `%s` (%s): %s\n" % (workload, ", ".join(systems), desc))
    return out.getvalue()


def write_csv(path, results):
    with open(path, "w", newline="") as f:
        wr = csv.writer(f)
        wr.writerow(["n", "latency_ms", "workload", "system", "runs", "median_s", "min_s", "max_s",
                     "times_s", "mount_s_median", "requests_total", "token_requests",
                     "requests_by_endpoint", "duplicate_gets", "peak_rss_kib", "daemon_cpu_s_median",
                     "emulator_cpu_s_median", "cell_wall_s", "status", "error"])
        for r in results:
            routes = r.median_routes()
            wr.writerow([
                r.n, "any" if r.latency is None else r.latency, r.workload, r.system, r.runs,
                "%.4f" % r.median() if r.times else "",
                "%.4f" % min(r.times) if r.times else "",
                "%.4f" % max(r.times) if r.times else "",
                ";".join("%.4f" % t for t in r.times),
                "%.4f" % statistics.median(r.mount_s) if r.mount_s else "",
                fmt_num(r.requests_total()) if routes is not None else "",
                fmt_num(r.token_median()) if r.tokens else "",
                ";".join("%s=%s" % (k, fmt_num(v)) for k, v in sorted(routes.items())) if routes else "",
                max(r.dups) if r.dups else "",
                r.peak_rss() if r.peak_rss() is not None else "",
                "%.4f" % r.median_cpu() if r.median_cpu() is not None else "",
                "%.4f" % r.median_emu_cpu() if r.median_emu_cpu() is not None else "",
                "%.1f" % r.wall_s, "ok" if r.ok else "failed", r.error or ""])


def write_floors_csv(path, rows):
    with open(path, "w", newline="") as f:
        wr = csv.writer(f)
        wr.writerow(["floor", "target", "measured", "status"])
        wr.writerows(rows)


def update_doc(path, text):
    doc = pathlib.Path(path).read_text()
    if DOC_BEGIN not in doc or DOC_END not in doc:
        raise SystemExit("%s has no %s ... %s markers" % (path, DOC_BEGIN, DOC_END))
    head, rest = doc.split(DOC_BEGIN, 1)
    _, tail = rest.split(DOC_END, 1)
    pathlib.Path(path).write_text(head + DOC_BEGIN + "\n" + text + DOC_END + tail)


# --- main ---------------------------------------------------------------------------------------

def parse_args(argv):
    p = argparse.ArgumentParser(description="airbytefs benchmark (see docs/benchmark.md)")
    p.add_argument("--quick", action="store_true",
                   help="N=100, latency 0, 1 run of every workload and both baselines (CI)")
    p.add_argument("--binary", default=str(REPO / "build" / "airbytefs"), help="airbytefs binary")
    p.add_argument("--out", default=str(REPO / "build" / "bench"), help="directory for results")
    p.add_argument("--sizes", help="comma-separated N (default 100,1000,10000)")
    p.add_argument("--latencies", help="comma-separated ms (default 0,50)")
    p.add_argument("--runs", type=int, help="runs of every workload (default: 5, 3 at N=10000, fewer edits)")
    p.add_argument("--workloads", help="comma-separated subset of: " + ",".join(WORKLOADS))
    p.add_argument("--no-passthrough", action="store_true", help="skip the passthrough baseline")
    p.add_argument("--no-curl", action="store_true",
                   help="skip the curl + jq baseline (cold runs then alternate airbytefs and passthrough only)")
    p.add_argument("--passthrough-stock", action="store_true",
                   help="build passthrough exactly as shipped (kernel cache timeouts 0, no readdirplus) "
                        "instead of with airbytefs's 1 s timeouts and readdirplus")
    p.add_argument("--passthrough-direct-io", action="store_true",
                   help="passthrough opens files with direct_io, as airbytefs opens its API-backed files")
    p.add_argument("--timeout", type=int, default=300, help="bound on one workload command, seconds")
    p.add_argument("--commit", help="commit to report (default: git HEAD of this tree)")
    p.add_argument("--update-doc", nargs="?", const=str(DOC), metavar="PATH",
                   help="rewrite the results section of docs/benchmark.md")
    args = p.parse_args(argv)
    args.sizes = [int(x) for x in args.sizes.split(",")] if args.sizes else ([100] if args.quick else list(SIZES))
    args.latencies = [int(x) for x in args.latencies.split(",")] if args.latencies else \
        ([0] if args.quick else list(LATENCIES))
    args.workloads = args.workloads.split(",") if args.workloads else list(WORKLOADS)
    unknown = set(args.workloads) - set(WORKLOADS)
    if unknown:
        p.error("unknown workloads: %s" % ", ".join(sorted(unknown)))
    args.binary = os.path.abspath(args.binary)
    script = os.path.abspath(sys.argv[0])
    if script.startswith(str(REPO) + "/"):
        script = os.path.relpath(script, REPO)
    args.command = " ".join(shlex.quote(a) for a in [PYTHON, script] + list(argv))
    return args


def preflight(args):
    problems = []
    if not os.access(args.binary, os.X_OK):
        problems.append("airbytefs binary not found at %s (cmake --build build)" % args.binary)
    for tool in ("bash", "curl", "jq", "rsync", "gcc", "pkg-config", "fusermount3", "ls", "cat"):
        if shutil.which(tool) is None:
            problems.append("%s is not installed" % tool)
    if not os.path.exists("/dev/fuse"):
        problems.append("/dev/fuse is missing")
    if problems:
        raise BenchError("; ".join(problems))


def main(argv):
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    started = datetime.datetime.now(datetime.timezone.utc)
    load_before = loadavg()
    t0 = time.monotonic()
    workdir = tempfile.mkdtemp(prefix="abfs-bench-")
    shmdir = tempfile.mkdtemp(prefix="abfs-bench-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
    register(lambda: remove_tree(shmdir))
    register(lambda: remove_tree(workdir))
    bench = Bench(args, workdir, shmdir)
    runner = Runner(args, bench)
    fatal = None
    try:
        preflight(args)
        if not args.no_passthrough:
            bench.build_passthrough()
        for n in args.sizes:
            emu = Emulator(n, workdir)
            try:
                ref = fetch_reference(emu)
                runner.refs[n] = ref
                tree = None
                if not args.no_passthrough:
                    log("N=%d: copying the mount's files for passthrough" % n)
                    tree = bench.copy_tree(emu, ref)
                for i, latency in enumerate(args.latencies):
                    runner.run_config(emu, ref, tree, latency, with_passthrough=(i == 0))
                if tree:
                    remove_tree(tree)
            finally:
                emu.stop()
    except BenchError as e:
        fatal = str(e)
        log("FAILED: %s" % e)
    except (KeyboardInterrupt, Terminated) as e:
        fatal = "interrupted (%s)" % (e or "Ctrl-C")
        log(fatal)
    finally:
        cleanup_all()
    elapsed = time.monotonic() - t0
    floor_rows = floors(runner.results, runner.refs, args.sizes, args.latencies)
    text = report(args, runner.results, runner.refs, floor_rows, started, elapsed, load_before)
    if fatal:
        text = "**The run stopped early: %s**\n\n%s" % (fatal, text)
    os.makedirs(args.out, exist_ok=True)
    pathlib.Path(args.out, "results.md").write_text(text)
    write_csv(os.path.join(args.out, "results.csv"), runner.results)
    write_floors_csv(os.path.join(args.out, "floors.csv"), floor_rows)
    print(text)
    print("results: %s/results.md, results.csv, floors.csv" % args.out)
    failed = [r for r in runner.results if not r.ok]
    if args.update_doc and not fatal:
        update_doc(args.update_doc, text)
        print("updated %s" % args.update_doc)
    if fatal or failed:
        print("FAILED: %s" % (fatal or "%d workload(s) failed" % len(failed)), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
