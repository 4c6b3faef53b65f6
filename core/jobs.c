/* jobs.c — jobs of a connection, their cache and their files (jobs.h). Three cache.h caches: the
 * recent job ids of each connection (served stale while the API cannot be reached), each job
 * (a final one never expires) and each job's log text (likewise once the job was final). */
#include "jobs.h"
#include "cache.h"
#include "error.h"
#include "forensics.h"
#include "json_util.h"
#include "resources.h"
#include "text.h"

#include <errno.h>
#include <math.h>
#include <string.h>

struct AbfsJobs {
    /* Set at creation, then read-only. */
    AbfsClient *client;
    guint keep;
    /* Thread-safe by themselves (cache.h). */
    AbfsCache *lists; /* connection id → GPtrArray of job-id strings, newest first (immutable) */
    AbfsCache *jobs;  /* job id → json_object JobResponse (callers get deep copies) */
    AbfsCache *infos;    /* job id → CachedInfo: the Config API's JobInfoRead (log, failures, stats) */
    AbfsCache *attempts; /* "<job>/<attempt>" → CachedInfo: an AttemptInfoRead with its log */
    void (*end_hook)(const char *connection_id, gpointer data); /* set before any read */
    gpointer end_hook_data;
};

typedef struct {
    json_object *info;
    gboolean final; /* read after the job (or the attempt) was final: never changes again */
} CachedInfo;

static void cached_info_free(gpointer p)
{
    CachedInfo *c = p;
    json_object_put(c->info);
    g_free(c);
}

static gpointer cached_info_copy(gpointer p)
{
    CachedInfo *c = p;
    CachedInfo *copy = g_new0(CachedInfo, 1);
    json_object_deep_copy(c->info, &copy->info, NULL);
    copy->final = c->final;
    return copy;
}

static gboolean cached_info_final(gpointer p)
{
    return ((CachedInfo *)p)->final;
}

static gpointer job_copy(gpointer job)
{
    json_object *copy = NULL;
    json_object_deep_copy(job, &copy, NULL);
    return copy;
}

static gboolean job_final(gpointer job)
{
    return abfs_job_status_is_final(abfs_json_string(job, "status"));
}

static gpointer list_ref(gpointer ids)
{
    return g_ptr_array_ref(ids);
}

static void list_unref(gpointer ids)
{
    g_ptr_array_unref(ids);
}

static void list_stale(const char *connection_id, const GError *err, gpointer value, gint64 age_us, gpointer data)
{
    (void)value;
    (void)data;
    g_warning("listing the jobs of %s failed (%s); serving the list of %" G_GINT64_FORMAT " s ago", connection_id,
              err->message, age_us / G_USEC_PER_SEC);
}

AbfsJobs *abfs_jobs_new(AbfsClient *client, guint keep, guint ttl_ms)
{
    AbfsJobs *jobs = g_new0(AbfsJobs, 1);
    jobs->client = client;
    jobs->keep = CLAMP(keep, 1, 100);
    AbfsCacheOptions lists = {
        .ttl_ms = ttl_ms, .copy = list_ref, .free = list_unref, .serve_stale = TRUE, .on_stale = list_stale};
    AbfsCacheOptions each = {.ttl_ms = ttl_ms, .copy = job_copy, .free = abfs_json_free, .forever = job_final};
    AbfsCacheOptions infos = {
        .ttl_ms = ttl_ms, .copy = cached_info_copy, .free = cached_info_free, .forever = cached_info_final};
    jobs->lists = abfs_cache_new(&lists);
    jobs->jobs = abfs_cache_new(&each);
    jobs->infos = abfs_cache_new(&infos);
    jobs->attempts = abfs_cache_new(&infos);
    return jobs;
}

void abfs_jobs_set_end_hook(AbfsJobs *jobs, void (*hook)(const char *connection_id, gpointer data), gpointer data)
{
    jobs->end_hook = hook;
    jobs->end_hook_data = data;
}

void abfs_jobs_free(AbfsJobs *jobs)
{
    if (!jobs)
        return;
    abfs_cache_free(jobs->lists);
    abfs_cache_free(jobs->jobs);
    abfs_cache_free(jobs->infos);
    abfs_cache_free(jobs->attempts);
    g_free(jobs);
}

