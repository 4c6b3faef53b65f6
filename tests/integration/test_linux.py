"""The whole workspace and Linux conventions through a real mount: workspace.json and url,
sources/ and destinations/ (masked secrets, rename, links to connections), source/destination
links of a connection, by-name/ (unsafe names, collisions), rmdir with and without allow_delete,
mounting from an fstab line and with `mount -t fuse.airbytefs`, gio, extended attributes, -d
request lines, --help, --version and the man page."""
import errno
import json
import os
import subprocess
import time

import pytest

from conftest import REPO, WORKSPACE, Emulator, Mount, airbytefs_binary, run

MASK = "**********"


def test_workspace_files(mount, emulator):
    ws = json.loads((mount / "workspace.json").read_text())
    assert ws["workspaceId"] == WORKSPACE and ws["name"] == "Demo Workspace"
    assert (mount / "url").read_text() == f"{emulator.base}/workspaces/{WORKSPACE}\n"
    assert os.stat(mount / "url").st_size == len((mount / "url").read_bytes())


@pytest.mark.parametrize("kind,key,type_key", [("sources", "sourceId", "sourceType"),
                                               ("destinations", "destinationId", "destinationType")])
def test_actors(mount, emulator, kind, key, type_key):
    truth = {a[key]: a for a in emulator.state()[kind].values() if a["workspaceId"] == WORKSPACE}
    assert sorted(os.listdir(mount / kind)) == sorted(truth)
    conns = emulator.connections()
    singular = kind[:-1]
    for aid, actor in truth.items():
        d = mount / kind / aid
        assert (d / "name").read_text() == actor["name"] + "\n"
        assert (d / "type").read_text() == actor[type_key] + "\n"
        assert (d / "definition_id").read_text() == actor["definitionId"] + "\n"
        assert (d / "url").read_text() == f"{emulator.base}/workspaces/{WORKSPACE}/{singular}/{aid}\n"
        assert json.loads((d / "configuration.json").read_text()) == actor["configuration"]
        users = sorted(c for c, v in conns.items() if v[key] == aid)
        assert sorted(os.listdir(d / "connections")) == users
        for c in users:
            assert os.path.realpath(d / "connections" / c) == str(mount / "connections" / c)
        with pytest.raises(PermissionError):
            open(d / "configuration.json", "w")
    masked = [a for a in truth.values() if MASK in json.dumps(a["configuration"])]
    assert masked, "the seed has masked secrets"
    assert MASK in (mount / kind / masked[0][key] / "configuration.json").read_text()


def test_rename_source(mount, emulator):
    sid = next(iter(s for s, v in emulator.state()["sources"].items() if v["workspaceId"] == WORKSPACE))
    emulator.reset_requests()
    assert run(f"echo 'Renamed Source' > {mount.path}/sources/{sid}/name").returncode == 0
    assert emulator.state()["sources"][sid]["name"] == "Renamed Source"
    assert (mount / "sources" / sid / "name").read_text() == "Renamed Source\n"
    patches = [r for r in emulator.requests()["log"] if r["method"] == "PATCH"]
    assert len(patches) == 1 and json.loads(patches[0]["body"]) == {"name": "Renamed Source"}
    emulator.reset_requests()
    run(f"echo 'Renamed Source' > {mount.path}/sources/{sid}/name")
    assert not [r for r in emulator.requests()["log"] if r["method"] == "PATCH"]


def test_connection_links(mount, emulator):
    for cid, c in emulator.connections().items():
        d = mount / "connections" / cid
        assert os.readlink(d / "source") == f"../../sources/{c['sourceId']}"
        assert os.path.realpath(d / "destination") == str(mount / "destinations" / c["destinationId"])
        assert (d / "source" / "name").read_text() == emulator.state()["sources"][c["sourceId"]]["name"] + "\n"


