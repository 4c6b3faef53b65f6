/* stream_actions.c — one stream's state, last sync, refresh and clear over the Config API
 * (stream_actions.h). */
#include "stream_actions.h"
#include "cache.h"
#include "error.h"
#include "jobs.h"
#include "json_util.h"
#include "stream_files.h"

#include <errno.h>
#include <string.h>

struct AbfsStreams {
    /* Set at creation, then read-only. */
    AbfsClient *client;
    AbfsArtifacts *artifacts; /* keeps each connection's state (thread-safe) */
    AbfsCache *lasts; /* connection id → ConnectionLastJobPerStreamRead (callers get deep copies); thread-safe */
};

static gpointer json_copy(gpointer value)
{
    json_object *copy = NULL;
    json_object_deep_copy(value, &copy, NULL);
    return copy;
}

AbfsStreams *abfs_streams_new(AbfsClient *client, AbfsArtifacts *artifacts, guint ttl_ms)
{
    AbfsStreams *streams = g_new0(AbfsStreams, 1);
    streams->client = client;
    streams->artifacts = artifacts;
    AbfsCacheOptions options = {.ttl_ms = ttl_ms, .copy = json_copy, .free = abfs_json_free};
    streams->lasts = abfs_cache_new(&options);
    return streams;
}

void abfs_streams_free(AbfsStreams *streams)
{
    if (!streams)
        return;
    abfs_cache_free(streams->lasts);
    g_free(streams);
}

void abfs_streams_invalidate(AbfsStreams *streams)
{
    abfs_cache_forget(streams->lasts, NULL);
}

void abfs_streams_forget(AbfsStreams *streams, const char *connection_id)
{
    abfs_cache_forget(streams->lasts, connection_id);
}

/* After a change to a connection's streams: its next reads ask the server. */
static void forget(AbfsStreams *streams, json_object *conn)
{
    const char *id = abfs_json_string(conn, "connectionId");
    abfs_artifacts_forget(streams->artifacts, id);
    abfs_streams_forget(streams, id);
}

/* The stream labelled label: its name and namespace (borrowed from *stream, a new reference). */
static gboolean resolve(json_object *conn, const char *label, json_object **stream, GError **error)
{
    *stream = abfs_stream_of(conn, label);
    if (!*stream)
        g_set_error(error, ABFS_ERROR, ENOENT, "the connection has no selected stream %s", label);
    return *stream != NULL;
}

static const char *namespace_of(json_object *obj, const char *key)
{
    const char *ns = abfs_json_string(obj, key);
    return ns && *ns ? ns : NULL;
}

/* A Config API POST; a missing Config API becomes ENOTSUP, saying what needs it. */
static gboolean config_post(AbfsClient *client, const char *path, json_object *body, AbfsCallFlags flags,
                            json_object **answer, GError **error)
{
    gboolean ok = abfs_client_call(client, ABFS_API_CONFIG, "POST", path, body, flags, answer, error);
    /* the connection exists (the caller read it from the public API): a 404 is the Config API's */
    if (!ok && error && *error && ((*error)->code == ENOENT || (*error)->code == ENOTSUP)) {
        const char *root = abfs_client_config(client)->config_api_root;
        g_prefix_error(error, "per-stream state, last_sync, refresh and clear need the Config API (%s): ",
                       root ? root : "unknown");
        (*error)->code = ENOTSUP;
    }
    return ok;
}

/* {"streamName", "streamNamespace"} of a stream, as refresh and clear take it. */
static json_object *connection_stream(json_object *stream)
{
    json_object *cs = json_object_new_object();
    json_object_object_add(cs, "streamName", json_object_new_string(abfs_json_string(stream, "name")));
    const char *ns = namespace_of(stream, "namespace");
    if (ns)
        json_object_object_add(cs, "streamNamespace", json_object_new_string(ns));
    return cs;
}

static json_object *body_for(json_object *conn)
{
    json_object *body = json_object_new_object();
    json_object_object_add(body, "connectionId", json_object_new_string(abfs_json_string(conn, "connectionId")));
    return body;
}

/* ---- state ---- */

/* The connection state (a new reference): the one state.json keeps, or (fresh) read now. */
static json_object *read_state(AbfsStreams *streams, json_object *conn, gboolean fresh, GError **error)
{
    const char *id = abfs_json_string(conn, "connectionId");
    if (fresh)
        abfs_artifacts_forget(streams->artifacts, id);
    char *text = abfs_artifacts_text(streams->artifacts, id, ABFS_ARTIFACT_STATE, error);
    if (!text)
        return NULL;
    json_object *state = abfs_json_parse_trusted(text);
    g_free(text);
    if (!json_object_is_type(state, json_type_object)) {
        json_object_put(state);
        g_set_error(error, ABFS_ERROR, EIO, "POST /state/get: the answer is not a ConnectionState");
        return NULL;
    }
    return state;
}