gboolean abfs_job_status_is_final(const char *status)
{
    return g_strcmp0(status, "succeeded") == 0 || g_strcmp0(status, "failed") == 0 ||
           g_strcmp0(status, "cancelled") == 0;
}

static char *job_id_of(json_object *job)
{
    json_object *id = json_object_object_get(job, "jobId");
    if (json_object_is_type(id, json_type_int))
        return g_strdup_printf("%" G_GINT64_FORMAT, json_object_get_int64(id));
    return NULL;
}

/* Stores job (taken) in the cache, as read just now. */
static void remember(AbfsJobs *jobs, json_object *job)
{
    char *id = job_id_of(job);
    if (id)
        abfs_cache_put(jobs->jobs, id, job);
    else
        json_object_put(job);
    g_free(id);
}

void abfs_jobs_remember(AbfsJobs *jobs, json_object *job)
{
    remember(jobs, job_copy(job));
}

static gpointer copy_string(gconstpointer s, gpointer data)
{
    (void)data;
    return g_strdup(s);
}

/* The lists cache's fetch: GET /jobs of a connection, newest first; each job is remembered. */
static gpointer read_list(const char *connection_id, gpointer previous, gpointer data, GError **error)
{
    (void)previous;
    AbfsJobs *jobs = data;
    char *path =
        g_strdup_printf("/jobs?connectionId=%s&orderBy=createdAt%%7CDESC&limit=%u&offset=0", connection_id, jobs->keep);
    json_object *page = NULL;
    gboolean ok =
        abfs_client_call(jobs->client, ABFS_API_PUBLIC, "GET", path, NULL, ABFS_CALL_IDEMPOTENT, &page, error);
    g_free(path);
    if (!ok)
        return NULL;
    json_object *data_array = json_object_object_get(page, "data");
    if (!json_object_is_type(data_array, json_type_array)) {
        g_set_error(error, ABFS_ERROR, EIO, "GET /jobs: the answer has no `data` array");
        json_object_put(page);
        return NULL;
    }
    GPtrArray *ids = g_ptr_array_new_with_free_func(g_free);
    for (size_t i = 0; i < json_object_array_length(data_array); i++) {
        json_object *job = json_object_array_get_idx(data_array, i);
        char *id = job_id_of(job);
        if (!id || g_strcmp0(abfs_json_string(job, "connectionId"), connection_id) != 0) {
            g_free(id);
            continue;
        }
        g_ptr_array_add(ids, id);
        remember(jobs, job_copy(job));
    }
    json_object_put(page);
    return ids;
}

GPtrArray *abfs_jobs_recent(AbfsJobs *jobs, const char *connection_id, GError **error)
{
    GPtrArray *ids = abfs_cache_get(jobs->lists, connection_id, read_list, jobs, error);
    if (!ids)
        return NULL;
    GPtrArray *copy = g_ptr_array_copy(ids, copy_string, NULL);
    g_ptr_array_set_free_func(copy, g_free);
    g_ptr_array_unref(ids);
    return copy;
}

/* The jobs cache's fetch: GET /jobs/{id}. */
static gpointer read_job(const char *job_id, gpointer previous, gpointer data, GError **error)
{
    AbfsJobs *jobs = data;
    char *path = g_strdup_printf("/jobs/%s", job_id);
    json_object *job = NULL;
    gboolean ok = abfs_client_call(jobs->client, ABFS_API_PUBLIC, "GET", path, NULL, ABFS_CALL_IDEMPOTENT, &job, error);
    g_free(path);
    if (!ok)
        return NULL;
    if (!json_object_is_type(job, json_type_object)) {
        json_object_put(job);
        g_set_error(error, ABFS_ERROR, EIO, "GET /jobs/%s: the answer is not a job", job_id);
        return NULL;
    }
    if (jobs->end_hook && job_final(job) && !(previous && job_final(previous)) && abfs_json_string(job, "connectionId"))
        jobs->end_hook(abfs_json_string(job, "connectionId"), jobs->end_hook_data);
    return job;
}

