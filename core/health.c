/* health.c — connection health reports (health.h): computed from the Config API's batch status
 * call or, without the Config API, from the public listing of the workspace's jobs, and cached
 * for the mount's TTL in one cache.h entry. */
#include "health.h"
#include "cache.h"
#include "error.h"
#include "jobs.h"
#include "json_util.h"

#include <errno.h>
#include <string.h>

static const char *const words[] = {"failed", "running", "queued",  "locked", "paused",
                                    "not_synced", "healthy", "unknown", NULL};

const char *const *abfs_health_words(void)
{
    return words;
}

gboolean abfs_health_word_exists(const char *word)
{
    return g_strv_contains(words, word);
}

/* ---- reports ---- */

typedef struct {
    const char *word;  /* one of words[] */
    json_object *json; /* health.json's object */
    gint64 last_success;
} Item;

struct AbfsHealthReport {
    gint refs;
    gint64 computed_at;
    gboolean from_config_api;
    GHashTable *items;   /* connection id → Item */
    GHashTable *running; /* job id → connection id (strings owned here) */
    GHashTable *failed;  /* likewise */
};

static void item_free(gpointer p)
{
    Item *item = p;
    json_object_put(item->json);
    g_free(item);
}

static AbfsHealthReport *report_new(gint64 now_s, gboolean from_config_api)
{
    AbfsHealthReport *r = g_new0(AbfsHealthReport, 1);
    r->refs = 1;
    r->computed_at = now_s;
    r->from_config_api = from_config_api;
    r->items = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, item_free);
    r->running = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    r->failed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    return r;
}

AbfsHealthReport *abfs_health_report_ref(AbfsHealthReport *report)
{
    g_atomic_int_inc(&report->refs);
    return report;
}

void abfs_health_report_unref(AbfsHealthReport *report)
{
    if (!report || !g_atomic_int_dec_and_test(&report->refs))
        return;
    g_hash_table_unref(report->items);
    g_hash_table_unref(report->running);
    g_hash_table_unref(report->failed);
    g_free(report);
}

static char *iso_of(gint64 s)
{
    GDateTime *t = g_date_time_new_from_unix_utc(s);
    if (!t)
        return NULL;
    char *out = g_date_time_format(t, "%Y-%m-%dT%H:%M:%SZ");
    g_date_time_unref(t);
    return out;
}

static json_object *iso_or_null(gint64 s)
{
    char *iso = s >= 0 ? iso_of(s) : NULL;
    json_object *v = iso ? json_object_new_string(iso) : NULL;
    g_free(iso);
    return v;
}

static json_object *string_or_null(const char *s)
{
    return s ? json_object_new_string(s) : NULL;
}

/* The word for the API's connectionSyncStatus of a connection whose own status is conn_status. */
static const char *word_for(const char *sync_status, const char *conn_status)
{
    static const char *const map[][2] = {
        {"running", "running"},   {"queued", "queued"},      {"failed", "failed"},   {"incomplete", "failed"},
        {"pending", "not_synced"}, {"synced", "healthy"},
    };
    if (g_strcmp0(sync_status, "paused") == 0)
        return g_strcmp0(conn_status, "locked") == 0 ? "locked" : "paused";
    for (gsize i = 0; i < G_N_ELEMENTS(map); i++)
        if (g_strcmp0(sync_status, map[i][0]) == 0)
            return map[i][1];
    return "unknown";
}

/* The public API's job type for a Config API configType. */
static const char *job_type_of(const char *config_type)
{
    return g_strcmp0(config_type, "reset_connection") == 0 ? "reset" : config_type;
}

static json_object *job_object(gint64 id, const char *status, const char *type)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "id", json_object_new_int64(id));
    json_object_object_add(o, "status", string_or_null(status));
    if (type)
        json_object_object_add(o, "type", json_object_new_string(type));
    return o;
}

/* Adds the item of conn to r. sync: the status as the API (or the fallback) states it, NULL when
 * unknown; last/active/failure: health.json's members (taken, may be NULL). */
