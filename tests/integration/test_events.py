"""The event stream (issue 14): MOUNT/events gives one line per job start and end and per
connection created, deleted, changed (with the members), enabled or disabled, from the moment a
reader opened it; events.json the same as JSON lines. A read blocks (interruptible, ended by
SIGTERM), O_NONBLOCK gives EAGAIN, poll(2) wakes on an event. The API is polled every
events_interval only while a reader has it open. Neither file is listed, so tree walkers over the
whole mount never open them."""
import errno
import json
import os
import select
import signal
import subprocess
import time
import urllib.request

import pytest

from conftest import Emulator, Mount, run

INTERVAL = 1


@pytest.fixture(scope="module")
def emu():
    e = Emulator("--connections", "4", "--job-duration", "2")
    yield e
    e.stop()


@pytest.fixture
def m(emu):
    emu.reset()
    mnt = Mount(emu, options=[f"events_interval={INTERVAL}"])
    yield mnt
    assert mnt.unmount() == 0, mnt.log()


def conn_named(emu, name):
    return next(c for c, v in emu.connections().items() if v["name"] == name)


def public(emu, method, path, body=None):
    """A request of "another client" (the web UI, a script) to the public API."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(emu.api_url + path, data=data, method=method,
                                 headers={"Authorization": "Bearer demo-bearer-token",
                                          "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        text = resp.read()
    return json.loads(text) if text else None


def baseline_taken(emu, before=0):
    """Waits until a reader's open took its baseline (its GET /jobs reached the server)."""
    deadline = time.time() + 10
    while emu.route_count("GET /api/public/v1/jobs") <= before:
        assert time.time() < deadline, "no baseline"
        time.sleep(0.05)
    time.sleep(0.2)


class Reader:
    """A process reading the stream with shell tools; its lines, as they come."""

    def __init__(self, path, script=None):
        self.proc = subprocess.Popen(["bash", "-c", script or f"exec cat {path}"], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        self.raw = b""

    def lines_until(self, pattern, timeout=15):
        """Reads until a line contains pattern; returns every line read so far."""
        deadline = time.time() + timeout
        fd = self.proc.stdout.fileno()
        while pattern not in self.text and time.time() < deadline:
            if select.select([fd], [], [], 0.2)[0]:
                chunk = os.read(fd, 65536)
                if not chunk:
                    break
                self.raw += chunk
        assert pattern in self.text, f"no {pattern!r} within {timeout} s: {self.text!r}"
        return self.text.splitlines()

    @property
    def text(self):
        return self.raw.decode()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)


def test_while_read_sees_a_sync_start_and_end(emu, m):
    cid = conn_named(emu, "Faker Demo")
    script = (f"while read -r when event id rest; do echo \"$event $id $rest\"; "
              f"[ \"$event\" = job.succeeded ] && break; done < {m.path}/events; echo done")
    r = Reader(None, script)
    try:
        baseline_taken(emu)
        assert run(f"echo sync > {m.path}/connections/{cid}/run").returncode == 0
        job = os.readlink(m / "connections" / cid / "jobs" / "latest")
        lines = r.lines_until("done", timeout=15)
        assert r.proc.wait(5) == 0
        assert f'job.started {cid} "Faker Demo" job={job} type=sync' in lines
        assert f'job.succeeded {cid} "Faker Demo" job={job} type=sync' in lines
        assert lines.index(f'job.started {cid} "Faker Demo" job={job} type=sync') < \
            lines.index(f'job.succeeded {cid} "Faker Demo" job={job} type=sync')
    finally:
        r.stop()


def test_a_failing_job_shows_as_failed_within_one_interval(emu, m):
    """From the job's end on the server to its line: at most one interval and a poll's time."""
    cid = conn_named(emu, "Postgres → Snowflake")
    r = Reader(m / "events")
    try:
        baseline_taken(emu)
        emu.admin("POST", "/_emulator/next-job", {"outcome": "failed", "duration": 1.5})
        t0 = time.time()
        assert run(f"echo sync > {m.path}/connections/{cid}/run").returncode == 0
        job = os.readlink(m / "connections" / cid / "jobs" / "latest")
        line = next(l for l in r.lines_until("job.failed", timeout=10) if "job.failed" in l)
        assert time.time() - t0 < 1.5 + INTERVAL + 1.5
        assert emu.admin("GET", f"/_emulator/connections/{cid}")["jobs"][-1]["status"] == "failed"
        when, event, conn, rest = line.split(" ", 3)
        assert (event, conn, rest) == ("job.failed", cid, f'"Postgres → Snowflake" job={job} type=sync')
        assert time.strptime(when, "%Y-%m-%dT%H:%M:%SZ")
        assert f"job.started {cid}" in r.text
    finally:
        r.stop()


def test_a_change_on_the_server_shows_with_its_members(emu, m):
    cid = conn_named(emu, "Faker Demo")
    r = Reader(m / "events")
    try:
        baseline_taken(emu)
        emu.admin("PATCH", f"/_emulator/connections/{cid}",
                  {"name": "Faker Renamed", "schedule": {"scheduleType": "cron", "cronExpression": "0 0 1 * * ?"}})
        line = next(l for l in r.lines_until("connection.changed") if "connection.changed" in l)
        assert line.split(" ", 1)[1] == f'connection.changed {cid} "Faker Renamed" members=name,schedule'
    finally:
        r.stop()