/* A deep copy of the job (read again if not final and older than the TTL, or when forced), or NULL. */
static json_object *job_get(AbfsJobs *jobs, const char *connection_id, const char *job_id, gboolean force,
                            GError **error)
{
    if (!abfs_id_is_safe(job_id)) {
        g_set_error(error, ABFS_ERROR, ENOENT, "%s is not a job id", job_id);
        return NULL;
    }
    if (force)
        abfs_cache_invalidate(jobs->jobs, job_id);
    json_object *copy = abfs_cache_get(jobs->jobs, job_id, read_job, jobs, error);
    if (!copy)
        return NULL;
    if (g_strcmp0(abfs_json_string(copy, "connectionId"), connection_id) != 0) {
        json_object_put(copy);
        g_set_error(error, ABFS_ERROR, ENOENT, "job %s belongs to another connection", job_id);
        return NULL;
    }
    return copy;
}

char *abfs_job_json_text(AbfsJobs *jobs, const char *connection_id, const char *job_id, GError **error)
{
    json_object *job = job_get(jobs, connection_id, job_id, FALSE, error);
    if (!job)
        return NULL;
    char *text = abfs_json_pretty(job);
    json_object_put(job);
    return text;
}

char *abfs_time_iso(const char *text)
{
    if (!text)
        return NULL;
    /* The server omits ":00" seconds (Java's OffsetDateTime.toString()); GLib wants them. */
    char *fixed = g_strdup(text);
    const char *t = strchr(fixed, 'T');
    if (t && strlen(t) >= 6 && t[3] == ':' && (t[6] == 'Z' || t[6] == '+' || t[6] == '-' || t[6] == '\0')) {
        char *with = g_strdup_printf("%.*s:00%s", (int)(t - fixed + 6), fixed, t + 6);
        g_free(fixed);
        fixed = with;
    }
    GTimeZone *utc = g_time_zone_new_utc();
    GDateTime *dt = g_date_time_new_from_iso8601(fixed, utc);
    g_time_zone_unref(utc);
    g_free(fixed);
    if (!dt)
        return NULL;
    GDateTime *u = g_date_time_to_utc(dt);
    char *out = g_strdup_printf("%04d-%02d-%02dT%02d:%02d:%02dZ", g_date_time_get_year(u), g_date_time_get_month(u),
                                g_date_time_get_day_of_month(u), g_date_time_get_hour(u), g_date_time_get_minute(u),
                                g_date_time_get_second(u));
    g_date_time_unref(u);
    g_date_time_unref(dt);
    return out;
}

char *abfs_epoch_iso(gint64 t)
{
    if (t > 100000000000LL) /* milliseconds */
        t /= 1000;
    GDateTime *d = g_date_time_new_from_unix_utc(t);
    if (!d)
        return g_strdup("");
    char *out = g_date_time_format(d, "%Y-%m-%dT%H:%M:%SZ");
    g_date_time_unref(d);
    return out;
}

gint64 abfs_duration_seconds(const char *text)
{
    if (!text || text[0] != 'P')
        return -1;
    double total = 0;
    gboolean in_time = FALSE;
    const char *p = text + 1;
    while (*p) {
        if (*p == 'T') {
            in_time = TRUE;
            p++;
            continue;
        }
        char *end;
        double v = g_ascii_strtod(p, &end);
        if (end == p || !isfinite(v) || v < 0)
            return -1;
        double unit;
        switch (*end) {
        case 'D': unit = 86400; break;
        case 'H': unit = 3600; break;
        case 'M': unit = in_time ? 60 : 2592000; break;
        case 'S': unit = 1; break;
        case 'W': unit = 604800; break;
        default: return -1;
        }
        total += v * unit;
        if (total > 1e15) /* about 31 million years: not a job's duration */
            return -1;
        p = end + 1;
    }
    return (gint64)total;
}

char *abfs_job_log_text(json_object *info)
{
    GString *out = g_string_new(NULL);
    json_object *attempts = json_object_object_get(info, "attempts");
    for (size_t i = 0; json_object_is_type(attempts, json_type_array) && i < json_object_array_length(attempts); i++) {
        /* no status in the header: the text only grows while the job runs */
        g_string_append_printf(out, "==== attempt %zu ====\n", i);
        abfs_attempt_log_append(out, json_object_object_get(json_object_array_get_idx(attempts, i), "logs"));
    }
    return g_string_free(out, FALSE);
}

