# Connections: the public API's ConnectionResponse, and PATCH /connections/{id} with the real
# server's validation order and messages (AirbyteCatalogHelper / ConnectionsController).
#
# Internal connection: ConnectionResponse-like dict, except that `schedule` is stored as the server
# stores it (cron without time zone; basic as units + timeUnit) and `streams` holds configured
# streams in catalog.py's internal shape.

import copy
import uuid

import catalog
import cron
from problems import bad_request, connection_locked

STATUSES = ["active", "inactive", "deprecated", "locked"]
NAMESPACE_DEFINITIONS = ["source", "destination", "custom_format"]
NON_BREAKING = ["ignore", "disable_connection", "propagate_columns", "propagate_fully"]
SCHEDULE_TYPES = ["manual", "cron"]


def kt(value):
    """Kotlin's toString of lists/sets, used verbatim in the server's messages."""
    if isinstance(value, (list, tuple, set)):
        return "[" + ", ".join(kt(v) for v in value) + "]"
    return "null" if value is None else str(value)


def render_schedule(schedule):
    t = schedule.get("scheduleType")
    if t == "cron":
        return {"scheduleType": "cron", "cronExpression": "%s UTC" % schedule["cronExpression"]}
    if t == "basic":
        return {"scheduleType": "basic",
                "basicTiming": "Every %s %s" % (schedule["units"], str(schedule["timeUnit"]).upper())}
    return {"scheduleType": "manual"}


def render(c, tags):
    """ConnectionResponse. tags: tagId -> Tag (the connection keeps the ids of its tags)."""
    out = {"connectionId": c["connectionId"], "name": c["name"], "sourceId": c["sourceId"],
           "destinationId": c["destinationId"], "workspaceId": c["workspaceId"], "status": c["status"],
           "schedule": render_schedule(c["schedule"])}
    # Optional in ConnectionResponse; an admin edit can remove them to mimic older servers.
    for key in ("nonBreakingSchemaUpdatesBehavior", "namespaceDefinition"):
        if c.get(key) is not None:
            out[key] = c[key]
    if c.get("namespaceFormat") is not None:
        out["namespaceFormat"] = c["namespaceFormat"]
    out["prefix"] = c.get("prefix") or ""
    out["configurations"] = {"streams": [catalog.render_stream(s) for s in c["streams"]]}
    out["createdAt"] = c["createdAt"]
    out["tags"] = [copy.deepcopy(tags[t]) for t in c["tags"] if t in tags]
    if c.get("statusReason"):
        out["statusReason"] = c["statusReason"]
    return out


# --- request body type checks (what Jackson would reject before the controller runs) -------------

MAPPER_TYPES = ["hashing", "field-renaming", "row-filtering", "encryption", "field-filtering"]


def enum_error(type_name, value, allowed):
    return bad_request("Cannot deserialize value of type `%s` from String \"%s\": not one of the values "
                       "accepted for Enum class: [%s]" % (type_name, value, ", ".join(allowed)))


def _type_error(field, expected):
    return bad_request("Cannot deserialize value of type `%s` for field `%s`" % (expected, field))


def _is_str_list(v):
    return isinstance(v, list) and all(isinstance(x, str) for x in v)


