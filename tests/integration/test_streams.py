"""connections/<id>/streams.d/ through a real mount: one directory per selected stream (named
<namespace>.<name> where a name alone is not unique), its setting files read from the listing and
each write one PATCH of `configurations` that keeps every other stream and member (with the
ESTALE and no-op checks of every setting), a glob edit with tee and its PATCH count, the
stream's own state.json (EBUSY during a sync; the other streams' state kept), last_sync, and the
write-only refresh and clear of one stream that leave the other streams' state intact."""
import json
import os
import shlex
import stat
import time

import pytest

from conftest import Emulator, Mount
from conftest import run as sh


def run(cmd, **kw):
    """bash, whose echo reports the errno of a failed write (dash's says "I/O error")."""
    return sh("bash -c " + shlex.quote(cmd), **kw)

PATCH = "PATCH /api/public/v1/connections/{connectionId}"


@pytest.fixture(scope="module")
def semu():
    emu = Emulator("--job-duration", "1.5")
    yield emu
    emu.stop()


@pytest.fixture
def smount(semu):
    semu.reset()
    m = Mount(semu)
    yield m
    assert m.unmount() == 0, m.log()


def conn_named(emu, name):
    return next(c for c in emu.connections().values() if c["name"] == name)["connectionId"]


def streams_of(emu, cid):
    return emu.admin("GET", f"/_emulator/connections/{cid}")["connection"]["configurations"]["streams"]


def by_name(streams):
    return {(s["name"], s.get("namespace")): s for s in streams}


def state_of(emu, cid):
    return emu.state()["states"][cid]


def entries(state):
    if state["stateType"] == "global":
        return state["globalState"]["streamStates"]
    return state.get("streamState", [])


def stream_state(state, name):
    return next((e["streamState"] for e in entries(state) if e["streamDescriptor"]["name"] == name), None)


def wait_job(d):
    assert run(f"cat {d}/jobs/latest/wait").stdout in ("succeeded\n", "failed\n", "cancelled\n")


def test_listing_names_and_reads_cost_nothing(smount, semu):
    cid = conn_named(semu, "Postgres → Snowflake")
    d = smount / "connections" / cid
    assert "streams.d" in os.listdir(d)
    os.listdir(d / "streams.d")
    semu.reset_requests()
    assert sorted(os.listdir(d / "streams.d")) == ["audit_log", "orders", "products", "users"]
    assert sorted(os.listdir(d / "streams.d" / "users")) == sorted(
        ["selected", "sync_mode", "cursor_field", "primary_key", "selected_fields", "mappers.json",
         "state.json", "last_sync", "refresh", "clear"])
    u = d / "streams.d" / "users"
    assert (u / "selected").read_text() == "true\n"
    assert (u / "sync_mode").read_text() == "incremental_deduped_history\n"
    assert (u / "cursor_field").read_text() == "updated_at\n"
    assert (u / "primary_key").read_text() == "id\n"
    assert (u / "selected_fields").read_text() == ""
    assert json.loads((u / "mappers.json").read_text()) == []
    assert (u / "refresh").read_text() == "" and (u / "clear").read_text() == ""
    assert stat.S_IMODE(os.stat(u / "refresh").st_mode) == 0o600
    assert stat.S_IMODE(os.stat(u / "sync_mode").st_mode) == 0o644
    assert os.stat(u / "sync_mode").st_size == len("incremental_deduped_history\n")
    # settings render from the listing; nothing but the listing itself was asked for
    assert [r for r in semu.requests()["routes"] if "/api/v1/" in r] == []
    assert not (d / "streams.d" / "nope").exists()
    # a composite key, selected fields, and a stream of another connection
    items = smount / "connections" / conn_named(semu, "Nightly Export") / "streams.d" / "order_items"
    if items.exists():
        assert (items / "primary_key").read_text() == "order_id\nid\n"
    inv = smount / "connections" / conn_named(semu, "Stripe / Billing → BigQuery") / "streams.d" / "invoices"
    assert (inv / "selected_fields").read_text() == "id\ncustomer\namount_due\nstatus\n"