static char *int_line(json_object *job, const char *key)
{
    json_object *v = json_object_object_get(job, key);
    return g_strdup_printf("%" G_GINT64_FORMAT "\n",
                           json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : 0);
}

static const char *const job_files[] = {"status",   "type",         "started_at",  "updated_at",  "duration",
                                        "bytes_synced", "rows_synced", "job.json", "log",         "failure",
                                        "streams.tsv",  "cancel",      "wait",     NULL};

const char *const *abfs_job_file_names(void)
{
    return job_files;
}

gboolean abfs_job_file_exists(const char *name)
{
    return g_strv_contains(job_files, name);
}

typedef struct {
    AbfsJobs *jobs;
    gboolean final; /* the job was final before its info is read */
} InfoRead;

/* A Config API call of the jobs' forensics; a missing Config API is ENOTSUP, saying so. */
static gboolean config_call(AbfsClient *client, const char *path, json_object *body, json_object **answer,
                            GError **error)
{
    gboolean ok = abfs_client_call(client, ABFS_API_CONFIG, "POST", path, body, ABFS_CALL_IDEMPOTENT, answer, error);
    if (!ok && error && *error && ((*error)->code == ENOENT || (*error)->code == ENOTSUP)) {
        const char *root = abfs_client_config(client)->config_api_root;
        g_prefix_error(error, "logs, failures and attempts need the Config API (%s): ", root ? root : "unknown");
        (*error)->code = ENOTSUP;
    }
    return ok;
}

/* The infos cache's fetch: POST /jobs/get of the Config API. */
static gpointer read_info(const char *job_id, gpointer previous, gpointer data, GError **error)
{
    (void)previous;
    InfoRead *read = data;
    json_object *body = json_object_new_object(), *info = NULL;
    json_object_object_add(body, "id", json_object_new_int64(g_ascii_strtoll(job_id, NULL, 10)));
    gboolean ok = config_call(read->jobs->client, "/jobs/get", body, &info, error);
    json_object_put(body);
    if (!ok)
        return NULL;
    if (!json_object_is_type(info, json_type_object)) {
        json_object_put(info);
        g_set_error(error, ABFS_ERROR, EIO, "POST /jobs/get %s: the answer is not a JobInfoRead", job_id);
        return NULL;
    }
    CachedInfo *cached = g_new0(CachedInfo, 1);
    cached->info = info;
    cached->final = read->final;
    return cached;
}

json_object *abfs_job_info(AbfsJobs *jobs, const char *connection_id, const char *job_id, GError **error)
{
    json_object *job = job_get(jobs, connection_id, job_id, FALSE, error);
    if (!job)
        return NULL;
    /* the job was final before its info was read: the info is complete and never changes */
    InfoRead read = {jobs, abfs_job_status_is_final(abfs_json_string(job, "status"))};
    json_object_put(job);
    CachedInfo *cached = abfs_cache_get(jobs->infos, job_id, read_info, &read, error);
    if (!cached)
        return NULL;
    json_object *info = g_steal_pointer(&cached->info);
    cached_info_free(cached);
    return info;
}

typedef struct {
    AbfsJobs *jobs;
    gint64 job, attempt;
    gboolean job_final;
} AttemptRead;

/* The attempts cache's fetch: POST /attempt/get_for_job. */
static gpointer read_attempt(const char *key, gpointer previous, gpointer data, GError **error)
{
    (void)previous;
    AttemptRead *read = data;
    json_object *body = json_object_new_object(), *info = NULL;
    json_object_object_add(body, "jobId", json_object_new_int64(read->job));
    json_object_object_add(body, "attemptNumber", json_object_new_int64(read->attempt));
    gboolean ok = config_call(read->jobs->client, "/attempt/get_for_job", body, &info, error);
    json_object_put(body);
    if (!ok)
        return NULL;
    if (!json_object_is_type(json_object_object_get(info, "attempt"), json_type_object)) {
        json_object_put(info);
        g_set_error(error, ABFS_ERROR, EIO, "POST /attempt/get_for_job %s: the answer is not an AttemptInfoRead",
                    key);
        return NULL;
    }
    CachedInfo *cached = g_new0(CachedInfo, 1);
    cached->info = info;
    /* an attempt that ended in a final job never changes */
    cached->final = read->job_final;
    return cached;
}