def test_by_name(mount, emulator):
    conns = emulator.connections()
    names = os.listdir(mount / "by-name")
    assert len(names) == len(conns)
    # "/" is shown as U+2215; a shared name gets the connection id appended, for every holder.
    stripe = next(c for c, v in conns.items() if v["name"] == "Stripe / Billing → BigQuery")
    assert os.readlink(mount / "by-name" / "Stripe ∕ Billing → BigQuery") == f"../connections/{stripe}"
    dups = sorted(c for c, v in conns.items() if v["name"] == "Nightly Export")
    assert len(dups) == 2
    for c in dups:
        assert os.readlink(mount / "by-name" / f"Nightly Export [{c}]") == f"../connections/{c}"
    assert "Nightly Export" not in names
    assert (mount / "by-name" / "Faker Demo" / "name").read_text() == "Faker Demo\n"


def users_of(emulator, cid):
    conns = emulator.connections()
    c = conns[cid]
    return ([x for x, v in conns.items() if v["sourceId"] == c["sourceId"] and x != cid],
            [x for x, v in conns.items() if v["destinationId"] == c["destinationId"] and x != cid])


def test_rmdir_needs_allow_delete(mount, emulator):
    cid = next(c for c, v in emulator.connections().items() if v["name"] == "Faker Demo")
    emulator.reset_requests()
    r = run(f"rmdir {mount.path}/connections/{cid}")
    assert r.returncode != 0 and "Operation not permitted" in r.stderr
    assert not [x for x in emulator.requests()["log"] if x["method"] == "DELETE"]
    assert "allow_delete" in (mount / "errors").read_text().splitlines()[-1]
    assert cid in emulator.connections()


def test_rmdir_deletes_with_cascade(emulator):
    emulator.reset()
    conns = emulator.connections()
    faker = next(c for c, v in conns.items() if v["name"] == "Faker Demo")
    sid = conns[faker]["sourceId"]
    users = sorted(c for c, v in conns.items() if v["sourceId"] == sid)
    assert len(users) >= 2, "the seed shares the Faker source"
    m = Mount(emulator, options=["allow_delete", "delete_source"])
    try:
        for i, cid in enumerate(users):
            assert run(f"rmdir {m.path}/connections/{cid}").returncode == 0, (m / "errors").read_text()
            assert emulator.state()["connections"][cid]["status"] == "deprecated"
            last = i == len(users) - 1
            # the source goes with the last connection that used it, not before
            assert (sid in emulator.state()["sources"]) == (not last)
            if not last:
                assert "source kept: another connection uses it" in (m / "errors").read_text().splitlines()[-1]
        time.sleep(1.1)  # the kernel's entry cache
        assert not set(users) & set(os.listdir(m / "connections"))
        assert not os.path.exists(m / "connections" / users[0] / "name")
    finally:
        assert m.unmount() == 0
        emulator.reset()


def test_xattrs(mount, emulator):
    cid = next(iter(emulator.connections()))
    d = mount / "connections" / cid
    assert set(os.listxattr(d)) == {"user.airbyte.id", "user.airbyte.url", "user.airbyte.health"}
    assert os.getxattr(d, "user.airbyte.id").decode() == cid
    assert os.getxattr(d, "user.airbyte.url").decode() == (d / "url").read_text().strip()
    sid = emulator.connections()[cid]["sourceId"]
    assert os.getxattr(mount / "sources" / sid, "user.airbyte.url").decode().endswith(f"/source/{sid}")
    with pytest.raises(OSError) as e:
        os.getxattr(d, "user.airbyte.nope")
    assert e.value.errno == errno.ENODATA
    for name in ("security.selinux", "system.posix_acl_access", "trusted.x"):
        with pytest.raises(OSError) as e:
            os.getxattr(d, name)
        assert e.value.errno == errno.EOPNOTSUPP, name


def test_ls_l_asks_foreign_xattrs_once(mount, emulator, tmp_path):
    # ls -l asks every entry for its SELinux label and POSIX ACLs, and stops asking a filesystem
    # that answers EOPNOTSUPP: a request or two per mount, not three per entry.
    n = len(os.listdir(mount / "connections"))
    assert n >= 5
    trace = tmp_path / "trace"
    r = run(f"strace -f -e trace=getxattr,lgetxattr -o {trace} ls -l {mount.path}/connections")
    assert r.returncode == 0, r.stderr
    assert len(r.stdout.splitlines()) == n + 1
    calls = [l for l in trace.read_text().splitlines() if "getxattr(" in l]
    assert 1 <= len(calls) <= 4, calls
    assert all("EOPNOTSUPP" in l for l in calls), calls