def test_same_name_in_two_namespaces_gets_the_namespace(smount, semu):
    cid = conn_named(semu, "Postgres CDC → BigQuery")
    semu.admin("PATCH", f"/_emulator/connections/{cid}", {"configurations": {"streams": [
        {"name": "users", "namespace": "public", "syncMode": "incremental_append", "cursorField": ["updated_at"]},
        {"name": "customers", "namespace": "public", "syncMode": "full_refresh_overwrite"},
        {"name": "customers", "namespace": "sales", "syncMode": "full_refresh_append"}]}})
    run(f"echo > {smount.path}/.refresh")
    d = smount / "connections" / cid / "streams.d"
    assert sorted(os.listdir(d)) == ["public.customers", "sales.customers", "users"]
    assert (d / "sales.customers" / "sync_mode").read_text() == "full_refresh_append\n"
    semu.reset_requests()
    assert run(f"echo full_refresh_overwrite > {d}/sales.customers/sync_mode").returncode == 0
    after = by_name(streams_of(semu, cid))
    assert after[("customers", "sales")]["syncMode"] == "full_refresh_overwrite"
    assert after[("customers", "public")]["syncMode"] == "full_refresh_overwrite"
    assert semu.requests()["routes"].get(PATCH) == 1


def test_sync_mode_write_is_one_patch_keeping_everything_else(smount, semu):
    cid = conn_named(semu, "Postgres → Snowflake")
    d = smount / "connections" / cid / "streams.d"
    before = semu.admin("GET", f"/_emulator/connections/{cid}")["connection"]
    semu.reset_requests()
    r = run(f"echo incremental_deduped_history > {d}/orders/sync_mode")
    assert r.returncode == 0, r.stderr
    assert semu.requests()["routes"].get(PATCH) == 1
    body = next(x["body"] for x in semu.requests()["log"] if x["method"] == "PATCH")
    assert list(json.loads(body)) == ["configurations"]
    after = semu.admin("GET", f"/_emulator/connections/{cid}")["connection"]
    b, a = by_name(before["configurations"]["streams"]), by_name(after["configurations"]["streams"])
    assert a[("orders", "public")]["syncMode"] == "incremental_deduped_history"
    assert a[("orders", "public")]["cursorField"] == b[("orders", "public")]["cursorField"]
    for key in b:
        if key != ("orders", "public"):
            assert a[key] == b[key]
    for field in ("name", "schedule", "prefix", "status", "namespaceDefinition"):
        assert after[field] == before[field]
    assert (d / "orders" / "sync_mode").read_text() == "incremental_deduped_history\n"
    # the same value again sends nothing; a bad one is EINVAL from write(2), nothing sent
    semu.reset_requests()
    assert run(f"echo incremental_deduped_history > {d}/orders/sync_mode").returncode == 0
    r = run(f"echo sometimes > {d}/orders/sync_mode")
    assert r.returncode != 0 and "Invalid argument" in r.stderr
    assert semu.requests()["routes"].get(PATCH) is None
    assert "syncMode must be one of" in (smount / "errors").read_text()
    # the server's refusal reaches the writer: audit_log has no cursor for incremental
    r = run(f"echo incremental_append > {d}/audit_log/sync_mode")
    assert r.returncode != 0 and "Invalid argument" in r.stderr
    assert by_name(streams_of(semu, cid))[("audit_log", "public")]["syncMode"] == "full_refresh_append"