/* The `logs` of attempt number in a JobInfoRead (borrowed), or NULL when it carries none. */
static json_object *logs_in_info(json_object *info, gint64 number)
{
    json_object *attempts = json_object_object_get(info, "attempts");
    for (gsize i = 0; json_object_is_type(attempts, json_type_array) && i < json_object_array_length(attempts); i++) {
        json_object *a = json_object_array_get_idx(attempts, i);
        json_object *id = json_object_object_get(json_object_object_get(a, "attempt"), "id");
        if (json_object_is_type(id, json_type_int) && json_object_get_int64(id) == number)
            return json_object_object_get(a, "logs");
    }
    return NULL;
}

char *abfs_job_attempt_log(AbfsJobs *jobs, const char *connection_id, const char *job_id, gint64 attempt,
                           GError **error)
{
    /* The JobInfoRead that log, failure and attempts/ read holds every attempt's log already:
     * a tree walker reading each attempt's log costs no request more. */
    json_object *info = abfs_job_info(jobs, connection_id, job_id, error);
    if (!info)
        return NULL;
    json_object *logs = logs_in_info(info, attempt);
    if (logs) {
        GString *out = g_string_new(NULL);
        abfs_attempt_log_append(out, logs);
        json_object_put(info);
        return g_string_free(out, FALSE);
    }
    json_object_put(info);
    json_object *job = job_get(jobs, connection_id, job_id, FALSE, error);
    if (!job)
        return NULL;
    AttemptRead read = {jobs, g_ascii_strtoll(job_id, NULL, 10), attempt,
                        abfs_job_status_is_final(abfs_json_string(job, "status"))};
    json_object_put(job);
    char *key = g_strdup_printf("%s/%" G_GINT64_FORMAT, job_id, attempt);
    CachedInfo *cached = abfs_cache_get(jobs->attempts, key, read_attempt, &read, error);
    g_free(key);
    if (!cached)
        return NULL;
    GString *out = g_string_new(NULL);
    abfs_attempt_log_append(out, json_object_object_get(cached->info, "logs"));
    cached_info_free(cached);
    return g_string_free(out, FALSE);
}

char *abfs_job_file(AbfsJobs *jobs, const char *connection_id, const char *job_id, const char *file, GError **error)
{
    if (strcmp(file, "log") == 0 || strcmp(file, "failure") == 0 || strcmp(file, "streams.tsv") == 0) {
        json_object *info = abfs_job_info(jobs, connection_id, job_id, error);
        if (!info)
            return NULL;
        char *text = file[0] == 'l'   ? abfs_job_log_text(info)
                     : file[0] == 'f' ? abfs_job_failure_text(info)
                                      : abfs_job_streams_tsv(info);
        json_object_put(info);
        return text;
    }
    json_object *job = job_get(jobs, connection_id, job_id, FALSE, error);
    if (!job)
        return NULL;
    char *out;
    if (strcmp(file, "status") == 0)
        out = abfs_text_line(abfs_json_string(job, "status"));
    else if (strcmp(file, "type") == 0)
        out = abfs_text_line(abfs_json_string(job, "jobType"));
    else if (strcmp(file, "started_at") == 0 || strcmp(file, "updated_at") == 0) {
        char *iso = abfs_time_iso(abfs_json_string(job, file[0] == 's' ? "startTime" : "lastUpdatedAt"));
        out = abfs_text_line(iso);
        g_free(iso);
    } else if (strcmp(file, "duration") == 0) {
        gint64 s = abfs_duration_seconds(abfs_json_string(job, "duration"));
        out = s >= 0 ? g_strdup_printf("%" G_GINT64_FORMAT "\n", s) : g_strdup("\n");
    } else if (strcmp(file, "bytes_synced") == 0)
        out = int_line(job, "bytesSynced");
    else if (strcmp(file, "rows_synced") == 0)
        out = int_line(job, "rowsSynced");
    else if (strcmp(file, "job.json") == 0)
        out = abfs_json_pretty(job);
    else
        out = g_strdup("");
    json_object_put(job);
    return out;
}