static void add_item(AbfsHealthReport *r, const AbfsHealthConnection *conn, const char *sync, gint64 last_success,
                     json_object *last, json_object *active, json_object *failure)
{
    Item *item = g_new0(Item, 1);
    item->word = sync ? word_for(sync, conn->status) : "unknown";
    item->last_success = last_success;
    json_object *o = json_object_new_object();
    json_object_object_add(o, "connection_id", json_object_new_string(conn->id));
    json_object_object_add(o, "health", json_object_new_string(item->word));
    json_object_object_add(o, "sync_status", string_or_null(sync));
    json_object_object_add(o, "last_success", iso_or_null(last_success));
    json_object_object_add(o, "last_job", last);
    json_object_object_add(o, "active_job", active);
    json_object_object_add(o, "failure", failure);
    json_object_object_add(o, "status_reason", string_or_null(conn->status_reason));
    json_object_object_add(o, "from", json_object_new_string(r->from_config_api ? "config_api" : "jobs"));
    json_object_object_add(o, "computed_at", iso_or_null(r->computed_at));
    item->json = o;
    if (active)
        g_hash_table_replace(r->running,
                             g_strdup_printf("%" G_GINT64_FORMAT, json_object_get_int64(json_object_object_get(active, "id"))),
                             g_strdup(conn->id));
    if (last && g_strcmp0(abfs_json_string(last, "status"), "failed") == 0)
        g_hash_table_replace(r->failed,
                             g_strdup_printf("%" G_GINT64_FORMAT, json_object_get_int64(json_object_object_get(last, "id"))),
                             g_strdup(conn->id));
    g_hash_table_replace(r->items, g_strdup(conn->id), item);
}

static gint64 int_member(json_object *o, const char *key, gint64 absent)
{
    json_object *v = json_object_object_get(o, key);
    return json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : absent;
}

/* health.json's failure from a FailureReason, or NULL. */
static json_object *failure_of(json_object *reason)
{
    if (!json_object_is_type(reason, json_type_object))
        return NULL;
    json_object *o = json_object_new_object();
    const char *message = abfs_json_string(reason, "externalMessage");
    json_object_object_add(o, "origin", string_or_null(abfs_json_string(reason, "failureOrigin")));
    json_object_object_add(o, "type", string_or_null(abfs_json_string(reason, "failureType")));
    json_object_object_add(o, "message", string_or_null(message ? message : abfs_json_string(reason, "internalMessage")));
    json_object *retryable = json_object_object_get(reason, "retryable");
    json_object_object_add(o, "retryable", json_object_is_type(retryable, json_type_boolean)
                                               ? json_object_new_boolean(json_object_get_boolean(retryable))
                                               : NULL);
    return o;
}

AbfsHealthReport *abfs_health_from_statuses(const AbfsHealthConnection *conns, guint n, json_object *statuses,
                                            gint64 now_s)
{
    AbfsHealthReport *r = report_new(now_s, TRUE);
    GHashTable *by_id = g_hash_table_new(g_str_hash, g_str_equal); /* borrowed from statuses */
    for (size_t i = 0; json_object_is_type(statuses, json_type_array) && i < json_object_array_length(statuses); i++) {
        json_object *s = json_object_array_get_idx(statuses, i);
        const char *id = abfs_json_string(s, "connectionId");
        if (id)
            g_hash_table_replace(by_id, (gpointer)id, s);
    }
    for (guint i = 0; i < n; i++) {
        json_object *s = g_hash_table_lookup(by_id, conns[i].id);
        if (!s) {
            add_item(r, &conns[i], NULL, -1, NULL, NULL, NULL);
            continue;
        }
        json_object *failure = failure_of(json_object_object_get(s, "failureReason"));
        gint64 last_id = int_member(s, "lastSyncJobId", -1);
        /* the server gives a failure reason only when that last sync failed */
        json_object *last = last_id >= 0 ? job_object(last_id, failure ? "failed" : "succeeded", NULL) : NULL;
        json_object *a = json_object_object_get(s, "activeJob");
        json_object *active =
            json_object_is_type(a, json_type_object) && int_member(a, "id", -1) >= 0
                ? job_object(int_member(a, "id", -1), abfs_json_string(a, "status"),
                             job_type_of(abfs_json_string(a, "configType")))
                : NULL;
        add_item(r, &conns[i], abfs_json_string(s, "connectionSyncStatus"), int_member(s, "lastSuccessfulSync", -1),
                 last, active, failure);
    }
    g_hash_table_unref(by_id);
    return r;
}

/* Epoch seconds of an API time (lenient ISO 8601), or -1. */
static gint64 epoch_of(const char *text)
{
    char *iso = abfs_time_iso(text);
    GDateTime *t = iso ? g_date_time_new_from_iso8601(iso, NULL) : NULL;
    gint64 s = t ? g_date_time_to_unix(t) : -1;
    if (t)
        g_date_time_unref(t);
    g_free(iso);
    return s;
}

static gboolean status_is(json_object *job, const char *a, const char *b, const char *c)
{
    const char *s = abfs_json_string(job, "status");
    return g_strcmp0(s, a) == 0 || g_strcmp0(s, b) == 0 || g_strcmp0(s, c) == 0;
}

