"""Stress without faults: 32 writer threads, each owning one connection, write its `name` and
`prefix` through the mount (open/write/close, as `echo > file` does) while refresher threads drop
every cache (`echo > .refresh`) and list `connections/` again and again, with cache_ttl=1 so the
listing is walked anew every second. Writes whose answers arrive while a listing refresh runs are
what once freed an id still in use (issue 10: the release build segfaulted within ~2 s); under the
ASan build (scripts/test.sh runs this suite with AIRBYTEFS_BIN pointing at it) such a bug aborts
the daemon with a report, which this test shows.

Asserts: the daemon stays alive and mounted, no operation takes longer than its bound, every write
is acknowledged (there are no faults), the server holds each connection's last acknowledged
values, and the daemon exits 0 at unmount.

STRESS_SECONDS sets the length (default 10)."""
import os
import threading
import time

from conftest import Emulator, Mount

SECONDS = float(os.environ.get("STRESS_SECONDS", "10"))
WRITERS = 32
REFRESHERS = 4
TIMEOUT = 10
SLOW = TIMEOUT + 5  # no single operation may take longer than this


def sanitizer_report(log):
    for marker in ("ERROR: AddressSanitizer", "runtime error:", "ERROR: LeakSanitizer", "Segmentation fault"):
        i = log.find(marker)
        if i >= 0:
            return log[max(0, i - 200):i + 3000]
    return log[-3000:]


def test_writers_and_refreshes():
    emu = Emulator("--connections", str(WRITERS + 16), "--job-duration", "0.5")
    m = Mount(emu, options=["cache_ttl=1", f"timeout={TIMEOUT}"])
    try:
        conns = sorted(c for c, v in emu.connections().items() if v["status"] == "active" and
                       not v["name"].startswith("Sandbox"))[:WRITERS]
        assert len(conns) == WRITERS
        stop = threading.Event()
        lock = threading.Lock()
        acked = {}        # (cid, file) -> last acknowledged value
        failures = []     # (cid, file, value, error)
        slow = []         # (what, seconds)
        counts = {"writes": 0, "refreshes": 0, "listings": 0}

        def timed(what, fn):
            t0 = time.monotonic()
            try:
                return fn()
            finally:
                dt = time.monotonic() - t0
                if dt > SLOW:
                    with lock:
                        slow.append((what, dt))

        def writer(n, cid):
            d = m / "connections" / cid
            i = 0
            while not stop.is_set():
                field = ("name", "prefix")[i % 2]
                value = f"w{n}-{i}" if field == "prefix" else f"stress {n} #{i}"
                i += 1

                def write():
                    with open(d / field, "w") as f:
                        f.write(value + "\n")
                try:
                    timed(f"write {cid}/{field}", write)
                    with lock:
                        acked[(cid, field)] = value
                        counts["writes"] += 1
                except OSError as e:
                    with lock:
                        failures.append((cid, field, value, f"{e.strerror}"))
                    if not os.path.ismount(m.path):
                        return

        def refresher(n):
            while not stop.is_set():
                try:
                    if n % 2 == 0:
                        def refresh():
                            with open(m / ".refresh", "w") as f:
                                f.write("\n")
                        timed(".refresh", refresh)
                        with lock:
                            counts["refreshes"] += 1
                    names = timed("ls connections", lambda: os.listdir(m / "connections"))
                    with lock:
                        counts["listings"] += 1
                    for cid in names[n::REFRESHERS][:4]:
                        try:
                            (m / "connections" / cid / "name").read_text()
                        except OSError:
                            pass
                except OSError:
                    if not os.path.ismount(m.path):
                        return
                    time.sleep(0.05)

        threads = [threading.Thread(target=writer, args=(n, cid), daemon=True) for n, cid in enumerate(conns)]
        threads += [threading.Thread(target=refresher, args=(n,), daemon=True) for n in range(REFRESHERS)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + SECONDS
        died = None
        while time.monotonic() < deadline:
            if m.proc.poll() is not None:
                died = m.proc.returncode
                break
            time.sleep(0.1)
        stop.set()
        for t in threads:
            t.join(SLOW + 5)
        hung = [t.name for t in threads if t.is_alive()]
        if died is None and m.proc.poll() is not None:
            died = m.proc.returncode
        assert died is None, "the daemon died (status %r) after %d writes:\n%s" % (
            died, counts["writes"], sanitizer_report(m.log()))
        assert not hung, f"{len(hung)} threads still blocked in the mount after the run"
        assert os.path.ismount(m.path)
        assert not slow, f"operations slower than {SLOW} s: {slow[:5]}"
        assert not failures, f"{len(failures)} writes failed without any fault, e.g. {failures[:5]}; errors:\n" + \
            "\n".join((m / "errors").read_text().splitlines()[-5:])
        assert counts["writes"] >= WRITERS, counts
        state = emu.state()["connections"]
        wrong = [(cid, field, value, state[cid][field]) for (cid, field), value in acked.items()
                 if state[cid][field] != value]
        assert not wrong, f"acknowledged writes not on the server: {wrong[:5]}"
        print(f"stress: {SECONDS:.0f} s, {counts['writes']} writes acknowledged and on the server, "
              f"{counts['refreshes']} refreshes, {counts['listings']} listings")
    finally:
        status = m.unmount()
        emu.stop()
    assert status == 0, "daemon exit status %r:\n%s" % (status, sanitizer_report(m.log()))