def test_disable_enable_and_delete_show(emu, m):
    cid = conn_named(emu, "GitHub → Postgres")
    r = Reader(m / "events")
    try:
        baseline_taken(emu)
        public(emu, "PATCH", f"/connections/{cid}", {"status": "inactive"})
        r.lines_until(f"connection.disabled {cid}")
        public(emu, "PATCH", f"/connections/{cid}", {"status": "active"})
        r.lines_until(f"connection.enabled {cid}")
        public(emu, "DELETE", f"/connections/{cid}")
        lines = r.lines_until(f"connection.deleted {cid}")
        events = [l.split(" ")[1] for l in lines if cid in l]
        assert events == ["connection.disabled", "connection.enabled", "connection.deleted"]
        # and a connection that appears (the soft-deleted one back) is created
        emu.admin("PATCH", f"/_emulator/connections/{cid}", {"status": "active"})
        r.lines_until(f'connection.created {cid} "GitHub → Postgres"')
    finally:
        r.stop()


def test_events_json_gives_the_same_events_as_json_lines(emu, m):
    cid = conn_named(emu, "Faker Demo")
    r = Reader(m / "events.json")
    try:
        baseline_taken(emu)
        emu.admin("PATCH", f"/_emulator/connections/{cid}", {"prefix": "new_"})
        assert run(f"echo sync > {m.path}/connections/{cid}/run").returncode == 0
        job = int(os.readlink(m / "connections" / cid / "jobs" / "latest"))
        lines = r.lines_until('"job.succeeded"')
        events = [json.loads(l) for l in lines]
        changed = next(e for e in events if e["event"] == "connection.changed")
        assert changed["connectionId"] == cid and changed["name"] == "Faker Demo"
        assert changed["members"] == ["prefix"]
        done = next(e for e in events if e["event"] == "job.succeeded")
        assert done["jobId"] == job and done["jobType"] == "sync" and done["connectionId"] == cid
        assert done["time"].endswith("Z")
        # jq reads it as it comes
        if run("command -v jq").returncode == 0:
            out = run(f"timeout 10 jq -c --unbuffered 'select(.event==\"job.started\") | .jobId' "
                      f"< {m.path}/events.json | head -n 1 & sleep 0.5; echo sync > {m.path}/connections/{cid}/run; wait",
                      timeout=20)
            assert out.stdout.strip() == str(job + 1), out
    finally:
        r.stop()


def test_poll_wakes_on_an_event(emu, m):
    cid = conn_named(emu, "Faker Demo")
    fd = os.open(m / "events", os.O_RDONLY)
    try:
        p = select.poll()
        p.register(fd, select.POLLIN)
        assert p.poll(0) == []  # nothing yet
        assert select.select([fd], [], [], 0) == ([], [], [])
        t0 = time.time()
        emu.admin("PATCH", f"/_emulator/connections/{cid}", {"name": "Polled"})
        ready = p.poll(10 * 1000)
        assert ready and ready[0][0] == fd and ready[0][1] & select.POLLIN
        assert time.time() - t0 < INTERVAL + 2
        assert select.select([fd], [], [], 0)[0] == [fd]
        assert b'connection.changed' in os.read(fd, 4096)
        assert p.poll(0) == []  # read it all: not ready again
    finally:
        os.close(fd)


def test_nonblocking_read_gives_eagain(emu, m):
    cid = conn_named(emu, "Faker Demo")
    fd = os.open(m / "events", os.O_RDONLY | os.O_NONBLOCK)
    try:
        with pytest.raises(BlockingIOError) as exc:
            os.read(fd, 4096)
        assert exc.value.errno == errno.EAGAIN
        emu.admin("PATCH", f"/_emulator/connections/{cid}", {"name": "Non Blocking"})
        deadline = time.time() + 10
        data = b""
        while b"\n" not in data and time.time() < deadline:
            try:
                data += os.read(fd, 4096)
            except BlockingIOError:
                time.sleep(0.1)
        assert data.endswith(f'connection.changed {cid} "Non Blocking" members=name\n'.encode())
        with pytest.raises(BlockingIOError):
            os.read(fd, 4096)
    finally:
        os.close(fd)
    assert "EAGAIN" not in (m / "errors").read_text()  # nothing failed


def test_each_reader_has_its_own_queue_from_its_open(emu, m):
    a, b = conn_named(emu, "Faker Demo"), conn_named(emu, "GitHub → Postgres")
    first = Reader(m / "events")
    second = None
    try:
        baseline_taken(emu)
        emu.admin("PATCH", f"/_emulator/connections/{a}", {"name": "Early"})
        first.lines_until('"Early"')
        second = Reader(m / "events")
        time.sleep(0.5)
        emu.admin("PATCH", f"/_emulator/connections/{b}", {"name": "Late"})
        first.lines_until('"Late"')
        second.lines_until('"Late"')
        assert '"Early"' not in second.text  # it happened before the second opened
    finally:
        first.stop()
        if second:
            second.stop()


