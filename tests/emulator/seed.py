# The demo data the emulator starts from (and returns to on /_emulator/reset).
#
# Everything here is deterministic: ids are uuid5 of a fixed namespace and a name, times are fixed
# epoch seconds, so every run of the emulator serves the same workspace and tests may hard-code ids.
# The records are kept in the emulator's internal shape (see state.py), not in API shape.

import uuid

NAMESPACE = uuid.UUID("5f0c7a52-6d1e-4b7e-9c3a-2a1d0e9b8f10")

DEMO_WORKSPACE_ID = "e0a1b2c3-0000-4000-8000-000000000001"
OTHER_WORKSPACE_ID = "e0a1b2c3-0000-4000-8000-000000000002"

MASK = "**********"

# 2026-01-15T09:30:00Z: when the demo resources were "created".
CREATED_BASE = 1768469400
# Historic jobs run before this moment (2026-11-01T00:00:00Z) going backwards.
HISTORY_END = 1793491200

FIRST_JOB_ID = 1000
HAND_CRAFTED_COUNT = 10
MAX_CONNECTIONS = 10000


def uid(kind, name):
    return str(uuid.uuid5(NAMESPACE, kind + ":" + name))


# The user every API request acts as (the bearer token's or the client's), and another one who
# edits "in the web UI" (PATCH /_emulator/connections/{id}): who a timeline event names.
DEMO_USER = {"id": uid("user", "demo"), "email": "demo@example.com", "name": "Demo User", "isDeleted": False}
WEB_UI_USER = {"id": uid("user", "alice"), "email": "alice@example.com", "name": "Alice Admin",
               "isDeleted": False}


# --- discovered catalogs -------------------------------------------------------------------------

def _props(*names):
    types = {
        "id": {"type": ["null", "integer"]},
        "amount": {"type": ["null", "number"]},
        "amount_due": {"type": ["null", "integer"]},
        "qty": {"type": ["null", "integer"]},
        "number": {"type": ["null", "integer"]},
        "created": {"type": ["null", "integer"]},
        "updated": {"type": ["null", "integer"]},
        "livemode": {"type": ["null", "boolean"]},
        "metadata": {"type": ["null", "object"], "properties": {}},
        "labels": {"type": ["null", "array"], "items": {"type": "string"}},
    }
    out = {}
    for n in names:
        if n in types:
            out[n] = dict(types[n])
        elif n.endswith("_at"):
            out[n] = {"type": ["null", "string"], "format": "date-time",
                      "airbyte_type": "timestamp_with_timezone"}
        elif n.endswith("_id"):
            out[n] = {"type": ["null", "string"]}
        else:
            out[n] = {"type": ["null", "string"]}
    return out


def _stream(name, namespace, fields, modes, cursor=None, pk=None, source_cursor=False):
    return {
        "name": name,
        "namespace": namespace,
        "jsonSchema": {"type": "object", "$schema": "http://json-schema.org/draft-07/schema#",
                       "properties": _props(*fields)},
        "supportedSyncModes": list(modes),
        "sourceDefinedCursor": source_cursor,
        "defaultCursorField": list(cursor or []),
        "sourceDefinedPrimaryKey": [list(p) for p in (pk or [])],
        "isResumable": True,
        "isFileBased": False,
    }


FR = ["full_refresh"]
BOTH = ["full_refresh", "incremental"]