def _check_stream_body(s, i):
    where = "configurations.streams[%d]" % i
    if not isinstance(s, dict):
        raise _type_error(where, "StreamConfiguration")
    if not isinstance(s.get("name"), str):
        raise bad_request("Missing required creator property 'name' for StreamConfiguration (%s)" % where)
    if s.get("namespace") is not None and not isinstance(s["namespace"], str):
        raise _type_error(where + ".namespace", "String")
    mode = s.get("syncMode")
    if mode is not None and mode not in catalog.SYNC_MODES:
        raise enum_error("ConnectionSyncModeEnum", mode, catalog.SYNC_MODES)
    if s.get("cursorField") is not None and not _is_str_list(s["cursorField"]):
        raise _type_error(where + ".cursorField", "List<String>")
    pk = s.get("primaryKey")
    if pk is not None and not (isinstance(pk, list) and all(_is_str_list(p) for p in pk)):
        raise _type_error(where + ".primaryKey", "List<List<String>>")
    sf = s.get("selectedFields")
    if sf is not None and not (isinstance(sf, list) and all(
            isinstance(f, dict) and (f.get("fieldPath") is None or _is_str_list(f["fieldPath"]))
            for f in sf)):
        raise _type_error(where + ".selectedFields", "List<SelectedFieldInfo>")
    if s.get("includeFiles") is not None and not isinstance(s["includeFiles"], bool):
        raise _type_error(where + ".includeFiles", "Boolean")
    mappers = s.get("mappers")
    if mappers is not None:
        if not isinstance(mappers, list) or not all(isinstance(m, dict) for m in mappers):
            raise _type_error(where + ".mappers", "List<ConfiguredStreamMapper>")
        for m in mappers:
            if m.get("type") not in MAPPER_TYPES:
                raise enum_error("StreamMapperType", m.get("type"), MAPPER_TYPES)
            if not isinstance(m.get("mapperConfiguration"), dict):
                raise bad_request("Missing required creator property 'mapperConfiguration' for "
                                  "ConfiguredStreamMapper (%s.mappers)" % where)


def check_patch_body(body):
    if not isinstance(body, dict):
        raise bad_request("Cannot deserialize value of type `ConnectionPatchRequest` from non-object")
    for field in ("name", "prefix", "namespaceFormat", "dataResidency"):
        if body.get(field) is not None and not isinstance(body[field], str):
            raise _type_error(field, "String")
    for field, type_name, allowed in (("status", "ConnectionStatusEnum", STATUSES),
                                      ("namespaceDefinition", "NamespaceDefinitionEnumNoDefault",
                                       NAMESPACE_DEFINITIONS),
                                      ("nonBreakingSchemaUpdatesBehavior",
                                       "NonBreakingSchemaUpdatesBehaviorEnum", NON_BREAKING)):
        v = body.get(field)
        if v is not None and v not in allowed:
            raise enum_error(type_name, v, allowed)
    sched = body.get("schedule")
    if sched is not None:
        if not isinstance(sched, dict):
            raise _type_error("schedule", "AirbyteApiConnectionSchedule")
        st = sched.get("scheduleType")
        if st is None:
            raise bad_request("Missing required creator property 'scheduleType' for "
                              "AirbyteApiConnectionSchedule")
        if st not in SCHEDULE_TYPES:
            raise enum_error("ScheduleTypeEnum", st, SCHEDULE_TYPES)
        if sched.get("cronExpression") is not None and not isinstance(sched["cronExpression"], str):
            raise _type_error("schedule.cronExpression", "String")
    confs = body.get("configurations")
    if confs is not None:
        if not isinstance(confs, dict):
            raise _type_error("configurations", "StreamConfigurations")
        streams = confs.get("streams")
        if streams is not None:
            if not isinstance(streams, list):
                raise _type_error("configurations.streams", "Set<StreamConfiguration>")
            for i, s in enumerate(streams):
                _check_stream_body(s, i)
    tags = body.get("tags")
    if tags is not None:
        if not isinstance(tags, list) or not all(isinstance(t, dict) and isinstance(t.get("tagId"), str)
                                                 for t in tags):
            raise _type_error("tags", "List<Tag>")


# --- stream validation (AirbyteCatalogHelper.getValidConfiguredStreams) ---------------------------

def _stream_fields(schema, prefix=()):
    out = []
    for name, sub in (schema.get("properties") or {}).items():
        path = list(prefix) + [name]
        out.append(path)
        if isinstance(sub, dict):
            out.extend(_stream_fields(sub, path))
    return out


def _find_stream(discovered, name, namespace):
    matches = [s for s in discovered if s["name"] == name]
    if len(matches) == 1:
        return matches[0]
    exact = [s for s in matches if s.get("namespace") == namespace]
    if len(exact) == 1:
        return exact[0]
    word = "Multiple" if exact else "No"
    raise bad_request("%s streams found with name [%s] and namespace [%s]. Please call the "
                      "https://reference.airbyte.com/reference/getstreamproperties endpoint to see the "
                      "valid stream name and namespace combinations." % (word, name, kt(namespace)))


