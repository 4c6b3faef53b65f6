"""Setting files read through the kernel's page cache (fs/pagecache.h), over a real mount: `cat` of
one is OPEN, READ, RELEASE (the kernel answers the end of the file); whatever the size the kernel
holds (attributes trusted 60 s here), a reader gets the whole new value after a change made
elsewhere, longer, shorter or of the same length; an open kept across a change reads its own
version to its end while a new reader gets the new one; and every other file the API backs
(health here) stays direct_io."""
import os
import re
import subprocess

import pytest

from conftest import Mount, run


def opcodes(log):
    return re.findall(r"opcode: ([A-Z_]+)", log)


def rename_remotely(emulator, cid, name):
    emulator.admin("PATCH", f"/_emulator/connections/{cid}", {"name": name})


def refresh(m):
    assert run(f"echo > {m.path}/.refresh").returncode == 0


@pytest.fixture
def long_attrs(emulator):
    """A mount whose kernel trusts names and attributes for 60 s: a stale size stays in the kernel
    for the whole test unless airbytefs invalidates it."""
    emulator.reset()
    m = Mount(emulator, options=("attr_timeout=60", "entry_timeout=60"))
    cid = next(c for c, v in emulator.connections().items() if v["name"] == "Faker Demo")
    yield m, cid
    assert m.unmount() == 0, m.log()
    emulator.reset()


def test_cat_of_a_setting_file_is_one_read(emulator):
    emulator.reset()
    m = Mount(emulator, options=("debug",))
    try:
        cid = sorted(os.listdir(m / "connections"))[0]
        d = m / "connections" / cid
        for f in ("name", "schedule", "connection.json"):
            os.stat(d / f)  # the kernel holds its attributes, as after a listing or a glob
        start = len(m.log())
        for f in ("name", "schedule", "connection.json"):
            r = run(f"cat {d}/{f}")
            assert r.returncode == 0 and r.stdout, r
        ops = opcodes(m.log()[start:])
        assert ops.count("OPEN") == 3, ops
        assert ops.count("READ") == 3, ops  # the end of each file is the kernel's answer
        assert "GETATTR" not in ops and "FLUSH" not in ops, ops
        # health (computed, not a setting) stays direct_io: its end is asked for
        start = len(m.log())
        r = run(f"cat {d}/health")
        assert r.returncode == 0 and r.stdout, r
        ops = opcodes(m.log()[start:])
        assert ops.count("OPEN") == 1 and ops.count("READ") == 2, ops
    finally:
        assert m.unmount() == 0, m.log()


@pytest.mark.parametrize("new", ["Faker Demo, renamed in the web UI to something much longer",
                                 "F", "Fakir Dama"])
def test_new_value_of_any_length_is_read_whole(long_attrs, emulator, new):
    m, cid = long_attrs
    f = m / "connections" / cid / "name"
    s = m / "settings" / f"{cid}.json"
    assert run(f"cat {f}").stdout == "Faker Demo\n"  # the old value's page
    before = run(f"cat {s}").stdout
    # after a read the kernel asks again at the next stat (atime): now it holds 11 for 60 s
    assert os.stat(f).st_size == len("Faker Demo\n")
    rename_remotely(emulator, cid, new)
    refresh(m)
    assert run(f"cat {f}").stdout == new + "\n"  # bash's cat: whole, not cut at 11 bytes
    assert run(f"head -c 1000 {f}").stdout == new + "\n"
    with open(f) as fh:
        assert fh.read() == new + "\n"
    assert os.stat(f).st_size == len(new) + 1
    after = run(f"cat {s}").stdout
    assert '"name": "%s"' % new in after and after != before
    assert run(f"grep -c . {f}").stdout == "1\n"


def test_sizes_held_by_the_kernel_never_cut_a_read(long_attrs, emulator):
    # Over and over: the kernel holds the size it was last told (valid for 60 s), the value
    # changes elsewhere to a longer or shorter one, and `cat` must print it whole.
    m, cid = long_attrs
    f = m / "connections" / cid / "name"
    for i in range(12):
        name = "n%d" % i + "x" * (40 * (i % 2))
        os.stat(f)
        rename_remotely(emulator, cid, name)
        refresh(m)
        assert run(f"cat {f}").stdout == name + "\n", i
        assert os.stat(f).st_size == len(name) + 1


def test_an_open_kept_across_a_change_reads_its_own_version(long_attrs, emulator):
    m, cid = long_attrs
    f = m / "connections" / cid / "name"
    assert run(f"cat {f}").stdout == "Faker Demo\n"
    fd = os.open(f, os.O_RDONLY)
    try:
        assert os.read(fd, 3) == b"Fak"  # its page is in the kernel now
        longer = "Faker Demo, renamed while a reader had it open"
        rename_remotely(emulator, cid, longer)
        refresh(m)
        # a new reader gets the new value whole (not the old page, not cut at the old size)
        assert run(f"cat {f}").stdout == longer + "\n"
        with open(f) as other:
            assert other.read() == longer + "\n"
        # the open one reads its own version to its end
        assert os.read(fd, 100) == b"er Demo\n"
        assert os.read(fd, 100) == b""
        assert os.pread(fd, 100, 0) == b"Faker Demo\n"
    finally:
        os.close(fd)
    # once it is closed, the new value is what the next reader gets, through pages again
    assert run(f"cat {f}").stdout == longer + "\n"
    assert os.stat(f).st_size == len(longer) + 1


def test_own_write_then_read_back(long_attrs, emulator):
    m, cid = long_attrs
    d = m / "connections" / cid
    assert run(f"cat {d}/name {d}/schedule").returncode == 0
    r = run(f"bash -c 'echo \"a name written here, longer than before\" > {d}/name'")
    assert r.returncode == 0, r.stderr
    assert run(f"cat {d}/name").stdout == "a name written here, longer than before\n"
    assert emulator.connections()[cid]["name"] == "a name written here, longer than before"
    r = run(f"sed -i 's/.*/N/' {d}/name")
    assert r.returncode == 0, r.stderr
    assert run(f"cat {d}/name").stdout == "N\n"
    assert emulator.connections()[cid]["name"] == "N"
    r = run(f"bash -c 'echo \"0 0 4 * * ?\" > {d}/schedule'")
    assert r.returncode == 0, r.stderr
    assert run(f"cat {d}/schedule").stdout == "0 0 4 * * ?\n"


def test_mmap_and_parallel_readers_see_one_value(long_attrs, emulator):
    import mmap
    m, cid = long_attrs
    f = m / "connections" / cid / "connection.json"
    text = f.read_bytes()
    with open(f, "rb") as fh:
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            assert mm[:] == text
    procs = [subprocess.Popen(["cat", str(f)], stdout=subprocess.PIPE) for _ in range(16)]
    outs = [p.communicate(timeout=30)[0] for p in procs]
    assert all(o == text for o in outs)