def test_the_api_is_polled_only_while_a_reader_has_it_open(emu, m):
    def counts():
        routes = emu.requests()["routes"]
        return routes.get("GET /api/public/v1/jobs", 0), routes.get("GET /api/public/v1/connections", 0)

    (m / "connections").is_dir()
    time.sleep(0.5)
    emu.reset_requests()
    time.sleep(3 * INTERVAL)
    assert counts() == (0, 0)  # nobody reads: nothing is asked
    fd = os.open(m / "events", os.O_RDONLY)
    try:
        assert counts()[0] == 1  # the baseline, taken by the open
        time.sleep(3.5 * INTERVAL)
        jobs, listings = counts()
        # one look a second: at most one job listing and one connection walk per interval
        assert 3 <= jobs <= 5 and 3 <= listings <= 5, (jobs, listings)
    finally:
        os.close(fd)
    time.sleep(1.5 * INTERVAL)  # a poll in flight at close may end
    after = counts()
    time.sleep(3 * INTERVAL)
    assert counts() == after  # the last reader left: polling stopped


WALKERS = [
    "grep -r zzz-not-there {m} ; test $? = 1",
    "cp -r {m} {tmp}/copy && diff -r --no-dereference {tmp}/copy {m}",
    "rsync -a {m}/ {tmp}/rsync/",
    "tar -cf {tmp}/backup.tar -C {m} .",
    "find {m} -type f -exec cat {{}} + > /dev/null",
]


@pytest.mark.parametrize("walker", WALKERS)
def test_walkers_over_the_whole_mount_never_block_on_events(emu, m, tmp_path, walker):
    """events is reached by name only: listings never show it, so no walker opens it, even while
    a reader blocks on it (holding a FUSE thread)."""
    assert "events" not in os.listdir(m.path) and "events.json" not in os.listdir(m.path)
    assert os.stat(m / "events").st_size == 0  # yet it is there by name
    r = Reader(m / "events")
    try:
        baseline_taken(emu)
        start = time.monotonic()
        out = run(walker.format(m=m.path, tmp=tmp_path), timeout=30)
        took = time.monotonic() - start
        assert took < 5, f"{walker} took {took:.1f} s"
        assert out.returncode == 0, out.stderr[-2000:]
        assert r.proc.poll() is None  # the reader still waits
    finally:
        r.stop()


def test_ctrl_c_ends_a_blocked_read(emu, m):
    r = Reader(m / "events")
    try:
        baseline_taken(emu)
        time.sleep(0.5)
        assert r.proc.poll() is None
        t0 = time.time()
        # bash -c "cat ..." execs cat: the signal reaches the reader itself
        r.proc.send_signal(signal.SIGINT)
        r.proc.wait(3)
        assert time.time() - t0 < 1.5
    finally:
        r.stop()
    assert os.stat(m / "errors").st_size == 0 or "events" not in (m / "errors").read_text()


def test_unmount_and_sigterm_with_a_blocked_reader_exit_promptly(emu):
    emu.reset()
    mnt = Mount(emu, options=[f"events_interval={INTERVAL}"])
    r = Reader(mnt / "events")
    try:
        baseline_taken(emu)
        # unmount while a reader has it open: refused at once (busy), never a hang
        t0 = time.time()
        um = subprocess.run(["fusermount3", "-u", str(mnt.path)], capture_output=True, text=True, timeout=10)
        assert time.time() - t0 < 2
        if um.returncode != 0:
            assert "busy" in um.stderr.lower(), um.stderr
            assert r.proc.poll() is None and os.path.ismount(mnt.path)
            t0 = time.time()
            mnt.proc.send_signal(signal.SIGTERM)
            assert mnt.proc.wait(10) == 0, mnt.log()
            assert time.time() - t0 < 3
        else:  # a kernel that lets it go lazily: the daemon still ends
            assert mnt.proc.wait(10) == 0, mnt.log()
        r.proc.wait(5)  # the reader saw the end of the stream (or the connection go)
    finally:
        r.stop()
        mnt.unmount()


def test_blocked_readers_are_bounded_by_the_thread_pool(emu):
    """Each blocked read holds a FUSE thread: with -o max_threads=10, 8 readers block and the next
    ones get EAGAIN at once (with the readers of a job's wait), so the other files still answer."""
    emu.reset()
    mnt = Mount(emu, options=[f"events_interval={INTERVAL}", "max_threads=10"])
    readers = []
    try:
        readers = [Reader(mnt / "events") for _ in range(10)]
        time.sleep(2)
        refused = [r for r in readers if r.proc.poll() is not None]
        assert len(refused) == 2
        for r in refused:
            assert r.proc.returncode != 0 and b"Resource temporarily unavailable" in r.proc.stderr.read()
        t0 = time.time()
        assert run(f"cat {mnt.path}/workspace.json", timeout=10).returncode == 0
        assert time.time() - t0 < 2
    finally:
        for r in readers:
            r.stop()
        assert mnt.unmount() == 0, mnt.log()
