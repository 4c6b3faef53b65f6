"""The names and attributes of a connection's files kept by the kernel for -o file_timeout seconds
(fs/pagecache.h), over a real mount: a second pass of stat over them past entry_timeout and
attr_timeout (1 s) asks the daemon nothing, while a change stays visible where it should be: after
.refresh, after a listing that sees a change made elsewhere, after the user's own sed -i and a rewrite of settings/<id>.json, and a
connection deleted elsewhere is gone once its directory's entry expires."""
import errno
import os
import re
import tempfile
import time

import pytest

from conftest import Mount, run


def lookups_and_getattrs(log):
    """The paths of the LOOKUP and GETATTR requests in a -o debug log."""
    return re.findall(r"^(?:LOOKUP|GETATTR) (/\S+)", log, re.M)


def stat_all(paths):
    for p in paths:
        os.stat(p)


def eventually(check, seconds=3.0):
    """check() true within seconds (the invalidation thread runs after the request that queued it)."""
    end = time.monotonic() + seconds
    while not check():
        if time.monotonic() > end:
            return False
        time.sleep(0.05)
    return True


@pytest.mark.parametrize("file_timeout", [None, "0"])
def test_second_pass_asks_nothing(emulator, file_timeout):
    emulator.reset()
    options = ("debug",) + (("file_timeout=" + file_timeout,) if file_timeout else ())
    m = Mount(emulator, options=options)
    try:
        ids = sorted(os.listdir(m / "connections"))[:8]
        files = [m / "connections" / cid / f for cid in ids for f in ("name", "schedule", "connection.json")]
        stat_all(files)
        time.sleep(1.3)  # past entry_timeout and attr_timeout (1 s)
        start = len(m.log())
        stat_all(files)
        asked = [p for p in lookups_and_getattrs(m.log()[start:]) if p.count("/") == 3]
        if file_timeout == "0":  # the control: every file is asked again
            assert len(asked) >= len(files), asked
        else:
            assert asked == [], asked
    finally:
        assert m.unmount() == 0, m.log()


def kept_mount(emulator, *options):
    emulator.reset()
    m = Mount(emulator, options=("file_timeout=60",) + options)
    cid = next(c for c, v in emulator.connections().items() if v["name"] == "Faker Demo")
    return m, cid


@pytest.fixture
def kept(emulator):
    """A mount that keeps connection files' attributes 60 s and trusts a listing 1 s."""
    m, cid = kept_mount(emulator, "cache_ttl=1")
    yield m, cid
    assert m.unmount() == 0, m.log()
    emulator.reset()


@pytest.fixture
def kept_long(emulator):
    """The same with the listing trusted 30 s (the default): only .refresh makes it ask again."""
    m, cid = kept_mount(emulator)
    yield m, cid
    assert m.unmount() == 0, m.log()
    emulator.reset()


def test_refresh_shows_a_change_made_elsewhere(kept_long, emulator):
    m, cid = kept_long
    f = m / "connections" / cid / "name"
    assert os.stat(f).st_size == len("Faker Demo\n")
    emulator.admin("PATCH", f"/_emulator/connections/{cid}", {"name": "Renamed elsewhere, longer"})
    time.sleep(1.2)  # past the directory's entry_timeout: its lookup asks the daemon
    assert os.stat(f).st_size == len("Faker Demo\n")  # the listing is trusted, the size kept
    assert run(f"echo > {m.path}/.refresh").returncode == 0
    assert eventually(lambda: os.stat(f).st_size == len("Renamed elsewhere, longer\n")), os.stat(f)
    assert run(f"cat {f}").stdout == "Renamed elsewhere, longer\n"


def test_a_listing_that_sees_a_change_invalidates_the_file(kept, emulator):
    m, cid = kept
    f = m / "connections" / cid / "name"
    assert os.stat(f).st_size == len("Faker Demo\n")
    emulator.admin("PATCH", f"/_emulator/connections/{cid}", {"name": "Renamed in the web UI"})
    time.sleep(1.2)  # past cache_ttl: the next listing asks the API
    os.listdir(m / "connections")
    assert eventually(lambda: os.stat(f).st_size == len("Renamed in the web UI\n")), (os.stat(f), m.log())
    assert run(f"cat {f}").stdout == "Renamed in the web UI\n"


def test_own_edits_show_their_size(kept):
    m, cid = kept
    f = m / "connections" / cid / "name"
    os.stat(f)
    r = run(f"sed -i 's/Faker Demo/Faker Demo edited with sed/' {f}")
    assert r.returncode == 0, r
    assert os.stat(f).st_size == len("Faker Demo edited with sed\n")
    r = run(f"bash -c 'echo Short > {f}'")
    assert r.returncode == 0, r
    assert os.stat(f).st_size == len("Short\n")
    assert run(f"cat {f}").stdout == "Short\n"


def test_a_connection_deleted_elsewhere_is_gone(kept, emulator):
    m, cid = kept
    f = m / "connections" / cid / "name"
    os.stat(f)
    emulator.admin("PATCH", f"/_emulator/connections/{cid}", {"status": "deprecated"})
    time.sleep(1.2)  # past cache_ttl and the directory's entry_timeout
    with pytest.raises(OSError) as exc:
        os.stat(f)
    assert exc.value.errno == errno.ENOENT
    assert cid not in os.listdir(m / "connections")


def test_a_change_through_settings_shows_in_the_connections_files(kept_long):
    """settings/<id>.json rewritten (as rsync or an editor applies it): the name file of the same
    connection, whose size the kernel keeps 60 s here, shows the new size and value at once."""
    m, cid = kept_long
    f = m / "connections" / cid / "name"
    s = m / "settings" / f"{cid}.json"
    assert os.stat(f).st_size == len("Faker Demo\n")
    text = run(f"cat {s}").stdout
    assert '"name": "Faker Demo"' in text, text
    new = text.replace('"name": "Faker Demo"', '"name": "Faker Demo, applied from git"')
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        fh.write(new)
    r = run(f"cp {fh.name} {s}")
    os.unlink(fh.name)
    assert r.returncode == 0, r
    assert eventually(lambda: os.stat(f).st_size == len("Faker Demo, applied from git\n")), os.stat(f)
    assert run(f"cat {f}").stdout == "Faker Demo, applied from git\n"