def test_glob_edit_with_tee_changes_every_stream_and_nothing_else(smount, semu):
    cid = conn_named(semu, "Faker Demo")
    c = smount / "connections" / cid
    assert run(f"printf 'users\\npurchases\\nproducts\\n' > {c}/streams").returncode == 0
    before = semu.admin("GET", f"/_emulator/connections/{cid}")["connection"]
    modes = {s["name"]: s["syncMode"] for s in before["configurations"]["streams"]}
    assert modes == {"users": "full_refresh_overwrite", "purchases": "incremental_append",
                     "products": "full_refresh_overwrite"}
    semu.reset_requests()
    r = run(f"cd {c} && echo incremental_append | tee streams.d/*/sync_mode")
    assert r.returncode == 0, r.stderr
    # one PATCH per stream whose mode differs (purchases had it: no PATCH), each a fresh read first
    assert semu.requests()["routes"].get(PATCH) == 2
    after = semu.admin("GET", f"/_emulator/connections/{cid}")["connection"]
    b, a = by_name(before["configurations"]["streams"]), by_name(after["configurations"]["streams"])
    assert set(a) == set(b)
    for key in a:
        assert a[key]["syncMode"] == "incremental_append"
        assert {k: v for k, v in a[key].items() if k not in ("syncMode", "cursorField")} == \
               {k: v for k, v in b[key].items() if k not in ("syncMode", "cursorField")}
    for field in ("name", "schedule", "prefix", "status", "tags"):
        assert after[field] == before[field]
    assert run(f"cat {c}/streams.d/*/sync_mode").stdout == "incremental_append\n" * 3


def test_cursor_key_fields_mappers_and_selected(smount, semu):
    cid = conn_named(semu, "Postgres → Snowflake")
    d = smount / "connections" / cid / "streams.d"
    assert run(f"echo created_at > {d}/orders/cursor_field").returncode == 0
    assert by_name(streams_of(semu, cid))[("orders", "public")]["cursorField"] == ["created_at"]
    assert (d / "orders" / "cursor_field").read_text() == "created_at\n"
    assert run(f"printf 'id\\nsku\\ntitle\\n' > {d}/products/selected_fields").returncode == 0
    s = by_name(streams_of(semu, cid))[("products", "public")]
    assert s["selectedFields"] == [{"fieldPath": ["id"]}, {"fieldPath": ["sku"]}, {"fieldPath": ["title"]}]
    assert (d / "products" / "selected_fields").read_text() == "id\nsku\ntitle\n"
    # a truncate alone sends nothing; an empty line selects every field again
    assert run(f": > {d}/products/selected_fields").returncode == 0
    assert len(by_name(streams_of(semu, cid))[("products", "public")]["selectedFields"]) == 3
    assert run(f"echo > {d}/products/selected_fields").returncode == 0
    assert by_name(streams_of(semu, cid))[("products", "public")]["selectedFields"] == []
    mappers = [{"type": "hashing", "mapperConfiguration": {"fieldNameSuffix": "_h", "method": "SHA-256",
                                                           "targetField": "email"}}]
    (d / "users" / "mappers.json").write_text(json.dumps(mappers))
    assert by_name(streams_of(semu, cid))[("users", "public")]["mappers"] == mappers
    assert json.loads((d / "users" / "mappers.json").read_text()) == mappers
    with pytest.raises(OSError):
        (d / "users" / "mappers.json").write_text('{"not": "an array"}')
    # a multi-line file answers at close: cp sees the server's refusal
    r = run(f"echo '[{{\"type\": \"teleport\", \"mapperConfiguration\": {{}}}}]' > /tmp/m.json && "
            f"cp /tmp/m.json {d}/users/mappers.json")
    assert r.returncode != 0 and "Invalid argument" in r.stderr
    assert "StreamMapperType" in (smount / "errors").read_text()
    # primary key: one field a line
    assert run(f"printf 'id\\n' > {d}/users/primary_key").returncode == 0
    # deselect a stream: its directory goes, the others stay
    assert run(f"echo false > {d}/audit_log/selected").returncode == 0
    assert ("audit_log", "public") not in by_name(streams_of(semu, cid))
    assert sorted(os.listdir(d)) == ["orders", "products", "users"]
    assert run(f"echo true > {d}/users/selected").returncode == 0