/* The fallback's connectionSyncStatus, by the server's own rules over the jobs seen (newest
 * first); a config error cannot be told from the public API, so FAILED never comes out. */
static const char *sync_status_of(const AbfsHealthConnection *conn, GPtrArray *jobs, gboolean complete)
{
    json_object *newest = jobs && jobs->len ? g_ptr_array_index(jobs, 0) : NULL;
    json_object *last = NULL;
    for (guint i = 0; jobs && i < jobs->len && !last; i++)
        if (status_is(g_ptr_array_index(jobs, i), "succeeded", "failed", NULL))
            last = g_ptr_array_index(jobs, i);
    if (newest && status_is(newest, "pending", "running", "incomplete"))
        return "running";
    if (g_strcmp0(conn->status, "active") != 0)
        return "paused";
    if (!newest)
        return complete ? "pending" : NULL;
    if (status_is(newest, "cancelled", NULL, NULL))
        return "incomplete";
    const char *type = abfs_json_string(newest, "jobType");
    if (!last || g_strcmp0(type, "reset") == 0 || g_strcmp0(type, "clear") == 0)
        return "pending";
    return status_is(last, "failed", NULL, NULL) ? "incomplete" : "synced";
}

AbfsHealthReport *abfs_health_from_jobs(const AbfsHealthConnection *conns, guint n, json_object *jobs,
                                        gboolean complete, gint64 now_s)
{
    AbfsHealthReport *r = report_new(now_s, FALSE);
    GHashTable *by_conn = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)g_ptr_array_unref);
    for (size_t i = 0; json_object_is_type(jobs, json_type_array) && i < json_object_array_length(jobs); i++) {
        json_object *job = json_object_array_get_idx(jobs, i);
        const char *cid = abfs_json_string(job, "connectionId");
        if (!cid || int_member(job, "jobId", -1) < 0)
            continue;
        GPtrArray *list = g_hash_table_lookup(by_conn, cid);
        if (!list) {
            list = g_ptr_array_new();
            g_hash_table_insert(by_conn, (gpointer)cid, list);
        }
        g_ptr_array_add(list, job);
    }
    for (guint i = 0; i < n; i++) {
        GPtrArray *list = g_hash_table_lookup(by_conn, conns[i].id);
        json_object *newest = list ? g_ptr_array_index(list, 0) : NULL, *last = NULL, *success = NULL;
        for (guint k = 0; list && k < list->len; k++) {
            json_object *job = g_ptr_array_index(list, k);
            if (!last && status_is(job, "succeeded", "failed", NULL))
                last = job;
            if (!success && status_is(job, "succeeded", NULL, NULL))
                success = job;
        }
        json_object *active = newest && status_is(newest, "pending", "running", "incomplete")
                                  ? job_object(int_member(newest, "jobId", -1), abfs_json_string(newest, "status"),
                                               abfs_json_string(newest, "jobType"))
                                  : NULL;
        json_object *last_job =
            last ? job_object(int_member(last, "jobId", -1), abfs_json_string(last, "status"), NULL) : NULL;
        gint64 success_s = success ? epoch_of(abfs_json_string(success, "lastUpdatedAt")) : -1;
        add_item(r, &conns[i], sync_status_of(&conns[i], list, complete), success_s, last_job, active, NULL);
    }
    g_hash_table_unref(by_conn);
    return r;
}

const char *abfs_health_of(AbfsHealthReport *report, const char *connection_id)
{
    Item *item = g_hash_table_lookup(report->items, connection_id);
    return item ? item->word : "unknown";
}

char *abfs_health_json_text(AbfsHealthReport *report, const char *connection_id)
{
    Item *item = g_hash_table_lookup(report->items, connection_id);
    if (item)
        return abfs_json_pretty(item->json);
    AbfsHealthConnection conn = {connection_id, NULL, NULL};
    AbfsHealthReport *alone = report_new(report->computed_at, report->from_config_api);
    add_item(alone, &conn, NULL, -1, NULL, NULL, NULL);
    char *text = abfs_health_json_text(alone, connection_id);
    abfs_health_report_unref(alone);
    return text;
}

char *abfs_health_last_success_text(AbfsHealthReport *report, const char *connection_id)
{
    Item *item = g_hash_table_lookup(report->items, connection_id);
    char *iso = item && item->last_success >= 0 ? iso_of(item->last_success) : NULL;
    char *out = g_strdup_printf("%s\n", iso ? iso : "");
    g_free(iso);
    return out;
}