CATALOGS = {
    "postgres": [
        _stream("users", "public", ["id", "email", "name", "created_at", "updated_at"], BOTH,
                pk=[["id"]]),
        _stream("orders", "public", ["id", "user_id", "amount", "status", "created_at", "updated_at"],
                BOTH, pk=[["id"]]),
        _stream("order_items", "public", ["id", "order_id", "sku", "qty", "updated_at"], BOTH,
                pk=[["order_id"], ["id"]]),
        _stream("products", "public", ["id", "sku", "title", "amount", "updated_at"], BOTH,
                pk=[["id"]]),
        _stream("audit_log", "public", ["event", "actor", "created_at"], FR),
        _stream("customers", "public", ["id", "name", "updated_at"], BOTH, pk=[["id"]]),
        # Same stream name in another namespace: PATCH must then be given a namespace.
        _stream("customers", "sales", ["id", "name", "region", "updated_at"], BOTH, pk=[["id"]]),
    ],
    "stripe": [
        _stream("charges", None, ["id", "amount", "currency", "customer", "created", "livemode"], BOTH,
                cursor=["created"], pk=[["id"]], source_cursor=True),
        _stream("customers", None, ["id", "email", "name", "created", "updated", "metadata"], BOTH,
                cursor=["updated"], pk=[["id"]], source_cursor=True),
        _stream("invoices", None, ["id", "customer", "amount_due", "status", "created", "updated"], BOTH,
                cursor=["updated"], pk=[["id"]], source_cursor=True),
        _stream("subscriptions", None, ["id", "customer", "status", "created", "updated"], BOTH,
                cursor=["updated"], pk=[["id"]], source_cursor=True),
        _stream("balance_transactions", None, ["id", "amount", "type", "created"], BOTH,
                cursor=["created"], pk=[["id"]], source_cursor=True),
        _stream("accounts", None, ["id", "email", "country"], FR, pk=[["id"]]),
    ],
    "github": [
        _stream("repositories", None, ["id", "full_name", "description", "created_at", "updated_at"],
                FR, pk=[["id"]]),
        _stream("issues", None, ["id", "number", "title", "state", "labels", "repository",
                                 "updated_at"], BOTH,
                cursor=["updated_at"], pk=[["id"]], source_cursor=True),
        _stream("pull_requests", None, ["id", "number", "title", "state", "repository", "updated_at"],
                BOTH, cursor=["updated_at"], pk=[["id"]], source_cursor=True),
        _stream("commits", None, ["sha", "repository", "author", "message", "created_at"], BOTH,
                cursor=["created_at"], pk=[["sha"]], source_cursor=True),
        _stream("users", None, ["id", "login", "type"], FR, pk=[["id"]]),
    ],
    "faker": [
        _stream("users", None, ["id", "name", "email", "created_at", "updated_at"], BOTH,
                cursor=["updated_at"], pk=[["id"]], source_cursor=True),
        _stream("products", None, ["id", "make", "model", "amount", "created_at", "updated_at"], BOTH,
                cursor=["updated_at"], pk=[["id"]], source_cursor=True),
        _stream("purchases", None, ["id", "user_id", "product_id", "created_at", "updated_at"], BOTH,
                cursor=["updated_at"], pk=[["id"]], source_cursor=True),
    ],
}

# Destination sync modes each destination type supports.
DESTINATION_MODES = {
    "bigquery": ["overwrite", "append", "append_dedup"],
    "snowflake": ["overwrite", "append", "append_dedup"],
    "postgres": ["overwrite", "append", "append_dedup", "overwrite_dedup"],
}

SOURCE_DEFINITIONS = {
    "postgres": "decd338e-5647-4c0b-adf4-da0e75f5a750",
    "stripe": "e094cb9a-26de-4645-8761-65c0c425d1de",
    "github": "ef69ef6e-aa7f-4af1-a01d-ef775033524e",
    "faker": "dfd88b22-b603-4c3d-aad7-3701784586b1",
}
DESTINATION_DEFINITIONS = {
    "bigquery": "22f6c74f-5699-40ff-833c-4a879ea40133",
    "snowflake": "424892c4-daac-4491-b35d-c6688ba547ba",
    "postgres": "25c5221d-dce2-4163-ade9-739ef790f503",
}

# --- workspaces, sources, destinations, tags ------------------------------------------------------