def test_reading_a_file_asks_no_flush(emulator, tmp_path):
    # A read-only open of a setting file is OPEN, READ, READ (the end: direct_io), RELEASE; its
    # flush does nothing, so the kernel is told not to send it (FOPEN_NOFLUSH). A written file
    # still gets its FLUSH: the commit, and a refusal, come back from close(2).
    emulator.reset()
    m = Mount(emulator, options=("debug",))
    try:
        cid = sorted(os.listdir(m / "connections"))[0]
        d = m / "connections" / cid
        start = len(m.log())
        for f in ("name", "schedule", "status", "connection.json"):
            assert run(f"cat {d}/{f}").returncode == 0
        read_log = m.log()[start:]
        assert read_log.count("opcode: OPEN") == 4, read_log[-3000:]
        assert "opcode: FLUSH" not in read_log
        start = len(m.log())
        assert run(f"echo 'renamed here' > {d}/name").returncode == 0
        assert "opcode: FLUSH" in m.log()[start:]
        assert emulator.connections()[cid]["name"] == "renamed here"
        before = emulator.connections()[cid]["schedule"]
        bad = run(f"bash -c \"echo 'every tuesday' > {d}/schedule\"")
        assert bad.returncode != 0 and "Invalid argument" in bad.stderr, bad
        assert emulator.connections()[cid]["schedule"] == before
    finally:
        assert m.unmount() == 0, m.log()


def write_config(tmp_path, emulator, mode=0o600):
    conf = tmp_path / "airbytefs.conf"
    conf.write_text(f"[airbytefs]\napi_url = {emulator.api_url}\nclient_id = demo-client-id\n"
                    "client_secret = demo-client-secret\n")
    conf.chmod(mode)
    return conf


def mount_from_fstab(tmp_path, line):
    fstab = tmp_path / "fstab"
    fstab.write_text(line + "\n")
    target = line.split()[1]
    r = subprocess.run(["mount", "-T", str(fstab), target], capture_output=True, text=True, timeout=30)
    return r


def test_fstab_line_mounts(emulator, tmp_path):
    conf = write_config(tmp_path, emulator)
    target = tmp_path / "mnt"
    target.mkdir()
    line = (f"{airbytefs_binary()}#airbyte:{WORKSPACE} {target} fuse "
            f"noauto,_netdev,nofail,x-systemd.automount,config={conf} 0 0")
    r = mount_from_fstab(tmp_path, line)
    try:
        assert r.returncode == 0, r.stderr
        entry = next(l.split() for l in open("/proc/mounts") if f" {target} " in l)
        assert entry[0] == f"airbyte:{WORKSPACE}" and entry[2] == "fuse.airbytefs"
        assert sorted(os.listdir(target / "connections")) == sorted(emulator.connections())
    finally:
        subprocess.run(["fusermount3", "-u", str(target)])