/* The array of per-stream entries of a state (borrowed), creating it for not_set when create;
 * NULL with ENOTSUP for a legacy state. */
static json_object *stream_entries(json_object *state, gboolean create, GError **error)
{
    const char *type = abfs_json_string(state, "stateType");
    json_object *holder = state;
    const char *key = "streamState";
    if (g_strcmp0(type, "global") == 0) {
        holder = json_object_object_get(state, "globalState");
        key = "streamStates";
    } else if (g_strcmp0(type, "stream") != 0 && g_strcmp0(type, "not_set") != 0 && type) {
        g_set_error(error, ABFS_ERROR, ENOTSUP,
                    "the connection's state is %s: one state for every stream, with no per-stream part "
                    "(edit the connection's state.json)",
                    type);
        return NULL;
    }
    json_object *entries = json_object_object_get(holder, key);
    if (!json_object_is_type(entries, json_type_array)) {
        if (!create || !json_object_is_type(holder, json_type_object))
            return NULL;
        if (!type || strcmp(type, "not_set") == 0)
            json_object_object_add(state, "stateType", json_object_new_string("stream"));
        entries = json_object_new_array();
        json_object_object_add(holder, key, entries);
    }
    return entries;
}

/* The index in entries of the stream's entry, or -1. */
static int entry_of(json_object *entries, json_object *stream)
{
    const char *name = abfs_json_string(stream, "name");
    const char *ns = namespace_of(stream, "namespace");
    for (gsize i = 0; entries && i < json_object_array_length(entries); i++) {
        json_object *desc = json_object_object_get(json_object_array_get_idx(entries, i), "streamDescriptor");
        if (g_strcmp0(abfs_json_string(desc, "name"), name) == 0 && g_strcmp0(namespace_of(desc, "namespace"), ns) == 0)
            return (int)i;
    }
    return -1;
}

/* The stream's state object in state (borrowed), or NULL when it has none. */
static json_object *stream_part(json_object *entries, json_object *stream)
{
    int i = entry_of(entries, stream);
    json_object *part = i >= 0 ? json_object_object_get(json_object_array_get_idx(entries, (gsize)i), "streamState")
                               : NULL;
    return json_object_is_type(part, json_type_object) && json_object_object_length(part) > 0 ? part : NULL;
}

char *abfs_stream_state_read(AbfsStreams *streams, json_object *conn, const char *label, GError **error)
{
    json_object *stream = NULL;
    if (!resolve(conn, label, &stream, error))
        return NULL;
    json_object *state = read_state(streams, conn, FALSE, error);
    char *text = NULL;
    if (state) {
        GError *legacy = NULL;
        json_object *entries = stream_entries(state, FALSE, &legacy);
        if (legacy)
            g_propagate_error(error, legacy);
        else {
            json_object *part = stream_part(entries, stream);
            json_object *shown = part ? json_object_get(part) : json_object_new_object();
            text = abfs_json_pretty(shown);
            json_object_put(shown);
        }
    }
    json_object_put(state);
    json_object_put(stream);
    return text;
}

gboolean abfs_stream_state_write(AbfsStreams *streams, json_object *conn, const char *label, const char *text,
                                 gsize len, GError **error)
{
    json_object *value = abfs_json_parse(text, len, error);
    if (value && !json_object_is_type(value, json_type_object)) {
        g_set_error(error, ABFS_ERROR, EINVAL, "a stream's state.json must be a JSON object ({} for none)");
        json_object_put(value);
        value = NULL;
    }
    json_object *stream = NULL;
    if (!value || !resolve(conn, label, &stream, error)) {
        json_object_put(value);
        return FALSE;
    }
    AbfsClient *client = streams->client;
    gint64 saved = abfs_client_deadline_begin(client); /* read and write: one timeout */
    json_object *state = read_state(streams, conn, TRUE, error); /* what the server holds now */
    gboolean ok = state != NULL;
    json_object *entries = ok ? stream_entries(state, TRUE, error) : NULL;
    ok = ok && entries;
    gboolean empty = json_object_object_length(value) == 0;
    if (ok) {
        json_object *part = stream_part(entries, stream);
        gboolean same = part ? json_object_equal(part, value) : empty;
        if (!same) {
            int i = entry_of(entries, stream);
            if (empty)
                json_object_array_del_idx(entries, (gsize)i, 1);
            else if (i >= 0)
                json_object_object_add(json_object_array_get_idx(entries, (gsize)i), "streamState",
                                       json_object_get(value));
            else {
                json_object *entry = json_object_new_object(), *desc = json_object_new_object();
                json_object_object_add(desc, "name", json_object_new_string(abfs_json_string(stream, "name")));
                const char *ns = namespace_of(stream, "namespace");
                if (ns)
                    json_object_object_add(desc, "namespace", json_object_new_string(ns));
                json_object_object_add(entry, "streamDescriptor", desc);
                json_object_object_add(entry, "streamState", json_object_get(value));
                json_object_array_add(entries, entry);
            }
            json_object *body = body_for(conn);
            json_object_object_add(state, "connectionId", json_object_new_string(abfs_json_string(conn, "connectionId")));
            json_object_object_add(body, "connectionState", json_object_get(state));
            /* not retried: the server compares nothing, and a sync may start in between */
            ok = config_post(client, "/state/create_or_update_safe", body, ABFS_CALL_DEFAULT, NULL, error);
            json_object_put(body);
            forget(streams, conn);
        }
    }
    abfs_client_deadline_end(saved);
    json_object_put(state);
    json_object_put(stream);
    json_object_put(value);
    return ok;
}

