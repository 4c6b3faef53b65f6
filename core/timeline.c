/* timeline.c — a connection's events as a file (timeline.h). */
#include "timeline.h"
#include "cache.h"
#include "error.h"
#include "jobs.h"
#include "json_util.h"
#include "text.h"

#include <errno.h>
#include <string.h>

struct AbfsTimeline {
    AbfsClient *client; /* set at creation, then read-only */
    AbfsCache *events;  /* connection id → the events array (callers get deep copies); thread-safe */
};

static gpointer json_copy(gpointer value)
{
    json_object *copy = NULL;
    json_object_deep_copy(value, &copy, NULL);
    return copy;
}

AbfsTimeline *abfs_timeline_new(AbfsClient *client, guint ttl_ms)
{
    AbfsTimeline *t = g_new0(AbfsTimeline, 1);
    t->client = client;
    AbfsCacheOptions options = {.ttl_ms = ttl_ms, .copy = json_copy, .free = abfs_json_free};
    t->events = abfs_cache_new(&options);
    return t;
}

void abfs_timeline_free(AbfsTimeline *t)
{
    if (!t)
        return;
    abfs_cache_free(t->events);
    g_free(t);
}

void abfs_timeline_invalidate(AbfsTimeline *t)
{
    abfs_cache_forget(t->events, NULL);
}

void abfs_timeline_forget(AbfsTimeline *t, const char *connection_id)
{
    abfs_cache_forget(t->events, connection_id);
}

static gpointer fetch_events(const char *connection_id, gpointer previous, gpointer data, GError **error)
{
    (void)previous;
    AbfsClient *client = data;
    json_object *body = json_object_new_object(), *pagination = json_object_new_object(), *answer = NULL;
    json_object_object_add(body, "connectionId", json_object_new_string(connection_id));
    json_object_object_add(pagination, "pageSize", json_object_new_int(ABFS_TIMELINE_EVENTS));
    json_object_object_add(pagination, "rowOffset", json_object_new_int(0));
    json_object_object_add(body, "pagination", pagination);
    gboolean ok = abfs_client_call(client, ABFS_API_CONFIG, "POST", "/connections/events/list", body,
                                   ABFS_CALL_IDEMPOTENT, &answer, error);
    json_object_put(body);
    if (!ok) {
        /* the connection exists (the caller checked): a 404 is the Config API's */
        if (error && *error && ((*error)->code == ENOENT || (*error)->code == ENOTSUP)) {
            const char *root = abfs_client_config(client)->config_api_root;
            g_prefix_error(error, "the timeline needs the Config API (%s): ", root ? root : "unknown");
            (*error)->code = ENOTSUP;
        }
        return NULL;
    }
    json_object *events = json_object_object_get(answer, "events");
    if (!json_object_is_type(events, json_type_array)) {
        json_object_put(answer);
        g_set_error(error, ABFS_ERROR, EIO, "POST /connections/events/list: the answer has no events array");
        return NULL;
    }
    json_object_get(events);
    json_object_put(answer);
    return events;
}

static gint64 created_at(json_object *event)
{
    json_object *v = json_object_object_get(event, "createdAt");
    return json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : 0;
}

static gint newest_first(gconstpointer a, gconstpointer b, gpointer data)
{
    (void)data;
    gint64 ta = created_at(*(json_object *const *)a), tb = created_at(*(json_object *const *)b);
    return ta < tb ? 1 : ta > tb ? -1 : 0;
}

static void append_compact(GString *out, json_object *value)
{
    char *text = abfs_json_compact(value);
    g_string_append(out, text);
    g_free(text);
}

/* What changed, for one event's summary. */
static void append_what(GString *out, json_object *summary)
{
    json_object *job = json_object_object_get(summary, "jobId");
    json_object *patches = json_object_object_get(summary, "patches");
    if (json_object_is_type(job, json_type_int)) {
        const char *type = abfs_json_string(summary, "jobType");
        g_string_append_printf(out, "job %" G_GINT64_FORMAT "%s%s", json_object_get_int64(job), type ? " " : "",
                               type ? type : "");
        json_object *records = json_object_object_get(summary, "recordsLoaded");
        json_object *bytes = json_object_object_get(summary, "bytesLoaded");
        if (json_object_is_type(records, json_type_int))
            g_string_append_printf(out, ": %" G_GINT64_FORMAT " records, %" G_GINT64_FORMAT " bytes",
                                   json_object_get_int64(records), json_object_get_int64(bytes));
    } else if (json_object_is_type(patches, json_type_object)) {
        gboolean first = TRUE;
        json_object *sorted = abfs_json_sorted_copy(patches);
        json_object_object_foreach (sorted, field, change) {
            g_string_append_printf(out, "%s%s: ", first ? "" : "; ", field);
            append_compact(out, json_object_object_get(change, "from"));
            g_string_append(out, " -> ");
            append_compact(out, json_object_object_get(change, "to"));
            first = FALSE;
        }
        json_object_put(sorted);
    } else if (json_object_is_type(summary, json_type_object) && json_object_object_length(summary) > 0)
        append_compact(out, summary);
}

char *abfs_timeline_text(json_object *events)
{
    gsize n = json_object_is_type(events, json_type_array) ? json_object_array_length(events) : 0;
    json_object **sorted = g_new0(json_object *, n + 1);
    for (gsize i = 0; i < n; i++)
        sorted[i] = json_object_array_get_idx(events, i);
    /* the server sends them newest first; a stable sort keeps its order within a second */
    g_qsort_with_data(sorted, (gint)n, sizeof *sorted, newest_first, NULL);
    GString *out = g_string_new(NULL);
    for (gsize i = 0; i < n; i++) {
        json_object *e = sorted[i];
        json_object *user = json_object_object_get(e, "user");
        const char *who = abfs_json_string(user, "email");
        if (!who || !*who)
            who = abfs_json_string(user, "name");
        GString *what = g_string_new(NULL);
        append_what(what, json_object_object_get(e, "summary"));
        const char *type = abfs_json_string(e, "eventType");
        char *fields[] = {abfs_epoch_iso(created_at(e)), g_strdup(type ? type : "UNKNOWN"),
                          g_strdup(who && *who ? who : "-"), g_string_free(what, FALSE)};
        for (gsize k = 0; k < G_N_ELEMENTS(fields); k++) {
            abfs_text_replace_controls(fields[k], ' '); /* one line, four fields, whatever was sent */
            g_string_append_printf(out, "%s%c", fields[k], k + 1 < G_N_ELEMENTS(fields) ? '\t' : '\n');
            g_free(fields[k]);
        }
    }
    g_free(sorted);
    return g_string_free(out, FALSE);
}

char *abfs_timeline_read(AbfsTimeline *t, const char *connection_id, gboolean json, GError **error)
{
    json_object *events = abfs_cache_get(t->events, connection_id, fetch_events, t->client, error);
    if (!events)
        return NULL;
    char *text = json ? abfs_json_pretty(events) : abfs_timeline_text(events);
    json_object_put(events);
    return text;
}