def _select_cursor(st, conf):
    if st.get("sourceDefinedCursor"):
        return list(st.get("defaultCursorField") or [])
    if conf.get("cursorField"):
        return list(conf["cursorField"])
    return list(st.get("defaultCursorField") or [])


def _select_pk(st, conf):
    return [list(p) for p in (st.get("sourceDefinedPrimaryKey") or conf.get("primaryKey") or [])]


def _validate_field_selection(conf, st):
    selected = conf.get("selectedFields")
    if selected is None:
        return
    top = list((st["jsonSchema"].get("properties") or {}).keys())
    if not selected:
        raise bad_request("No fields selected for stream %s. The list of valid field names includes: %s."
                          % (st["name"], kt(top)))
    names = []
    for f in selected:
        path = f.get("fieldPath")
        if not path:
            raise bad_request("Selected field path cannot be empty for stream:  %s." % st["name"])
        if len(path) > 1:
            raise bad_request("Nested field selection not supported for stream %s." % st["name"])
        names.append(path[0])
    if len(set(names)) != len(names):
        raise bad_request("Duplicate fields selected in configuration for stream: %s." % st["name"])
    if not all(n in top for n in names):
        raise bad_request("Invalid fields selected for stream %s. The list of valid field names includes: "
                          "%s." % (st["name"], kt(top)))
    mode = conf.get("syncMode")
    if mode in ("incremental_deduped_history", "full_refresh_overwrite_deduped", "incremental_update",
                "full_refresh_update"):
        pk_fields = [p[0] for p in _select_pk(st, conf) if p]
        if not all(p in names for p in pk_fields):
            raise bad_request("Primary key fields are not selected properly for stream: %s. Please include "
                              "primary key(s) in the configuration for this stream." % st["name"])
    if mode and mode.startswith("incremental"):
        cursor = _select_cursor(st, conf)
        if cursor and cursor[0] not in names:
            raise bad_request("Cursor field is not selected properly for stream: %s. Please include the "
                              "cursor field in selected fields for this stream." % st["name"])


def valid_modes(st, dest_modes):
    out = []
    for mode, (src, dst) in catalog.MODE_PAIRS.items():
        # The server's reverse mapping only knows these five combinations.
        if mode not in ("full_refresh_overwrite", "full_refresh_append", "full_refresh_overwrite_deduped",
                        "incremental_append", "incremental_deduped_history"):
            continue
        if src in st["supportedSyncModes"] and dst in dest_modes:
            out.append(mode)
    return out


def _validate_cursor(conf, st):
    cursor = conf.get("cursorField")
    if st.get("sourceDefinedCursor"):
        if cursor and set(cursor) != set(st.get("defaultCursorField") or []):
            raise bad_request("Cursor Field %s is already defined by source for stream: %s. Do not include a "
                              "cursor field configuration for this stream." % (kt(cursor), st["name"]))
    elif cursor:
        fields = _stream_fields(st["jsonSchema"])
        if list(cursor) not in fields:
            raise bad_request("Invalid cursor field for stream: %s. The list of valid cursor fields include: "
                              "%s." % (st["name"], kt(fields)))
    elif not st.get("defaultCursorField"):
        raise bad_request("No default cursor field for stream: %s. Please include a cursor field "
                          "configuration for this stream." % st["name"])