def _workspace(wid, name):
    return {
        "workspaceId": wid, "name": name, "dataResidency": "auto",
        "notifications": {
            "failure": {"email": {"enabled": True}, "webhook": {"enabled": False}},
            "success": {"email": {"enabled": False}, "webhook": {"enabled": False}},
            "connectionUpdate": {"email": {"enabled": True}, "webhook": {"enabled": False}},
            "connectionUpdateActionRequired": {"email": {"enabled": True}, "webhook": {"enabled": False}},
            "syncDisabled": {"email": {"enabled": True}, "webhook": {"enabled": False}},
            "syncDisabledWarning": {"email": {"enabled": True}, "webhook": {"enabled": False}},
        },
    }


SOURCE_CONFIGS = {
    "postgres": {"host": "db.internal.example.com", "port": 5432, "database": "app",
                 "username": "airbyte", "password": MASK, "schemas": ["public", "sales"],
                 "ssl_mode": {"mode": "require"},
                 "replication_method": {"method": "Standard"}},
    "stripe": {"account_id": "acct_1Demo", "client_secret": MASK, "start_date": "2024-01-01T00:00:00Z",
               "lookback_window_days": 0},
    "github": {"repositories": ["acme/api", "acme/web"],
               "credentials": {"option_title": "PAT Credentials", "personal_access_token": MASK},
               "start_date": "2024-01-01T00:00:00Z"},
    "faker": {"count": 1000, "seed": 42, "records_per_slice": 1000, "always_updated": True},
}
DESTINATION_CONFIGS = {
    "bigquery": {"project_id": "acme-analytics", "dataset_id": "airbyte", "dataset_location": "US",
                 "credentials_json": MASK, "loading_method": {"method": "Standard"}},
    "snowflake": {"host": "acme.snowflakecomputing.com", "role": "AIRBYTE_ROLE",
                  "warehouse": "AIRBYTE_WAREHOUSE", "database": "AIRBYTE_DATABASE",
                  "schema": "AIRBYTE_SCHEMA", "username": "AIRBYTE_USER",
                  "credentials": {"auth_type": "Username and Password", "password": MASK}},
    "postgres": {"host": "replica.internal.example.com", "port": 5432, "database": "warehouse",
                 "schema": "public", "username": "airbyte", "password": MASK,
                 "ssl_mode": {"mode": "disable"}},
}

# (key, name, type, workspace)
SOURCES = [
    ("pg", "Production Postgres", "postgres", DEMO_WORKSPACE_ID),
    ("stripe", "Stripe Billing", "stripe", DEMO_WORKSPACE_ID),
    ("github", "GitHub Engineering", "github", DEMO_WORKSPACE_ID),
    ("faker", "Faker Sample Data", "faker", DEMO_WORKSPACE_ID),
    ("other-pg", "Other Team Postgres", "postgres", OTHER_WORKSPACE_ID),
]
DESTINATIONS = [
    ("bq", "BigQuery Warehouse", "bigquery", DEMO_WORKSPACE_ID),
    ("sf", "Snowflake Analytics", "snowflake", DEMO_WORKSPACE_ID),
    ("pgdest", "Postgres Replica", "postgres", DEMO_WORKSPACE_ID),
    ("other-bq", "Other Team BigQuery", "bigquery", OTHER_WORKSPACE_ID),
]


def source_id(key):
    return uid("source", key)


def destination_id(key):
    return uid("destination", key)


def _tag(name, color, workspace=DEMO_WORKSPACE_ID):
    return {"tagId": uid("tag", workspace + ":" + name), "workspaceId": workspace,
            "name": name, "color": color}


TAG_PROD = _tag("prod", "#E53935")
TAG_FINANCE = _tag("finance", "#43A047")
TAG_NIGHTLY = _tag("nightly", "#1E88E5")
TAG_OTHER = _tag("prod", "#757575", OTHER_WORKSPACE_ID)


def tags():
    """The tags of both workspaces (connections carry their ids)."""
    return [dict(t) for t in (TAG_PROD, TAG_FINANCE, TAG_NIGHTLY, TAG_OTHER)]