def test_last_stream_cannot_be_deselected(smount, semu):
    cid = conn_named(semu, "Faker → Postgres Weekly")
    d = smount / "connections" / cid / "streams.d"
    assert run(f"echo false > {d}/products/selected").returncode == 0
    semu.reset_requests()
    r = run(f"echo false > {d}/users/selected")
    assert r.returncode != 0 and "Invalid argument" in r.stderr
    assert semu.requests()["routes"].get(PATCH) is None
    assert "last selected stream" in (smount / "errors").read_text()


def test_estale_when_the_stream_changed_since_open(smount, semu):
    cid = conn_named(semu, "GitHub → Postgres")
    f = smount / "connections" / cid / "streams.d" / "repositories" / "sync_mode"
    fd = os.open(f, os.O_WRONLY | os.O_TRUNC)
    try:
        streams = streams_of(semu, cid)
        for s in streams:
            if s["name"] == "repositories":
                s["syncMode"] = "full_refresh_append"
        semu.admin("PATCH", f"/_emulator/connections/{cid}", {"configurations": {"streams": streams}})
        with pytest.raises(OSError) as e:
            os.write(fd, b"incremental_append\n")
        assert e.value.errno == 116  # ESTALE
    finally:
        try:
            os.close(fd)
        except OSError:
            pass
    assert by_name(streams_of(semu, cid))[("repositories", None)]["syncMode"] == "full_refresh_append"
    # another stream's file is not stale: its stream did not change
    r = run(f"echo incremental_append > {f.parent.parent}/pull_requests/sync_mode")
    assert r.returncode == 0, r.stderr


def test_stream_state_read_write_and_ebusy(smount, semu):
    cid = conn_named(semu, "Postgres → Snowflake")
    c = smount / "connections" / cid
    d = c / "streams.d"
    state = state_of(semu, cid)
    assert json.loads((d / "users" / "state.json").read_text()) == stream_state(state, "users")
    assert json.loads((d / "products" / "state.json").read_text()) == {}  # full refresh: no state
    semu.reset_requests()
    (d / "orders" / "state.json").write_text('{"updated_at": "2026-01-01T00:00:00Z"}\n')
    assert semu.requests()["routes"].get("POST /api/v1/state/create_or_update_safe") == 1
    after = state_of(semu, cid)
    assert stream_state(after, "orders") == {"updated_at": "2026-01-01T00:00:00Z"}
    assert stream_state(after, "users") == stream_state(state, "users")
    assert len(entries(after)) == len(entries(state))
    # the same value sends nothing
    semu.reset_requests()
    run(f"cp {d}/orders/state.json /tmp/orders-state.json && cp /tmp/orders-state.json {d}/orders/state.json")
    assert semu.requests()["routes"].get("POST /api/v1/state/create_or_update_safe") is None
    with pytest.raises(OSError):
        (d / "orders" / "state.json").write_text("[1, 2]")
    # during a sync: EBUSY at close, the state unchanged
    semu.admin("POST", "/_emulator/next-job", {"duration": 4})
    assert run(f"echo sync > {c}/run").returncode == 0
    time.sleep(0.5)
    r = run(f"echo '{{\"updated_at\": \"1999-01-01\"}}' > /tmp/s.json && cp /tmp/s.json {d}/users/state.json")
    assert r.returncode != 0 and "Device or resource busy" in r.stderr
    assert stream_state(state_of(semu, cid), "users") == stream_state(state, "users")
    assert "423" in (smount / "errors").read_text()
    run(f"echo > {c}/jobs/latest/cancel")
    wait_job(c)
    # {} removes the stream's state; the others stay
    (d / "orders" / "state.json").write_text("{}")
    after = state_of(semu, cid)
    assert stream_state(after, "orders") is None and stream_state(after, "users") == stream_state(state, "users")