/* The next listing of the connection's jobs shows what changed. */
static void forget_list(AbfsJobs *jobs, const char *connection_id)
{
    abfs_cache_invalidate(jobs->lists, connection_id);
}

/* The newest jobs of a connection (up to limit, newest first), read fresh: a JSON array (a new
 * reference) of JobResponses, or NULL with *error when the server could not say. */
static json_object *newest_jobs(AbfsJobs *jobs, const char *connection_id, guint limit, GError **error)
{
    char *path =
        g_strdup_printf("/jobs?connectionId=%s&orderBy=createdAt%%7CDESC&limit=%u&offset=0", connection_id, limit);
    json_object *page = NULL, *found = NULL;
    if (abfs_client_call(jobs->client, ABFS_API_PUBLIC, "GET", path, NULL, ABFS_CALL_IDEMPOTENT, &page, error)) {
        json_object *data = json_object_object_get(page, "data");
        if (json_object_is_type(data, json_type_array))
            json_object_deep_copy(data, &found, NULL);
        else
            g_set_error(error, ABFS_ERROR, EIO, "GET /jobs: the answer has no `data` array");
    }
    json_object_put(page);
    g_free(path);
    return found;
}

static gint64 job_number(json_object *job)
{
    json_object *id = json_object_object_get(job, "jobId");
    return json_object_is_type(id, json_type_int) ? json_object_get_int64(id) : -1;
}

/* Seconds since the epoch of a job's startTime, or -1. */
static gint64 job_start_s(json_object *job)
{
    const char *text = abfs_json_string(job, "startTime");
    char *iso = text ? abfs_time_iso(text) : NULL;
    GDateTime *t = iso ? g_date_time_new_from_iso8601(iso, NULL) : NULL;
    gint64 s = t ? g_date_time_to_unix(t) : -1;
    if (t)
        g_date_time_unref(t);
    g_free(iso);
    return s;
}

/* After a POST /jobs whose answer was lost: the job this request started, if the job list shows
 * one beyond doubt (a new reference), else NULL with *reason (newly allocated) saying why not, and
 * *none TRUE when no job appeared at all (nothing was started). before: the list read just before
 * the POST; sent_s: wall-clock seconds when it went out.
 * Only one sync runs at a time, so a job of ours is the only new one. It counts as ours only when
 * nothing was running before (else the server refused ours with 409) and it started no earlier
 * than our request (a second of clock granularity allowed); anything else cannot be told apart
 * from another client's job. */
static json_object *job_we_started(json_object *before, json_object *after, const char *type, gint64 sent_s,
                                   gboolean *none, char **reason)
{
    json_object *newest_before = json_object_array_get_idx(before, 0);
    gint64 before_id = newest_before ? job_number(newest_before) : -1;
    json_object *candidate = NULL;
    guint fresh = 0;
    for (size_t i = 0; i < json_object_array_length(after); i++) {
        json_object *job = json_object_array_get_idx(after, i);
        if (job_number(job) > before_id) {
            fresh++;
            candidate = job;
        }
    }
    *none = fresh == 0;
    *reason = NULL;
    if (fresh == 0)
        *reason = g_strdup("the job list shows no new job");
    else if (fresh > 1)
        *reason = g_strdup_printf("%u new jobs appeared meanwhile", fresh);
    else if (newest_before && !abfs_job_status_is_final(abfs_json_string(newest_before, "status")))
        *reason =
            g_strdup_printf("job %" G_GINT64_FORMAT " was running, so job %" G_GINT64_FORMAT " may be another client's",
                            before_id, job_number(candidate));
    else if (g_strcmp0(abfs_json_string(candidate, "jobType"), type) != 0)
        *reason = g_strdup_printf("job %" G_GINT64_FORMAT " is a %s, not a %s", job_number(candidate),
                                  abfs_json_string(candidate, "jobType"), type);
    else if (job_start_s(candidate) >= 0 && job_start_s(candidate) < sent_s - 1)
        *reason = g_strdup_printf("job %" G_GINT64_FORMAT " started before this request", job_number(candidate));
    if (*reason)
        return NULL;
    json_object *copy = NULL;
    json_object_deep_copy(candidate, &copy, NULL);
    return copy;
}