# --- connections ---------------------------------------------------------------------------------

def _s(name, mode, cursor=None, pk=None, namespace=None, selected=None):
    """A configured stream in internal shape (selected=None means all fields)."""
    return {"name": name, "namespace": namespace, "syncMode": mode,
            "cursorField": list(cursor or []), "primaryKey": [list(p) for p in (pk or [])],
            "selectedFields": selected}


def _cron(expr):
    return {"scheduleType": "cron", "cronExpression": expr}


def _basic(units, unit):
    return {"scheduleType": "basic", "units": units, "timeUnit": unit}


MANUAL = {"scheduleType": "manual"}


def _conn(key, name, src, dst, schedule, status="active", prefix="", ns="destination",
          ns_format="${SOURCE_NAMESPACE}",
          nonbreaking="ignore", tags=(), streams=(), status_reason=None, workspace=DEMO_WORKSPACE_ID,
          created_offset=0, state=None):
    c = {
        "connectionId": uid("connection", key), "name": name,
        "sourceId": source_id(src), "destinationId": destination_id(dst), "workspaceId": workspace,
        "status": status, "schedule": schedule, "nonBreakingSchemaUpdatesBehavior": nonbreaking,
        "namespaceDefinition": ns, "namespaceFormat": ns_format, "prefix": prefix,
        "streams": list(streams), "createdAt": CREATED_BASE + created_offset, "tags": [t["tagId"] for t in tags],
    }
    if status_reason is not None:
        c["statusReason"] = status_reason
    return c, state


PG = "public"


