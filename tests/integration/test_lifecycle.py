"""The daemon's life over a real mount: SIGTERM under load ends within seconds with status 0 and
no client stuck in D state; a crash leaves an aborted connection (ENOTCONN), never hung clients,
and no core file; a mount left dead by kill -9 is replaced by the next mount on that directory;
blocked `wait` readers never starve the in-memory files; secrets never go on the command line;
plain http to a remote host is warned about."""
import errno
import os
import pathlib
import resource
import signal
import subprocess
import tempfile
import time

import pytest

from conftest import WORKSPACE, Emulator, Mount, airbytefs_binary, run


@pytest.fixture(scope="module")
def lemu():
    emu = Emulator("--connections", "12", "--job-duration", "60")
    yield emu
    emu.stop()


def conn_ids(emu):
    return sorted(emu.connections())


def proc_state(pid):
    try:
        text = pathlib.Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2]


def session_pids(sids):
    """Every process whose session id is one of sids (the load's shells and their cats)."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = pathlib.Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) in sids:
            pids.append(int(entry))
    return pids


def describe(pid):
    def read(name):
        try:
            return pathlib.Path(f"/proc/{pid}/{name}").read_text().replace("\0", " ").strip()
        except OSError:
            return "?"
    return f"{read('cmdline')} in {read('wchan')}: {read('stack')}"


class Load:
    """16 shell loops reading settings files and state.json (an API call at every open, slowed by the
    emulator's latency so that FUSE's worker threads are busy and reads queue up in the kernel with
    their pages locked), and 4 writing (every commit queues invalidations of files being read)."""

    def __init__(self, mount, cids):
        m = mount.path
        self.procs = []
        for i in range(16):
            c = cids[i % 4]
            d = m / "connections" / c
            script = (f"while [ -d {d} ]; do cat {d}/prefix {d}/name {m}/settings/{c}.json {d}/streams; "
                      f"cat {d}/state.json {d}/catalog.json; done >/dev/null 2>&1")
            self.procs.append(subprocess.Popen(["sh", "-c", script], start_new_session=True))
        for c in cids[:4]:
            d = m / "connections" / c
            script = (f"i=0; while [ -d {d} ]; do i=$((i+1)); echo \"pre_$i\" > {d}/prefix; "
                      f"echo > {m}/.refresh; done >/dev/null 2>&1")
            self.procs.append(subprocess.Popen(["sh", "-c", script], start_new_session=True))

    def stuck(self):
        """The loops end once the mount is gone (or answers ENOTCONN): the processes of those that
        have not ended 5 s later, with where they sleep in the kernel."""
        deadline = time.time() + 5
        for p in self.procs:
            try:
                p.wait(max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                pass
        sids = {p.pid for p in self.procs if p.poll() is None}
        return [(pid, proc_state(pid), describe(pid)) for pid in session_pids(sids)]

    def stop(self):
        for p in self.procs:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for p in self.procs:
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                pass


def mount_answers(path):
    """The mount point after the daemon is gone: unmounted, or ENOTCONN; never a hang."""
    r = subprocess.run(["ls", str(path / "connections")], capture_output=True, text=True, timeout=5)
    return r.returncode != 0 and ("not connected" in r.stderr or "No such file" in r.stderr)


def lazy_unmount(path):
    subprocess.run(["umount", "-l", str(path)], capture_output=True)


@pytest.mark.parametrize("round_", range(5))
def test_sigterm_under_load_exits_promptly_with_status_0(lemu, round_):
    lemu.reset()
    m = Mount(lemu)
    lemu.admin("POST", "/_emulator/config", {"latency_ms": 200})
    load = Load(m, conn_ids(lemu))
    try:
        time.sleep(2)
        t0 = time.time()
        m.proc.send_signal(signal.SIGTERM)
        try:
            status = m.proc.wait(10)
        except subprocess.TimeoutExpired:
            status = "hung"
        elapsed = time.time() - t0
        print(f"round {round_}: exit {status} after {elapsed:.2f} s")
        stuck = load.stuck()
        assert status == 0 and elapsed < 5, (status, elapsed, m.log())
        assert stuck == [], f"clients left hanging: {stuck}"
        assert mount_answers(m.path)
    finally:
        load.stop()
        if m.proc.poll() is None:
            m.proc.kill()
            m.proc.wait(5)
        lazy_unmount(m.path)
        m.unmount()


@pytest.mark.parametrize("sig", [signal.SIGSEGV, signal.SIGABRT])
def test_crash_under_load_aborts_the_connection_and_dumps_no_core(lemu, sig):
    lemu.reset()
    # Core dumps allowed (RLIMIT_CORE): the kernel dumps a dumpable process and says so in the wait
    # status. The daemon's memory holds the credentials, so it must not be dumpable.
    m = Mount(lemu, preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY,) * 2))
    lemu.admin("POST", "/_emulator/config", {"latency_ms": 200})
    load = Load(m, conn_ids(lemu))
    try:
        time.sleep(2)
        m.proc.send_signal(sig)
        _, wait_status = os.waitpid(m.proc.pid, 0)
        m.proc.returncode = -sig
        if os.WCOREDUMP(wait_status):
            cwd_core = pathlib.Path("/core")  # fuse_daemonize() chdir()s to / even with -f
            if cwd_core.exists() and time.time() - cwd_core.stat().st_mtime < 60:
                cwd_core.unlink()
        # Killed by the signal; under AddressSanitizer, which catches SIGSEGV, exit status 1.
        assert ((os.WIFSIGNALED(wait_status) and os.WTERMSIG(wait_status) == sig) or
                (os.WIFEXITED(wait_status) and os.WEXITSTATUS(wait_status) != 0))
        assert not os.WCOREDUMP(wait_status), "the daemon dumped core"
        t0 = time.time()
        with pytest.raises(OSError) as exc:
            os.listdir(m / "connections")  # a request (a stat may be answered from the kernel's cache)
        assert exc.value.errno == errno.ENOTCONN and time.time() - t0 < 2
        stuck = load.stuck()
        assert stuck == [], f"clients left hanging: {stuck}"
    finally:
        load.stop()
        lazy_unmount(m.path)
        m.unmount()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_clean_signal_exits_0(lemu, sig):
    lemu.reset()
    m = Mount(lemu)
    assert (m / "connections").is_dir()
    m.proc.send_signal(sig)
    assert m.proc.wait(10) == 0, m.log()
    assert not os.path.ismount(m.path)
    m.unmount()


def test_mount_over_a_dead_mount_replaces_it(lemu):
    lemu.reset()
    m = Mount(lemu)
    cid = conn_ids(lemu)[0]
    name = (m / "connections" / cid / "name").read_text()
    m.proc.kill()
    m.proc.wait(5)
    with pytest.raises(OSError) as exc:
        os.listdir(m / "connections")
    assert exc.value.errno == errno.ENOTCONN
    try:
        m2 = Mount(lemu, path=m.path)
    except RuntimeError:
        lazy_unmount(m.path)
        raise
    try:
        assert (m2 / "connections" / cid / "name").read_text() == name
        assert "dead airbytefs mount" in m2.log()
    finally:
        assert m2.unmount() == 0, m2.log()
    m.stderr.close()


def test_directory_open_at_sigterm_exits_0(lemu):
    """SIGTERM while a process keeps a directory open: its RELEASEDIR never comes, and libfuse
    keeps the directory handle (under valgrind, tests/valgrind.supp names that leak: the CTest
    integration.valgrind runs this test so that the suppression stays exact). LeakSanitizer cannot
    match a stack without symbols as exactly, so an ASan daemon runs this one case without it."""
    lemu.reset()
    m = Mount(lemu, env={"ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "") + ":detect_leaks=0"})
    fd = os.open(m / "connections", os.O_RDONLY | os.O_DIRECTORY)
    try:
        assert os.listdir(m / "connections")
        m.proc.send_signal(signal.SIGTERM)
        assert m.proc.wait(60) == 0, m.log()
    finally:
        os.close(fd)
        m.unmount()


def conn_named(emu, name):
    return next(c for c in emu.connections().values() if c["name"] == name)["connectionId"]


@pytest.mark.parametrize("max_threads", [None, 10])
def test_blocked_waiters_never_starve_in_memory_files(lemu, max_threads):
    """N+2 readers of a running job's `wait` (N = libfuse 3.14's default pool of 10, or an explicit
    -o max_threads=10): `errors` and a connection's `name` still answer at once; with the small pool
    the readers past the bound get EAGAIN at once instead of a thread."""
    lemu.reset()
    m = Mount(lemu, options=[f"max_threads={max_threads}"] if max_threads else [])
    readers = []
    try:
        cid = conn_named(lemu, "Faker Demo")
        d = m / "connections" / cid
        assert run(f"echo sync > {d}/run").returncode == 0
        job = os.readlink(d / "jobs" / "latest")
        readers = [subprocess.Popen(["cat", str(d / "jobs" / job / "wait")], stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True) for _ in range(12)]
        time.sleep(1.5)
        t0 = time.time()
        os.stat(m / "errors")
        assert run(f"cat {m.path}/connections/{conn_ids(lemu)[1]}/name", timeout=10).returncode == 0
        assert run(f"cat {m.path}/errors", timeout=10).returncode == 0
        assert time.time() - t0 < 2
        refused = [r for r in readers if r.poll() is not None]
        if max_threads:
            assert len(refused) == 12 - 8  # 10 threads, a quarter (2) kept free
            for r in refused:
                assert r.returncode != 0 and "Resource temporarily unavailable" in r.stderr.read()
            assert "EAGAIN" in (m / "errors").read_text()
        else:
            assert refused == []
        assert run(f"echo > {d}/jobs/{job}/cancel").returncode == 0
        for r in readers:
            r.wait(10)
        assert {r.stdout.read() for r in readers if r not in refused} == {"cancelled\n"}
    finally:
        for r in readers:
            if r.poll() is None:
                r.kill()
            r.wait(10)
        assert m.unmount() == 0, m.log()


def test_mknod_of_special_files_is_enosys():
    """A FIFO or a device node has no place in the tree: ENOSYS (docs/errors.md); a regular file
    made with mknod is a create (a scratch file where those may be made, EACCES elsewhere)."""
    emu = Emulator("--connections", "2")
    m = Mount(emu)
    try:
        c = conn_ids(emu)[0]
        for where in (m.path / "fifo", m / "connections" / c / "fifo"):
            with pytest.raises(OSError) as exc:
                os.mkfifo(where)
            assert exc.value.errno == errno.ENOSYS
        with pytest.raises(OSError) as exc:
            os.mknod(m.path / "plain", 0o644 | 0o100000)
        assert exc.value.errno == errno.EACCES
    finally:
        assert m.unmount() == 0, m.log()
        emu.stop()


@pytest.mark.parametrize("option", ["client_secret=hunter2-secret-value", "bearer_token=hunter2-secret-value"])
def test_secret_on_the_command_line_is_refused_without_echoing_it(lemu, option):
    mnt = tempfile.mkdtemp(prefix="abfs-mnt-")
    try:
        r = subprocess.run([airbytefs_binary(), "-f", "-o", f"api_url={lemu.api_url},workspace={WORKSPACE},{option}",
                            mnt], capture_output=True, text=True, timeout=20,
                           env={**os.environ, "AIRBYTE_CLOUD_BEARER_TOKEN": "demo-bearer-token"})
        assert r.returncode != 0
        assert "hunter2" not in r.stderr + r.stdout
        assert option.split("=")[0] in r.stderr and "command line" in r.stderr
        assert not os.path.ismount(mnt)
    finally:
        if os.path.ismount(mnt):
            subprocess.run(["fusermount3", "-u", mnt])
        os.rmdir(mnt)


def local_address():
    out = subprocess.run(["ip", "-4", "-o", "addr"], capture_output=True, text=True).stdout
    for line in out.splitlines():
        addr = line.split()[3].split("/")[0]
        if not addr.startswith("127."):
            return addr
    pytest.skip("no non-loopback IPv4 address")


def test_plain_http_to_a_remote_host_is_warned_about():
    emu = Emulator("--host", "0.0.0.0")
    try:
        remote = f"http://{local_address()}:{emu.port}/api/public/v1"
        m = Mount(emu, options=[f"api_url={remote}"])
        assert (m / "connections").is_dir()
        assert m.unmount() == 0, m.log()
        assert "warning" in m.log() and "plain http" in m.log() and local_address() in m.log()
        for loopback in (emu.api_url, f"http://localhost:{emu.port}/api/public/v1"):
            m = Mount(emu, options=[f"api_url={loopback}"])
            assert m.unmount() == 0, m.log()
            assert "plain http" not in m.log()
    finally:
        emu.stop()