char *abfs_health_summary_text(AbfsHealthReport *report)
{
    GHashTable *counts = g_hash_table_new(g_str_hash, g_str_equal);
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, report->items);
    while (g_hash_table_iter_next(&it, NULL, &value)) {
        const char *word = ((Item *)value)->word;
        g_hash_table_replace(counts, (gpointer)word,
                             GUINT_TO_POINTER(GPOINTER_TO_UINT(g_hash_table_lookup(counts, word)) + 1));
    }
    GString *out = g_string_new(NULL);
    for (const char *const *w = words; *w; w++)
        g_string_append_printf(out, "%s %u\n", *w, GPOINTER_TO_UINT(g_hash_table_lookup(counts, *w)));
    char *iso = iso_of(report->computed_at);
    g_string_append_printf(out, "computed_at %s\nfrom %s\n", iso ? iso : "", report->from_config_api ? "config_api" : "jobs");
    g_free(iso);
    g_hash_table_unref(counts);
    return g_string_free(out, FALSE);
}

gint64 abfs_health_computed_at(AbfsHealthReport *report)
{
    return report->computed_at;
}

GHashTable *abfs_health_jobs(AbfsHealthReport *report, gboolean failed)
{
    return failed ? report->failed : report->running;
}

/* ---- fetching ---- */

struct AbfsHealth {
    /* Set at creation, then read-only. */
    AbfsClient *client;
    AbfsStore *store;
    AbfsCache *cache; /* "report" → AbfsHealthReport (thread-safe by itself) */
};

static gpointer report_copy(gpointer r)
{
    return abfs_health_report_ref(r);
}

static void report_free(gpointer r)
{
    abfs_health_report_unref(r);
}

static void report_stale(const char *key, const GError *err, gpointer value, gint64 age_us, gpointer data)
{
    (void)key;
    (void)value;
    (void)data;
    g_warning("computing the health of the connections failed (%s); serving the report of %" G_GINT64_FORMAT " s ago",
              err->message, age_us / G_USEC_PER_SEC);
}

AbfsHealth *abfs_health_new(AbfsClient *client, AbfsStore *store, guint ttl_ms)
{
    AbfsHealth *h = g_new0(AbfsHealth, 1);
    h->client = client;
    h->store = store;
    AbfsCacheOptions o = {
        .ttl_ms = ttl_ms, .copy = report_copy, .free = report_free, .serve_stale = TRUE, .on_stale = report_stale};
    h->cache = abfs_cache_new(&o);
    return h;
}

void abfs_health_free(AbfsHealth *health)
{
    if (!health)
        return;
    abfs_cache_free(health->cache);
    g_free(health);
}

void abfs_health_invalidate(AbfsHealth *health)
{
    abfs_cache_invalidate(health->cache, NULL); /* the last report still says which API answers */
}

/* The Config API cannot answer: its root is unknown (ENOTSUP without a request) or it is not
 * served (404), as state.json and catalog.json find it (artifacts.c). */
static gboolean config_api_missing(const GError *error)
{
    return error && (error->code == ENOTSUP || error->code == ENOENT);
}

/* Every ConnectionStatusRead of conns, in batches: a new array, or NULL with *error. */
static json_object *read_statuses(AbfsHealth *h, const AbfsHealthConnection *conns, guint n, GError **error)
{
    json_object *all = json_object_new_array();
    for (guint start = 0; start < n; start += ABFS_HEALTH_BATCH) {
        json_object *body = json_object_new_object(), *ids = json_object_new_array(), *answer = NULL;
        for (guint i = start; i < n && i < start + ABFS_HEALTH_BATCH; i++)
            json_object_array_add(ids, json_object_new_string(conns[i].id));
        json_object_object_add(body, "connectionIds", ids);
        gboolean ok = abfs_client_call(h->client, ABFS_API_CONFIG, "POST", "/connections/status", body,
                                       ABFS_CALL_IDEMPOTENT, &answer, error);
        json_object_put(body);
        if (ok && !json_object_is_type(answer, json_type_array)) {
            g_set_error(error, ABFS_ERROR, EIO, "POST /connections/status: the answer is not an array");
            ok = FALSE;
        }
        for (size_t i = 0; ok && i < json_object_array_length(answer); i++)
            json_object_array_add(all, json_object_get(json_object_array_get_idx(answer, i)));
        json_object_put(answer);
        if (!ok) {
            json_object_put(all);
            return NULL;
        }
    }
    return all;
}

/* TRUE when every connection's newest job and last succeeded-or-failed job were seen. */
static gboolean jobs_cover(const AbfsHealthConnection *conns, guint n, GHashTable *newest, GHashTable *settled)
{
    for (guint i = 0; i < n; i++)
        if (!g_hash_table_contains(newest, conns[i].id) || !g_hash_table_contains(settled, conns[i].id))
            return FALSE;
    return TRUE;
}

