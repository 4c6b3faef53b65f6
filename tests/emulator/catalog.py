# Streams: the discovered catalog of a source, the configured streams of a connection, and the
# translation between the public API's combined sync modes and the Config API's pair of modes.
#
# Internal configured stream: {"name", "namespace" (or None), "syncMode" (public enum value),
# "cursorField": [..], "primaryKey": [[..]..], "selectedFields": None (all fields) or [[path]..]}.

import copy

# public ConnectionSyncModeEnum -> (source SyncMode, DestinationSyncMode)
MODE_PAIRS = {
    "full_refresh_overwrite": ("full_refresh", "overwrite"),
    "full_refresh_overwrite_deduped": ("full_refresh", "overwrite_dedup"),
    "full_refresh_append": ("full_refresh", "append"),
    "full_refresh_update": ("full_refresh", "update"),
    "full_refresh_soft_delete": ("full_refresh", "soft_delete"),
    "incremental_append": ("incremental", "append"),
    "incremental_deduped_history": ("incremental", "append_dedup"),
    "incremental_update": ("incremental", "update"),
    "incremental_soft_delete": ("incremental", "soft_delete"),
}
PAIR_MODES = {v: k for k, v in MODE_PAIRS.items()}
SYNC_MODES = list(MODE_PAIRS)


def mode_from_pair(sync_mode, dest_mode):
    """What the real read mapper does: unknown pairs read back as full_refresh_overwrite."""
    return PAIR_MODES.get((sync_mode, dest_mode), "full_refresh_overwrite")


def needs_cursor(mode):
    return mode.startswith("incremental")


def needs_primary_key(mode):
    return "dedup" in mode or mode.endswith("_update")


def find_streams(catalog, name, namespace=None):
    """Discovered streams named `name` (and in `namespace` when given)."""
    found = [s for s in catalog if s["name"] == name]
    if namespace is not None:
        found = [s for s in found if (s.get("namespace") or None) == (namespace or None)]
    return found


def property_names(stream):
    return list(stream["jsonSchema"].get("properties", {}))


def render_stream(s):
    """A configured stream as the public API's StreamConfiguration."""
    out = {"name": s["name"]}
    if s.get("namespace"):
        out["namespace"] = s["namespace"]
    out["syncMode"] = s["syncMode"]
    out["cursorField"] = list(s.get("cursorField") or [])
    out["primaryKey"] = [list(p) for p in (s.get("primaryKey") or [])]
    out["includeFiles"] = bool(s.get("includeFiles", False))
    if s.get("destinationObjectName"):
        out["destinationObjectName"] = s["destinationObjectName"]
    # The real server's quirk: no field selection reads back as an empty list.
    out["selectedFields"] = [{"fieldPath": list(p)} for p in (s.get("selectedFields") or [])]
    out["mappers"] = copy.deepcopy(s.get("mappers") or [])
    return out


def stream_properties(catalog, dest_modes):
    """GET /streams: StreamProperties for each discovered stream."""
    out = []
    for st in catalog:
        modes = [m for m, (src, dst) in MODE_PAIRS.items()
                 if src in st["supportedSyncModes"] and dst in dest_modes]
        item = {"streamName": st["name"]}
        if st.get("namespace"):
            item["streamnamespace"] = st["namespace"]
        item.update({
            "syncModes": modes,
            "defaultCursorField": list(st.get("defaultCursorField") or []),
            "sourceDefinedCursorField": bool(st.get("sourceDefinedCursor")),
            "sourceDefinedPrimaryKey": [list(p) for p in st.get("sourceDefinedPrimaryKey") or []],
            "propertyFields": [[p] for p in property_names(st)],
        })
        out.append(item)
    return out


# --- Config API shapes ---------------------------------------------------------------------------

def config_stream(st):
    """A discovered stream as the Config API's AirbyteStream."""
    out = {"name": st["name"], "jsonSchema": copy.deepcopy(st["jsonSchema"]),
           "supportedSyncModes": list(st["supportedSyncModes"]),
           "sourceDefinedCursor": bool(st.get("sourceDefinedCursor")),
           "defaultCursorField": list(st.get("defaultCursorField") or []),
           "sourceDefinedPrimaryKey": [list(p) for p in st.get("sourceDefinedPrimaryKey") or []],
           "isResumable": bool(st.get("isResumable", True)),
           "isFileBased": bool(st.get("isFileBased", False))}
    if st.get("namespace"):
        out["namespace"] = st["namespace"]
    return out


def config_stream_config(st, configured, prefix=""):
    """AirbyteStreamConfiguration for a discovered stream; `configured` None means unselected."""
    if configured is None:
        sync_mode = "incremental" if ("incremental" in st["supportedSyncModes"]
                                      and st.get("sourceDefinedCursor")) else "full_refresh"
        dest_mode = "append" if sync_mode == "incremental" else "overwrite"
        cursor = list(st.get("defaultCursorField") or [])
        pk = [list(p) for p in st.get("sourceDefinedPrimaryKey") or []]
        selected_fields = None
    else:
        sync_mode, dest_mode = MODE_PAIRS[configured["syncMode"]]
        cursor = list(configured.get("cursorField") or [])
        pk = [list(p) for p in configured.get("primaryKey") or []]
        selected_fields = configured.get("selectedFields")
    out = {"syncMode": sync_mode, "cursorField": cursor, "destinationSyncMode": dest_mode,
           "primaryKey": pk, "aliasName": st["name"], "selected": configured is not None,
           "suggested": True, "includeFiles": False,
           "fieldSelectionEnabled": selected_fields is not None,
           "selectedFields": [{"fieldPath": list(p)} for p in selected_fields or []],
           "hashedFields": [], "mappers": [], "minimumGenerationId": 0, "generationId": 0,
           "syncId": 0}
    if st.get("namespace"):
        out["namespace"] = st["namespace"]
    return out


def config_catalog(discovered, configured_streams):
    """syncCatalog of web_backend/connections/get: ALL discovered streams, selected or not."""
    by_key = {(s["name"], s.get("namespace") or None): s for s in configured_streams}
    out = []
    for st in discovered:
        conf = by_key.get((st["name"], st.get("namespace") or None))
        out.append({"stream": config_stream(st), "config": config_stream_config(st, conf)})
    return {"streams": out}


def config_selected_catalog(discovered, configured_streams):
    """syncCatalog of connections/get: only the selected streams (the stored catalog)."""
    keys = {(s["name"], s.get("namespace") or None) for s in configured_streams}
    full = config_catalog(discovered, configured_streams)
    return {"streams": [e for e in full["streams"]
                        if (e["stream"]["name"], e["stream"].get("namespace")) in keys]}