def _validate_pk(conf, st):
    pk = conf.get("primaryKey")
    source_pk = st.get("sourceDefinedPrimaryKey") or []
    if source_pk and pk and [list(p) for p in source_pk] != [list(p) for p in pk]:
        raise bad_request("Primary key for stream: %s is already pre-defined. Please remove the primaryKey or "
                          "provide the value as %s." % (st["name"], kt(source_pk)))
    if not pk and not source_pk:
        raise bad_request("No default primary key for stream: %s. Please include a primary key "
                          "configuration for this stream." % st["name"])
    fields = _stream_fields(st["jsonSchema"])
    for key in pk or []:
        if list(key) not in fields:
            raise bad_request("Invalid primary key for stream: %s. The list of valid primary keys fields: %s."
                              % (st["name"], kt(fields)))
        if len(set(key)) != len(key):
            raise bad_request("Duplicate primary key detected for stream: %s, please don't provide the same "
                              "column more than once. Key: %s" % (st["name"], kt(pk)))


def _validate_stream(conf, st, dest_modes):
    _validate_field_selection(conf, st)
    mode = conf.get("syncMode")
    if mode is None or mode == "full_refresh_overwrite":
        return
    modes = valid_modes(st, dest_modes)
    if mode not in modes:
        raise bad_request("Cannot set sync mode to %s for stream %s. Valid sync modes are: %s"
                          % (mode, conf["name"], kt(modes)))
    if mode in ("incremental_append", "incremental_deduped_history"):
        _validate_cursor(conf, st)
    if mode in ("incremental_deduped_history", "full_refresh_update", "incremental_update"):
        _validate_pk(conf, st)


def _configured(conf, st):
    """toAirbyteStreamConfiguration, in internal shape."""
    mode = conf.get("syncMode") or "full_refresh_overwrite"
    default_cursor = list(st.get("defaultCursorField") or [])
    default_pk = [list(p) for p in st.get("sourceDefinedPrimaryKey") or []]
    if mode.startswith("incremental"):
        cursor, pk = _select_cursor(st, conf), _select_pk(st, conf)
    elif mode in ("full_refresh_overwrite", "full_refresh_append") or conf.get("syncMode") is None:
        cursor, pk = default_cursor, default_pk
    else:
        cursor, pk = default_cursor, _select_pk(st, conf)
    selected = conf.get("selectedFields")
    out = {"name": st["name"], "namespace": st.get("namespace"), "syncMode": mode,
           "cursorField": cursor, "primaryKey": pk,
           "selectedFields": None if selected is None else [list(f["fieldPath"]) for f in selected]}
    if conf.get("includeFiles") is not None:
        out["includeFiles"] = conf["includeFiles"]
    if conf.get("destinationObjectName"):
        out["destinationObjectName"] = conf["destinationObjectName"]
    if conf.get("mappers"):
        out["mappers"] = copy.deepcopy(conf["mappers"])
    return out


def configured_streams(stream_confs, discovered, dest_modes):
    seen = set()
    out = []
    for conf in stream_confs:
        st = _find_stream(discovered, conf["name"], conf.get("namespace"))
        _validate_stream(conf, st, dest_modes)
        mapped = _configured(conf, st)
        key = (conf["name"], conf.get("namespace"))
        if key in seen:
            raise bad_request("Duplicate stream found in configuration for stream name [%s] in namespace [%s]."
                              % (conf["name"], kt(conf.get("namespace"))))
        seen.add(key)
        out.append(mapped)
    return out


def tag_ids(body_tags, tag_lookup):
    """The tag ids of a request's `tags` (Tag objects): each must be a tag of the workspace."""
    out = []
    for t in body_tags:
        if t["tagId"] not in tag_lookup:
            raise bad_request("Tag %s does not exist in this workspace" % t["tagId"])
        if t["tagId"] not in out:
            out.append(t["tagId"])
    return out