/* The workspace's newest jobs (newest first), page by page until the listing ends (*complete),
 * every connection is covered, or ABFS_HEALTH_FALLBACK_PAGES pages were read. */
static json_object *read_jobs(AbfsHealth *h, const AbfsHealthConnection *conns, guint n, gboolean *complete,
                              GError **error)
{
    const char *ws = abfs_store_render_context(h->store)->workspace_id;
    json_object *all = json_object_new_array();
    GHashTable *newest = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    GHashTable *settled = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    *complete = FALSE;
    gboolean ok = TRUE;
    for (guint page = 0; ok && page < ABFS_HEALTH_FALLBACK_PAGES && !*complete; page++) {
        if (page > 0 && jobs_cover(conns, n, newest, settled))
            break;
        char *path = g_strdup_printf("/jobs?workspaceIds=%s&orderBy=createdAt%%7CDESC&limit=100&offset=%u", ws,
                                     page * 100);
        json_object *answer = NULL;
        ok = abfs_client_call(h->client, ABFS_API_PUBLIC, "GET", path, NULL, ABFS_CALL_IDEMPOTENT, &answer, error);
        g_free(path);
        json_object *data = ok ? json_object_object_get(answer, "data") : NULL;
        if (ok && !json_object_is_type(data, json_type_array)) {
            g_set_error(error, ABFS_ERROR, EIO, "GET /jobs: the answer has no `data` array");
            ok = FALSE;
        }
        for (size_t i = 0; ok && i < json_object_array_length(data); i++) {
            json_object *job = json_object_array_get_idx(data, i);
            const char *cid = abfs_json_string(job, "connectionId");
            json_object_array_add(all, json_object_get(job));
            if (!cid)
                continue;
            if (!g_hash_table_contains(newest, cid))
                g_hash_table_add(newest, g_strdup(cid));
            if (status_is(job, "succeeded", "failed", NULL) && !g_hash_table_contains(settled, cid))
                g_hash_table_add(settled, g_strdup(cid));
        }
        if (ok && json_object_array_length(data) < 100)
            *complete = TRUE;
        json_object_put(answer);
    }
    g_hash_table_unref(newest);
    g_hash_table_unref(settled);
    if (!ok) {
        json_object_put(all);
        return NULL;
    }
    return all;
}

/* The cache's fetch: the listing's connections, then their statuses (or the jobs fallback when
 * the last report already found the Config API missing). */
static gpointer fetch_report(const char *key, gpointer previous, gpointer data, GError **error)
{
    (void)key;
    AbfsHealth *h = data;
    AbfsSnapshot *snap = abfs_store_snapshot(h->store, error);
    if (!snap)
        return NULL;
    guint n = abfs_snapshot_count(snap);
    AbfsHealthConnection *conns = g_new0(AbfsHealthConnection, n ? n : 1);
    GPtrArray *parsed = g_ptr_array_new_with_free_func(abfs_json_free);
    for (guint i = 0; i < n; i++) {
        const char *id = abfs_snapshot_id(snap, i);
        json_object *conn = abfs_entry_parse(abfs_snapshot_lookup(snap, id));
        g_ptr_array_add(parsed, conn);
        conns[i].id = id;
        conns[i].status = abfs_json_string(conn, "status");
        conns[i].status_reason = abfs_json_string(conn, "statusReason");
    }
    gint64 now = g_get_real_time() / G_USEC_PER_SEC;
    AbfsHealthReport *report = NULL;
    gboolean fallback = previous && !((AbfsHealthReport *)previous)->from_config_api;
    if (!fallback) {
        GError *err = NULL;
        json_object *statuses = read_statuses(h, conns, n, &err);
        if (statuses)
            report = abfs_health_from_statuses(conns, n, statuses, now);
        else if (config_api_missing(err))
            fallback = TRUE;
        else
            g_propagate_error(error, g_steal_pointer(&err));
        g_clear_error(&err);
        json_object_put(statuses);
    }
    if (fallback) {
        gboolean complete = FALSE;
        json_object *jobs = read_jobs(h, conns, n, &complete, error);
        if (jobs)
            report = abfs_health_from_jobs(conns, n, jobs, complete, now);
        json_object_put(jobs);
    }
    g_ptr_array_unref(parsed);
    g_free(conns);
    abfs_snapshot_unref(snap);
    return report;
}

AbfsHealthReport *abfs_health_report(AbfsHealth *health, GError **error)
{
    return abfs_cache_get(health->cache, "report", fetch_report, health, error);
}
