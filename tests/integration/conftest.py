"""Integration-test harness: starts the Airbyte API emulator, mounts the real airbytefs binary
on a temporary directory, and unmounts it afterwards, asserting that the daemon exits 0.

Tests talk to the emulator's admin API (/_emulator/...) to read its state and request counters,
and to the mount only through the filesystem (plain shell tools or os calls)."""
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
EMULATOR = REPO / "tests" / "emulator" / "airbyte_emulator.py"
WORKSPACE = "e0a1b2c3-0000-4000-8000-000000000001"
OTHER_WORKSPACE = "e0a1b2c3-0000-4000-8000-000000000002"
CLIENT_ID = "demo-client-id"
CLIENT_SECRET = "demo-client-secret"
PYTHON = "/usr/bin/python3"


def airbytefs_binary():
    path = os.environ.get("AIRBYTEFS_BIN") or str(REPO / "build" / "airbytefs")
    if not os.access(path, os.X_OK):
        pytest.fail(f"airbytefs binary not found at {path}; build it first (cmake --build build)")
    return path


class Emulator:
    def __init__(self, *args):
        self.tmp = tempfile.mkdtemp(prefix="abfs-emu-")
        port_file = os.path.join(self.tmp, "port")
        self.log = open(os.path.join(self.tmp, "emulator.log"), "w")
        self.proc = subprocess.Popen(
            [PYTHON, str(EMULATOR), "--port", "0", "--port-file", port_file, "--quiet", *args],
            stdout=subprocess.DEVNULL, stderr=self.log)
        deadline = time.time() + 30
        while not os.path.exists(port_file):
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("emulator did not start; see " + self.log.name)
            time.sleep(0.02)
        self.port = int(open(port_file).read())
        self.base = f"http://127.0.0.1:{self.port}"
        self.api_url = self.base + "/api/public/v1"

    def admin(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as resp:
            text = resp.read()
        return json.loads(text) if text else None

    def requests(self):
        return self.admin("GET", "/_emulator/requests")

    def reset_requests(self):
        self.admin("POST", "/_emulator/requests/reset")

    def reset(self):
        self.admin("POST", "/_emulator/reset")

    def state(self):
        return self.admin("GET", "/_emulator/state")

    def connections(self, workspace=WORKSPACE):
        return {cid: c for cid, c in self.state()["connections"].items()
                if c["workspaceId"] == workspace and c["status"] != "deprecated"}

    def route_count(self, route):
        return self.requests()["routes"].get(route, 0)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


class Mount:
    """A running airbytefs daemon (in the foreground, -f) and its mount point."""

    def __init__(self, emulator, options=(), env=None, workdir=None, path=None, cwd=None, preexec_fn=None):
        self.path = pathlib.Path(path) if path else pathlib.Path(tempfile.mkdtemp(prefix="abfs-mnt-", dir=workdir))
        self.stderr_path = self.path.parent / (self.path.name + ".log")
        self.stderr = open(self.stderr_path, "w")
        environment = dict(os.environ)
        for key in list(environment):
            if key.startswith("AIRBYTE_"):
                del environment[key]
        environment.update({
            "AIRBYTE_CLOUD_CLIENT_ID": CLIENT_ID,
            "AIRBYTE_CLOUD_CLIENT_SECRET": CLIENT_SECRET,
        })
        environment.update(env or {})
        opts = ",".join([f"api_url={emulator.api_url}", f"workspace={WORKSPACE}", *options])
        # ABFS_DAEMON_WRAPPER runs the daemon under a tool, e.g. valgrind (see tests/CMakeLists.txt).
        wrapper = os.environ.get("ABFS_DAEMON_WRAPPER", "").split()
        self.proc = subprocess.Popen([*wrapper, airbytefs_binary(), "-f", "-o", opts, str(self.path)],
                                     stdout=self.stderr, stderr=self.stderr, env=environment,
                                     cwd=cwd, preexec_fn=preexec_fn)
        deadline = time.time() + (60 if wrapper else 20)
        while not self._mounted():
            if self.proc.poll() is not None:
                raise RuntimeError("airbytefs exited early: " + self.log())
            if time.time() > deadline:
                self.proc.kill()
                raise RuntimeError("mount did not appear: " + self.log())
            time.sleep(0.02)

    def _mounted(self):
        # statvfs is always a request: a dead mount left on the same directory answers ENOTCONN
        # even while the kernel still answers stat from its cache.
        try:
            return os.path.ismount(self.path) and os.statvfs(self.path) is not None
        except OSError:
            return False

    def log(self):
        if not self.stderr.closed:
            self.stderr.flush()
        return self.stderr_path.read_text()

    def __truediv__(self, other):
        return self.path / other

    def unmount(self):
        """Unmounts and returns the daemon's exit status."""
        if os.path.ismount(self.path):
            subprocess.run(["fusermount3", "-u", str(self.path)], check=False)
        try:
            status = self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            status = "hung"
        self.stderr.close()
        try:
            self.path.rmdir()
        except OSError:
            pass
        return status


@pytest.fixture(scope="module")
def emulator():
    emu = Emulator("--connections", "12")
    yield emu
    emu.stop()


@pytest.fixture
def mount(emulator):
    emulator.reset()
    m = Mount(emulator)
    yield m
    status = m.unmount()
    assert status == 0, "daemon exit status %r; log:\n%s" % (status, m.log())


def run(cmd, **kw):
    """Runs a shell command line; returns CompletedProcess with text output."""
    return subprocess.run(cmd, shell=True, text=True, capture_output=True, **kw)