/* ---- last sync ---- */

static gint64 int_of(json_object *obj, const char *key)
{
    json_object *v = json_object_object_get(obj, key);
    return json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : 0;
}

static gpointer fetch_lasts(const char *connection_id, gpointer previous, gpointer data, GError **error)
{
    (void)previous;
    json_object *body = json_object_new_object(), *items = NULL;
    json_object_object_add(body, "connectionId", json_object_new_string(connection_id));
    gboolean ok = config_post(data, "/connections/last_job_per_stream", body, ABFS_CALL_IDEMPOTENT, &items, error);
    json_object_put(body);
    if (ok && !json_object_is_type(items, json_type_array)) {
        g_set_error(error, ABFS_ERROR, EIO, "POST /connections/last_job_per_stream: the answer is not a list");
        ok = FALSE;
    }
    if (!ok) {
        json_object_put(items);
        return NULL;
    }
    return items;
}

char *abfs_stream_last_sync(AbfsStreams *streams, json_object *conn, const char *label, GError **error)
{
    json_object *stream = NULL;
    if (!resolve(conn, label, &stream, error))
        return NULL;
    json_object *items = abfs_cache_get(streams->lasts, abfs_json_string(conn, "connectionId"), fetch_lasts,
                                        streams->client, error);
    char *line = NULL;
    if (items) {
        const char *name = abfs_json_string(stream, "name");
        const char *ns = namespace_of(stream, "namespace");
        line = g_strdup("");
        for (gsize i = 0; i < json_object_array_length(items); i++) {
            json_object *it = json_object_array_get_idx(items, i);
            if (g_strcmp0(abfs_json_string(it, "streamName"), name) != 0 ||
                g_strcmp0(namespace_of(it, "streamNamespace"), ns) != 0)
                continue;
            const char *status = abfs_json_string(it, "jobStatus");
            char *ended = abfs_epoch_iso(int_of(it, "endedAt"));
            g_free(line);
            line = g_strdup_printf("%s\t%" G_GINT64_FORMAT "\t%" G_GINT64_FORMAT "\t%s\t%" G_GINT64_FORMAT "\n",
                                   status ? status : "unknown", int_of(it, "recordsCommitted"),
                                   int_of(it, "bytesCommitted"), ended, int_of(it, "jobId"));
            g_free(ended);
            break;
        }
    }
    json_object_put(items);
    json_object_put(stream);
    return line;
}

/* ---- refresh, clear ---- */

static gboolean start(AbfsStreams *streams, json_object *conn, const char *label, const char *path,
                      const char *refresh_mode, GError **error)
{
    json_object *stream = NULL;
    if (!resolve(conn, label, &stream, error))
        return FALSE;
    json_object *body = body_for(conn), *list = json_object_new_array();
    json_object_array_add(list, connection_stream(stream));
    if (refresh_mode)
        json_object_object_add(body, "refreshMode", json_object_new_string(refresh_mode));
    json_object_object_add(body, "streams", list);
    gint64 saved = abfs_client_deadline_begin(streams->client);
    /* never retried: a second one would start a second job */
    gboolean ok = config_post(streams->client, path, body, ABFS_CALL_DEFAULT, NULL, error);
    abfs_client_deadline_end(saved);
    forget(streams, conn);
    json_object_put(body);
    json_object_put(stream);
    return ok;
}

gboolean abfs_stream_refresh(AbfsStreams *streams, json_object *conn, const char *label, const char *text,
                             GError **error)
{
    char *word = g_strstrip(g_ascii_strdown(text, -1));
    const char *mode = !*word || strcmp(word, "merge") == 0 ? "Merge" : strcmp(word, "truncate") == 0 ? "Truncate" : NULL;
    g_free(word);
    if (!mode) {
        g_set_error(error, ABFS_ERROR, EINVAL, "refresh takes merge or truncate, not \"%s\"", text);
        return FALSE;
    }
    return start(streams, conn, label, "/connections/refresh", mode, error);
}

gboolean abfs_stream_clear(AbfsStreams *streams, json_object *conn, const char *label, GError **error)
{
    return start(streams, conn, label, "/connections/clear/stream", NULL, error);
}