def test_mount_t_fuse_airbytefs(emulator, tmp_path):
    """`mount -t fuse.airbytefs` runs the installed binary (mount's PATH: /usr/bin, /bin, ...)."""
    installed = "/usr/bin/airbytefs"
    created = False
    if not os.path.exists(installed):
        if os.geteuid() != 0:
            pytest.fail("needs root or an installed /usr/bin/airbytefs")
        os.symlink(os.path.abspath(airbytefs_binary()), installed)
        created = True
    conf = write_config(tmp_path, emulator)
    target = tmp_path / "mnt"
    target.mkdir()
    try:
        r = subprocess.run(["mount", "-t", "fuse.airbytefs", "-o", f"_netdev,config={conf}",
                            f"airbyte:{WORKSPACE}", str(target)], capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, r.stderr
        assert (target / "workspace.json").exists()
        subprocess.run(["fusermount3", "-u", str(target)], check=True)
    finally:
        if created:
            os.unlink(installed)


def test_world_readable_secret_config_is_refused(emulator, tmp_path):
    conf = write_config(tmp_path, emulator, mode=0o644)
    target = tmp_path / "mnt"
    target.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRBYTE_")}
    r = subprocess.run([airbytefs_binary(), "-o", f"config={conf},workspace={WORKSPACE}", str(target)],
                       capture_output=True, text=True, env=env, timeout=30)
    assert r.returncode != 0 and "chmod 600" in r.stderr
    assert not os.path.ismount(target)


def test_gio(mount, emulator, tmp_path):
    cid = next(iter(emulator.connections()))
    os.listdir(mount / "connections")  # warm the listing
    emulator.reset_requests()
    r = run(f"gio list -l {mount.path}/connections/{cid}")
    assert r.returncode == 0 and "settings.json" in r.stdout
    # Showing a directory reads no file: no API request beyond what stat needs.
    assert not [x for x in emulator.requests()["log"] if x["path"].endswith("/jobs/get")]
    info = run(f"gio info {mount.path}/connections/{cid}/name")
    assert info.returncode == 0 and "standard::size: " in info.stdout
    assert run(f"gio copy {mount.path}/connections/{cid}/settings.json {tmp_path}/s.json").returncode == 0
    assert (tmp_path / "s.json").read_text() == (mount / "connections" / cid / "settings.json").read_text()


def test_debug_logs_each_request_and_totals(emulator):
    m = Mount(emulator, options=[], env=None)
    m.unmount()
    proc = subprocess.Popen([airbytefs_binary(), "-d", "-o", f"api_url={emulator.api_url},workspace={WORKSPACE}",
                             str(m.path)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**{k: v for k, v in os.environ.items() if not k.startswith("AIRBYTE_")},
                                 "AIRBYTE_CLOUD_CLIENT_ID": "demo-client-id",
                                 "AIRBYTE_CLOUD_CLIENT_SECRET": "demo-client-secret"})
    m.path.mkdir(exist_ok=True)
    deadline = time.time() + 20
    while not os.path.ismount(m.path) and time.time() < deadline:
        time.sleep(0.05)
    os.listdir(m.path / "connections")
    subprocess.run(["fusermount3", "-u", str(m.path)])
    out = proc.communicate(timeout=20)[0]
    assert proc.returncode == 0
    lines = [l for l in out.splitlines() if "api: GET /api/public/v1/connections" in l]
    assert lines and " ms" in lines[0] and "-> 200" in lines[0] and "bytes" in lines[0]
    assert "api totals:" in out
    assert "demo-client-secret" not in out and "Bearer" not in out


def test_help_version_and_man_page():
    h = subprocess.run([airbytefs_binary(), "--help"], capture_output=True, text=True)
    assert h.returncode == 0 and "allow_delete" in h.stdout and "workspace=ID" in h.stdout
    v = subprocess.run([airbytefs_binary(), "--version"], capture_output=True, text=True)
    assert v.returncode == 0 and v.stdout.startswith("airbytefs version ")
    page = REPO / "docs" / "airbytefs.1"
    r = subprocess.run(["man", "-l", str(page)], capture_output=True, text=True,
                       env={**os.environ, "MANPAGER": "cat", "PAGER": "cat", "MANWIDTH": "100"})
    assert r.returncode == 0 and "airbytefs" in r.stdout
    for section in ("OPTIONS", "CAVEATS", "ERRORS"):
        assert section in r.stdout, section
    w = subprocess.run(["groff", "-man", "-Tutf8", "-ww", str(page)], capture_output=True, text=True)
    assert w.returncode == 0 and w.stderr == ""


def test_sed_i_and_vim_on_source_name(mount, emulator):
    sid = next(iter(s for s, v in emulator.state()["sources"].items() if v["workspaceId"] == WORKSPACE))
    d = mount / "sources" / sid
    old = (d / "name").read_text().strip()
    r = run(f"sed -i 's/.*/Sed Renamed/' {d}/name")
    assert r.returncode == 0, r.stderr + (mount / "errors").read_text()
    assert emulator.state()["sources"][sid]["name"] == "Sed Renamed"
    r = run(f"vim -u NONE -i NONE -N -es -c 'set backup writebackup backupcopy=auto' -c '%s/Sed/Vim/' -c 'wq' {d}/name",
            timeout=30)
    assert r.returncode == 0, r.stdout + r.stderr
    assert emulator.state()["sources"][sid]["name"] == "Vim Renamed"
    assert old != "Vim Renamed"
    assert sorted(os.listdir(d)) == sorted(["name", "type", "definition_id", "configuration.json", "url", "connections"])