def patch(c, body, discovered, dest_modes, tag_lookup):
    """Validate `body` against connection `c` and return the changes to apply (a dict).

    Raises ApiError exactly where the real server would; `c` itself is not modified."""
    sched = body.get("schedule")
    if sched is not None and sched.get("scheduleType") == "cron":
        message = cron.check(sched.get("cronExpression"))
        if message:
            raise bad_request(message)
    changes = {}
    streams = (body.get("configurations") or {}).get("streams")
    if streams:
        changes["streams"] = configured_streams(streams, discovered, dest_modes)
    if c["status"] == "locked":
        raise connection_locked(c["connectionId"], c.get("statusReason"))
    for field in ("name", "prefix", "namespaceDefinition", "namespaceFormat",
                  "nonBreakingSchemaUpdatesBehavior", "status"):
        if body.get(field) is not None:
            changes[field] = body[field]
    if body.get("tags") is not None:
        changes["tags"] = tag_ids(body["tags"], tag_lookup)
    if sched is not None:
        if sched["scheduleType"] == "manual":
            changes["schedule"] = {"scheduleType": "manual"}
        else:
            changes["schedule"] = {"scheduleType": "cron",
                                   "cronExpression": cron.normalize(sched["cronExpression"])}
    return changes


def new_connection(body, src, dst, discovered, dest_modes, tag_lookup, now):
    """A connection made by POST /connections (body already type-checked), in internal shape.
    tag_lookup: tagId -> Tag of the workspace."""
    sched = body.get("schedule") or {"scheduleType": "manual"}
    if sched.get("scheduleType") == "cron":
        message = cron.check(sched.get("cronExpression"))
        if message:
            raise bad_request(message)
        schedule = {"scheduleType": "cron", "cronExpression": cron.normalize(sched["cronExpression"])}
    else:
        schedule = {"scheduleType": "manual"}
    streams = (body.get("configurations") or {}).get("streams")
    if streams:
        configured = configured_streams(streams, discovered, dest_modes)
    else:
        configured = [_configured({"name": st["name"], "namespace": st.get("namespace")}, st) for st in discovered]
    tags = tag_ids(body.get("tags") or [], tag_lookup)
    return {
        "connectionId": str(uuid.uuid4()),
        "name": body.get("name") or "%s → %s" % (src["name"], dst["name"]),
        "sourceId": src["sourceId"], "destinationId": dst["destinationId"], "workspaceId": src["workspaceId"],
        "status": body.get("status") or "active", "schedule": schedule,
        "nonBreakingSchemaUpdatesBehavior": body.get("nonBreakingSchemaUpdatesBehavior") or "ignore",
        "namespaceDefinition": body.get("namespaceDefinition") or "destination",
        "namespaceFormat": body.get("namespaceFormat"),
        "prefix": body.get("prefix") or "", "streams": configured, "createdAt": now, "tags": tags,
    }


# --- admin merge (a change made "in the web UI": no validation) ------------------------------------

def parse_schedule_loose(s):
    t = s.get("scheduleType", "manual")
    if t == "cron":
        return {"scheduleType": "cron", "cronExpression": cron.normalize(s.get("cronExpression") or "")}
    if t == "basic":
        if "units" in s:
            return {"scheduleType": "basic", "units": int(s["units"]),
                    "timeUnit": str(s.get("timeUnit", "hours")).lower()}
        parts = (s.get("basicTiming") or "Every 24 HOURS").split()
        return {"scheduleType": "basic", "units": int(parts[1]), "timeUnit": parts[2].lower()}
    return {"scheduleType": "manual"}


def stream_from_public(s):
    selected = s.get("selectedFields")
    return {"name": s["name"], "namespace": s.get("namespace"),
            "syncMode": s.get("syncMode") or "full_refresh_overwrite",
            "cursorField": list(s.get("cursorField") or []),
            "primaryKey": [list(p) for p in s.get("primaryKey") or []],
            "selectedFields": [list(f["fieldPath"]) for f in selected] if selected else None}


def admin_merge(c, body):
    """Apply a ConnectionResponse-shaped merge patch to `c` in place, without validation."""
    for key, value in body.items():
        if key == "schedule":
            c["schedule"] = parse_schedule_loose(value or {})
        elif key == "configurations":
            c["streams"] = [stream_from_public(s) for s in (value or {}).get("streams") or []]
        elif key == "connectionId":
            continue
        elif key == "tags":
            c["tags"] = [t["tagId"] if isinstance(t, dict) else t for t in value or []]
        elif value is None:
            c.pop(key, None)
        else:
            c[key] = copy.deepcopy(value)