def test_refresh_and_clear_of_one_stream_keep_the_others_state(smount, semu):
    cid = conn_named(semu, "Postgres → Snowflake")
    c = smount / "connections" / cid
    d = c / "streams.d"
    state = state_of(semu, cid)
    assert stream_state(state, "orders") and stream_state(state, "users")
    semu.reset_requests()
    r = run(f"echo merge > {d}/orders/refresh")
    assert r.returncode == 0, r.stderr
    req = next(x for x in semu.requests()["log"] if x["path"] == "/api/v1/connections/refresh")
    assert json.loads(req["body"]) == {"connectionId": cid, "refreshMode": "Merge",
                                       "streams": [{"streamName": "orders", "streamNamespace": "public"}]}
    assert (c / "jobs" / "latest" / "type").read_text() == "refresh\n"
    # a second job while it runs: EBUSY from write(2)
    r = run(f"echo > {d}/users/clear")
    assert r.returncode != 0 and "Device or resource busy" in r.stderr
    wait_job(c)
    after = state_of(semu, cid)
    assert stream_state(after, "orders") is None
    assert stream_state(after, "users") == stream_state(state, "users")
    assert (c / "jobs" / "latest" / "streams.tsv").read_text().split("\t")[0] == "orders"
    # clear of users alone
    semu.reset_requests()
    assert run(f"echo > {d}/users/clear").returncode == 0
    req = next(x for x in semu.requests()["log"] if x["path"] == "/api/v1/connections/clear/stream")
    assert json.loads(req["body"])["streams"] == [{"streamName": "users", "streamNamespace": "public"}]
    wait_job(c)
    assert (c / "jobs" / "latest" / "type").read_text() == "clear\n"
    final = state_of(semu, cid)
    assert stream_state(final, "users") is None and final["stateType"] == "stream"
    # truncate, a bad word (nothing sent), and nothing written (nothing done)
    semu.reset_requests()
    r = run(f"echo sometimes > {d}/products/refresh")
    assert r.returncode != 0 and "Invalid argument" in r.stderr
    assert run(f": > {d}/products/refresh; touch {d}/products/clear").returncode == 0
    assert [x for x in semu.requests()["log"] if x["method"] == "POST"] == []
    assert run(f"echo truncate > {d}/products/refresh").returncode == 0
    req = next(x for x in semu.requests()["log"] if x["path"] == "/api/v1/connections/refresh")
    assert json.loads(req["body"])["refreshMode"] == "Truncate"
    wait_job(c)


def test_last_sync(smount, semu):
    cid = conn_named(semu, "Faker Demo")
    c = smount / "connections" / cid
    assert run(f"echo sync > {c}/run").returncode == 0
    wait_job(c)
    job = os.readlink(c / "jobs" / "latest")
    fields = (c / "streams.d" / "users" / "last_sync").read_text().rstrip("\n").split("\t")
    assert fields[0] == "succeeded" and fields[4] == job
    tsv = {row.split("\t")[0]: row.split("\t") for row in (c / "jobs" / job / "streams.tsv").read_text().splitlines()}
    assert fields[1:3] == tsv["users"][1:3] and int(fields[1]) > 0
    assert fields[3].endswith("Z") and len(fields[3]) == len("2026-01-01T00:00:00Z")


def test_without_config_api_stream_state_and_actions_are_enotsup():
    emu = Emulator("--no-config-api")
    m = Mount(emu)
    try:
        cid = conn_named(emu, "Faker Demo")
        d = m / "connections" / cid / "streams.d" / "users"
        for f in ("state.json", "last_sync"):
            r = run(f"cat {d}/{f}")
            assert r.returncode != 0 and "Operation not supported" in r.stderr
        for f, word in (("refresh", "merge"), ("clear", "x")):
            r = run(f"echo {word} > {d}/{f}")
            assert r.returncode != 0 and "Operation not supported" in r.stderr
        assert "Config API" in (m / "errors").read_text()
        # the settings come from the public API and keep working
        assert (d / "sync_mode").read_text() == "full_refresh_overwrite\n"
        assert run(f"echo full_refresh_append > {d}/sync_mode").returncode == 0
    finally:
        status = m.unmount()
        emu.stop()
        assert status == 0