def hand_crafted():
    """The 10 demo connections plus the other workspace's 2, each with its seed state kind."""
    demo = [
        _conn("postgres-snowflake", "Postgres → Snowflake", "pg", "sf", _cron("0 0 12 * * ?"),
              prefix="pg_", ns="source", tags=[TAG_PROD], created_offset=0, state="stream",
              streams=[
                  _s("users", "incremental_deduped_history", ["updated_at"], [["id"]], PG),
                  _s("orders", "incremental_append", ["updated_at"], [["id"]], PG),
                  _s("products", "full_refresh_overwrite", [], [["id"]], PG),
                  _s("audit_log", "full_refresh_append", [], [], PG),
              ]),
        _conn("stripe-bigquery", "Stripe / Billing → BigQuery", "stripe", "bq", _basic(24, "hours"),
              prefix="stripe_", nonbreaking="propagate_columns", tags=[TAG_FINANCE, TAG_PROD],
              created_offset=3600, state="stream",
              streams=[
                  _s("charges", "incremental_append", ["created"], [["id"]]),
                  _s("customers", "incremental_deduped_history", ["updated"], [["id"]]),
                  _s("invoices", "full_refresh_overwrite", [], [["id"]],
                     selected=[["id"], ["customer"], ["amount_due"], ["status"]]),
              ]),
        _conn("github-postgres", "GitHub → Postgres", "github", "pgdest", _cron("0 0 */6 * * ?"),
              prefix="gh_", ns="custom_format", ns_format="${SOURCE_NAMESPACE}_raw",
              nonbreaking="disable_connection", created_offset=7200, state="stream",
              streams=[
                  _s("issues", "incremental_deduped_history", ["updated_at"], [["id"]]),
                  _s("pull_requests", "incremental_append", ["updated_at"], [["id"]]),
                  _s("repositories", "full_refresh_overwrite", [], [["id"]]),
              ]),
        _conn("faker-demo", "Faker Demo", "faker", "pgdest", MANUAL, prefix="faker_",
              nonbreaking="propagate_fully", created_offset=10800, state=None,
              streams=[
                  _s("users", "full_refresh_overwrite", [], [["id"]]),
                  _s("purchases", "incremental_append", ["updated_at"], [["id"]]),
              ]),
        _conn("postgres-cdc-bigquery", "Postgres CDC → BigQuery", "pg", "bq", MANUAL, status="inactive",
              ns="source", created_offset=14400, state="global",
              streams=[
                  _s("users", "incremental_append", ["updated_at"], [["id"]], PG),
                  _s("orders", "incremental_deduped_history", ["updated_at"], [["id"]], PG),
                  _s("customers", "full_refresh_overwrite", [], [["id"]], "sales"),
              ]),
        _conn("locked-billing", "Locked Billing Sync", "stripe", "sf", _cron("0 30 2 * * ? *"),
              status="locked", status_reason="Sync disabled: the workspace's payment method was declined",
              tags=[TAG_FINANCE], created_offset=18000, state=None,
              streams=[_s("charges", "full_refresh_append", [], [["id"]])]),
        _conn("nightly-export-pg", "Nightly Export", "pg", "bq", _cron("0 0 0 * * ?"),
              prefix="nightly_", tags=[TAG_NIGHTLY], created_offset=21600, state="stream",
              streams=[
                  _s("orders", "incremental_append", ["updated_at"], [["id"]], PG),
                  _s("order_items", "full_refresh_overwrite", [], [["order_id"], ["id"]], PG),
              ]),
        _conn("nightly-export-github", "Nightly Export", "github", "sf", _basic(1, "days"),
              status="inactive", tags=[TAG_NIGHTLY], created_offset=25200, state="stream",
              streams=[_s("commits", "incremental_append", ["created_at"], [["sha"]])]),
        _conn("faker-weekly", "Faker → Postgres Weekly", "faker", "pgdest", _cron("0 0 6 ? * MON"),
              ns="custom_format", ns_format="analytics_${SOURCE_NAMESPACE}",
              nonbreaking="propagate_columns", created_offset=28800, state="stream",
              streams=[
                  _s("products", "full_refresh_append", [], [["id"]]),
                  _s("users", "incremental_deduped_history", ["updated_at"], [["id"]]),
              ]),
        _conn("empty-sandbox", "Sandbox (no streams)", "faker", "bq", MANUAL, status="inactive",
              prefix="sandbox_", created_offset=32400, state=None, streams=[]),
    ]
    other = [
        _conn("other-1", "Postgres → Snowflake", "other-pg", "other-bq", _cron("0 0 3 * * ?"),
              workspace=OTHER_WORKSPACE_ID, created_offset=36000, state=None,
              streams=[_s("users", "full_refresh_overwrite", [], [["id"]], PG)]),
        _conn("other-2", "Other Team Orders", "other-pg", "other-bq", MANUAL,
              workspace=OTHER_WORKSPACE_ID, created_offset=39600, state=None,
              streams=[_s("orders", "incremental_append", ["updated_at"], [["id"]], PG)]),
    ]
    return demo, other


# Generated connections cycle through these (source key, destination key, stream plan).
_GEN_PLANS = [
    ("pg", "sf", [("orders", "incremental_append", ["updated_at"], [["id"]], PG),
                  ("users", "full_refresh_overwrite", [], [["id"]], PG)]),
    ("stripe", "bq", [("charges", "incremental_deduped_history", ["created"], [["id"]], None)]),
    ("github", "pgdest", [("issues", "incremental_append", ["updated_at"], [["id"]], None),
                          ("repositories", "full_refresh_overwrite", [], [["id"]], None)]),
    ("faker", "sf", [("purchases", "incremental_append", ["updated_at"], [["id"]], None),
                     ("products", "full_refresh_append", [], [["id"]], None),
                     ("users", "full_refresh_overwrite", [], [["id"]], None)]),
    ("pg", "bq", [("products", "full_refresh_overwrite", [], [["id"]], PG)]),
]
_GEN_SCHEDULES = [MANUAL, _cron("0 0 * * * ?"), _cron("0 15 3 * * ?"), _basic(12, "hours"),
                  _cron("0 0 0 ? * SUN")]
