/* wsjobs.c — the workspace's newest jobs (wsjobs.h): one paged-once public listing in a cache.h
 * entry, its jobs handed to the jobs cache as they are read. */
#include "wsjobs.h"
#include "cache.h"
#include "error.h"
#include "json_util.h"
#include "resources.h"

#include <errno.h>
#include <string.h>

struct AbfsWsJobs {
    /* Set at creation, then read-only. */
    AbfsClient *client;
    AbfsJobs *jobs;
    char *workspace_id;
    guint keep;
    AbfsCache *cache; /* "recent" → GPtrArray of AbfsWsJob (immutable; thread-safe by itself) */
};

static gpointer list_ref(gpointer list)
{
    return g_ptr_array_ref(list);
}

static void list_unref(gpointer list)
{
    g_ptr_array_unref(list);
}

static void list_stale(const char *key, const GError *err, gpointer value, gint64 age_us, gpointer data)
{
    (void)key;
    (void)value;
    (void)data;
    g_warning("listing the workspace's jobs failed (%s); serving the list of %" G_GINT64_FORMAT " s ago", err->message,
              age_us / G_USEC_PER_SEC);
}

AbfsWsJobs *abfs_wsjobs_new(AbfsClient *client, AbfsJobs *jobs, const char *workspace_id, guint keep, guint ttl_ms)
{
    AbfsWsJobs *w = g_new0(AbfsWsJobs, 1);
    w->client = client;
    w->jobs = jobs;
    w->workspace_id = g_strdup(workspace_id);
    w->keep = CLAMP(keep, 1, 100);
    AbfsCacheOptions o = {
        .ttl_ms = ttl_ms, .copy = list_ref, .free = list_unref, .serve_stale = TRUE, .on_stale = list_stale};
    w->cache = abfs_cache_new(&o);
    return w;
}

void abfs_wsjobs_free(AbfsWsJobs *wsjobs)
{
    if (!wsjobs)
        return;
    abfs_cache_free(wsjobs->cache);
    g_free(wsjobs->workspace_id);
    g_free(wsjobs);
}

void abfs_wsjobs_invalidate(AbfsWsJobs *wsjobs)
{
    abfs_cache_invalidate(wsjobs->cache, NULL);
}

/* The cache's fetch: one page of the workspace's jobs, newest first. */
static gpointer read_recent(const char *key, gpointer previous, gpointer data, GError **error)
{
    (void)key;
    (void)previous;
    AbfsWsJobs *w = data;
    char *path = g_strdup_printf("/jobs?workspaceIds=%s&orderBy=createdAt%%7CDESC&limit=%u&offset=0", w->workspace_id,
                                 w->keep);
    json_object *page = NULL;
    gboolean ok = abfs_client_call(w->client, ABFS_API_PUBLIC, "GET", path, NULL, ABFS_CALL_IDEMPOTENT, &page, error);
    g_free(path);
    if (!ok)
        return NULL;
    json_object *items = json_object_object_get(page, "data");
    if (!json_object_is_type(items, json_type_array)) {
        g_set_error(error, ABFS_ERROR, EIO, "GET /jobs: the answer has no `data` array");
        json_object_put(page);
        return NULL;
    }
    GPtrArray *list = g_ptr_array_new_with_free_func(g_free);
    for (size_t i = 0; i < json_object_array_length(items); i++) {
        json_object *job = json_object_array_get_idx(items, i);
        json_object *id = json_object_object_get(job, "jobId");
        const char *cid = abfs_json_string(job, "connectionId");
        if (!json_object_is_type(id, json_type_int) || !cid || !abfs_id_is_safe(cid) || strlen(cid) >= 40)
            continue; /* not a job that can be linked to */
        AbfsWsJob *item = g_new0(AbfsWsJob, 1);
        g_snprintf(item->job, sizeof item->job, "%" G_GINT64_FORMAT, json_object_get_int64(id));
        g_strlcpy(item->connection, cid, sizeof item->connection);
        g_ptr_array_add(list, item);
        abfs_jobs_remember(w->jobs, job);
    }
    json_object_put(page);
    return list;
}

GPtrArray *abfs_wsjobs_recent(AbfsWsJobs *wsjobs, GError **error)
{
    return abfs_cache_get(wsjobs->cache, "recent", read_recent, wsjobs, error);
}

char *abfs_wsjobs_connection_of(AbfsWsJobs *wsjobs, const char *job_id, GError **error)
{
    GPtrArray *list = abfs_wsjobs_recent(wsjobs, error);
    if (!list)
        return NULL;
    char *found = NULL;
    for (guint i = 0; i < list->len && !found; i++) {
        AbfsWsJob *item = g_ptr_array_index(list, i);
        if (strcmp(item->job, job_id) == 0)
            found = g_strdup(item->connection);
    }
    g_ptr_array_unref(list);
    if (!found)
        g_set_error(error, ABFS_ERROR, ENOENT, "job %s is not among the workspace's newest jobs", job_id);
    return found;
}