/* POST /jobs for type, sent exactly once; a lost answer is checked against the job list. */
static gboolean post_job(AbfsJobs *jobs, const char *connection_id, const char *type, json_object *body,
                         json_object **answer, GError **error)
{
    GError *before_err = NULL;
    json_object *before = newest_jobs(jobs, connection_id, 1, &before_err);
    gint64 sent_s = g_get_real_time() / G_USEC_PER_SEC;
    GError *err = NULL;
    /* Never retried: a retry could start a second sync. */
    gint64 deadline = abfs_client_deadline_keep_for_check();
    gboolean ok =
        abfs_client_call(jobs->client, ABFS_API_PUBLIC, "POST", "/jobs", body, ABFS_CALL_DEFAULT, answer, &err);
    abfs_client_deadline_set(deadline);
    if (ok || !abfs_error_outcome_unknown(err) || err->code == EINTR) {
        if (err)
            g_propagate_error(error, err);
        json_object_put(before);
        g_clear_error(&before_err);
        return ok;
    }
    GError *after_err = NULL;
    json_object *after = before ? newest_jobs(jobs, connection_id, 5, &after_err) : NULL;
    gboolean none = FALSE;
    char *reason = NULL;
    json_object *ours = NULL;
    if (!before)
        reason = g_strdup_printf("the job list could not be read before it (%s)", before_err->message);
    else if (!after)
        reason = g_strdup_printf("reading the job list to check failed (%s)", after_err->message);
    else
        ours = job_we_started(before, after, type, sent_s, &none, &reason);
    if (ours) {
        g_message("run of %s: the answer was lost (%s) but the server started job %" G_GINT64_FORMAT, connection_id,
                  err->message, job_number(ours));
        g_error_free(err);
        *answer = ours;
        ok = TRUE;
    } else if (none && abfs_error_may_act_later(err))
        abfs_error_set_unknown(error, err, "POST /jobs", "no job started yet, but " ABFS_MAY_ACT_LATER);
    else if (none) /* nothing started: the request failed, and it says why */
        g_propagate_error(error, err);
    else
        abfs_error_set_unknown(error, err, "POST /jobs", reason);
    g_free(reason);
    json_object_put(before);
    json_object_put(after);
    g_clear_error(&before_err);
    g_clear_error(&after_err);
    return ok;
}

gboolean abfs_jobs_run(AbfsJobs *jobs, const char *connection_id, const char *text, char **job_id, GError **error)
{
    char *word = g_ascii_strdown(text, -1);
    g_strstrip(word);
    const char *type = NULL;
    if (!*word || strcmp(word, "sync") == 0 || strcmp(word, "1") == 0)
        type = "sync";
    else if (strcmp(word, "reset") == 0 || strcmp(word, "clear") == 0)
        type = word;
    else if (strcmp(word, "refresh") != 0) {
        g_set_error(error, ABFS_ERROR, EINVAL, "run takes sync, reset, clear or refresh, not \"%s\"", text);
        g_free(word);
        return FALSE;
    }
    json_object *body = json_object_new_object(), *answer = NULL;
    json_object_object_add(body, "connectionId", json_object_new_string(connection_id));
    gboolean ok;
    gint64 saved = abfs_client_deadline_begin(jobs->client); /* read, POST and check: one timeout */
    if (type) {
        json_object_object_add(body, "jobType", json_object_new_string(type));
        ok = post_job(jobs, connection_id, type, body, &answer, error);
    } else {
        /* Merge keeps the destination's records; every stream (an empty list means all). */
        json_object_object_add(body, "refreshMode", json_object_new_string("Merge"));
        json_object_object_add(body, "streams", json_object_new_array());
        ok = abfs_client_call(jobs->client, ABFS_API_CONFIG, "POST", "/connections/refresh", body, ABFS_CALL_DEFAULT,
                              &answer, error);
        if (!ok && error && *error && ((*error)->code == ENOENT || (*error)->code == ENOTSUP)) {
            g_prefix_error(error, "refresh needs the Config API, which is not available here: ");
            (*error)->code = ENOTSUP;
        }
    }
    abfs_client_deadline_end(saved);
    json_object_put(body);
    g_free(word);
    if (!ok)
        return FALSE;
    char *id = type ? job_id_of(answer) : NULL;
    if (id) {
        remember(jobs, answer);
        answer = NULL;
    }
    json_object_put(answer);
    forget_list(jobs, connection_id); /* the next listing shows the new job */
    if (job_id)
        *job_id = id;
    else
        g_free(id);
    return TRUE;
}