_GEN_STATUSES = ["active", "active", "inactive", "active", "inactive", "active", "active"]


def generated(index):
    """Connection number `index` (1-based, > HAND_CRAFTED_COUNT) of the demo workspace."""
    src, dst, plan = _GEN_PLANS[index % len(_GEN_PLANS)]
    first = plan[0][0]
    streams = [_s(n, m, c, p, ns) for (n, m, c, p, ns) in plan]
    return {
        "connectionId": uid("connection", "gen-%05d" % index),
        "name": "conn-%05d %s sync" % (index, first),
        "sourceId": source_id(src), "destinationId": destination_id(dst),
        "workspaceId": DEMO_WORKSPACE_ID,
        "status": _GEN_STATUSES[index % len(_GEN_STATUSES)],
        "schedule": dict(_GEN_SCHEDULES[index % len(_GEN_SCHEDULES)]),
        "nonBreakingSchemaUpdatesBehavior": "ignore",
        "namespaceDefinition": "destination", "namespaceFormat": "${SOURCE_NAMESPACE}",
        "prefix": "" if index % 3 else "gen_",
        "streams": streams, "createdAt": CREATED_BASE + 86400 + index * 60,
        "tags": [TAG_PROD["tagId"]] if index % 10 == 0 else [],
    }


def workspaces():
    return [_workspace(DEMO_WORKSPACE_ID, "Demo Workspace"),
            _workspace(OTHER_WORKSPACE_ID, "Other Workspace")]


def sources():
    out = []
    for i, (key, name, typ, ws) in enumerate(SOURCES):
        out.append({"sourceId": source_id(key), "name": name, "sourceType": typ,
                    "definitionId": SOURCE_DEFINITIONS[typ], "workspaceId": ws,
                    "configuration": dict(SOURCE_CONFIGS[typ]), "createdAt": CREATED_BASE - 86400 + i * 60})
    return out


def destinations():
    out = []
    for i, (key, name, typ, ws) in enumerate(DESTINATIONS):
        out.append({"destinationId": destination_id(key), "name": name, "destinationType": typ,
                    "definitionId": DESTINATION_DEFINITIONS[typ], "workspaceId": ws,
                    "configuration": dict(DESTINATION_CONFIGS[typ]),
                    "createdAt": CREATED_BASE - 43200 + i * 60})
    return out


def seed_state(kind, conn):
    """The Config-API ConnectionState seeded for a connection (kind: stream|global|None)."""
    cid = conn["connectionId"]
    if kind is None:
        return {"stateType": "not_set", "connectionId": cid}
    entries = []
    for s in conn["streams"]:
        if not s["syncMode"].startswith("incremental"):
            continue
        desc = {"name": s["name"]}
        if s["namespace"]:
            desc["namespace"] = s["namespace"]
        cursor = s["cursorField"][0] if s["cursorField"] else "cursor"
        value = 1793400000 if cursor in ("created", "updated") else "2026-10-31T23:59:59Z"
        entries.append({"streamDescriptor": desc, "streamState": {cursor: value}})
    if kind == "global":
        return {"stateType": "global", "connectionId": cid,
                "globalState": {"shared_state": {"state": {"lsn": 23894718, "txid": 90211}},
                                "streamStates": entries}}
    return {"stateType": "stream", "connectionId": cid, "streamState": entries}


# Historic jobs: (jobType, outcome, attempts, duration seconds, hours before HISTORY_END).
HISTORY = [
    ("sync", "succeeded", 1, 511, 96),
    ("sync", "failed", 3, 1260, 72),
    ("reset", "succeeded", 1, 47, 50),
    ("sync", "cancelled", 1, 300, 30),
    ("sync", "succeeded", 2, 420, 6),
]
GENERATED_HISTORY = [
    ("sync", "succeeded", 1, 180, 48),
    ("sync", "failed", 1, 60, 12),
]