gboolean abfs_jobs_cancel(AbfsJobs *jobs, const char *connection_id, const char *job_id, GError **error)
{
    json_object *job = job_get(jobs, connection_id, job_id, FALSE, error);
    if (!job)
        return FALSE;
    json_object_put(job);
    char *path = g_strdup_printf("/jobs/%s", job_id);
    json_object *answer = NULL;
    gint64 saved = abfs_client_deadline_begin(jobs->client);
    gint64 deadline = abfs_client_deadline_keep_for_check();
    GError *err = NULL;
    gboolean ok =
        abfs_client_call(jobs->client, ABFS_API_PUBLIC, "DELETE", path, NULL, ABFS_CALL_DEFAULT, &answer, &err);
    abfs_client_deadline_set(deadline);
    if (!ok && abfs_error_outcome_unknown(err) && err->code != EINTR) {
        /* Sent once; the job itself says whether the cancel happened. */
        GError *check_err = NULL;
        json_object *now = NULL;
        if (abfs_client_call(jobs->client, ABFS_API_PUBLIC, "GET", path, NULL, ABFS_CALL_IDEMPOTENT, &now,
                             &check_err)) {
            if (g_strcmp0(abfs_json_string(now, "status"), "cancelled") == 0) {
                g_message("cancel of job %s: the answer was lost (%s) but the job is cancelled", job_id, err->message);
                g_clear_error(&err);
                answer = now;
                now = NULL;
                ok = TRUE;
            } else if (abfs_error_may_act_later(err)) {
                GError *lost = err;
                err = NULL;
                abfs_error_set_unknown(&err, lost, "the cancel",
                                       "the job is not cancelled yet, but " ABFS_MAY_ACT_LATER);
            }
        } else {
            char *reason = g_strdup_printf("reading the job to check failed (%s)", check_err->message);
            GError *lost = err;
            err = NULL;
            abfs_error_set_unknown(&err, lost, "the cancel", reason);
            g_free(reason);
        }
        json_object_put(now);
        g_clear_error(&check_err);
    }
    if (err)
        g_propagate_error(error, err);
    abfs_client_deadline_end(saved);
    g_free(path);
    if (ok && answer)
        remember(jobs, answer);
    else
        json_object_put(answer);
    forget_list(jobs, connection_id);
    return ok;
}

char *abfs_jobs_wait(AbfsJobs *jobs, const char *connection_id, const char *job_id, guint timeout_s,
                     gboolean (*interrupted)(void), GError **error)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_s * G_USEC_PER_SEC;
    for (gboolean first = TRUE;; first = FALSE) {
        json_object *job = job_get(jobs, connection_id, job_id, !first, error);
        if (!job)
            return NULL;
        const char *status = abfs_json_string(job, "status");
        if (abfs_job_status_is_final(status)) {
            char *out = g_strdup(status);
            json_object_put(job);
            return out;
        }
        json_object_put(job);
        for (int i = 0; i < 10; i++) { /* one poll a second, interruptible every 100 ms */
            if (interrupted && interrupted()) {
                g_set_error(error, ABFS_ERROR, EINTR, "waiting for job %s was interrupted", job_id);
                return NULL;
            }
            if (g_get_monotonic_time() > deadline) {
                g_set_error(error, ABFS_ERROR, ETIMEDOUT, "job %s did not finish within %u s", job_id, timeout_s);
                return NULL;
            }
            g_usleep(100 * 1000);
        }
    }
}

void abfs_jobs_forget(AbfsJobs *jobs, const char *connection_id)
{
    forget_list(jobs, connection_id);
}

void abfs_jobs_invalidate(AbfsJobs *jobs)
{
    /* finished jobs and their logs never expire (the caches' `forever`) */
    abfs_cache_invalidate(jobs->lists, NULL);
    abfs_cache_invalidate(jobs->jobs, NULL);
    abfs_cache_invalidate(jobs->infos, NULL);
    abfs_cache_invalidate(jobs->attempts, NULL);
}
