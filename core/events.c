/* events.c — the workspace's event stream (events.h): the diff of two connection snapshots, the
 * job watch over successive job listings, the lines they make, and the poller that feeds every
 * open reader's queue while at least one is open. */
#include "events.h"
#include "error.h"
#include "jobs.h"
#include "json_util.h"
#include "resources.h"

#include <errno.h>
#include <string.h>

void abfs_event_free(AbfsEvent *e)
{
    if (!e)
        return;
    g_free(e->connection_id);
    g_free(e->name);
    g_free(e->job_type);
    g_strfreev(e->members);
    g_free(e);
}

static AbfsEvent *event_new(const char *event, gint64 now_s, const char *connection_id, const char *name)
{
    AbfsEvent *e = g_new0(AbfsEvent, 1);
    e->event = event;
    e->time = now_s;
    e->connection_id = g_strdup(connection_id ? connection_id : "");
    e->name = g_strdup(name);
    e->job_id = -1;
    return e;
}

/* ---- lines ---- */

static char *iso_time(gint64 s)
{
    GDateTime *t = g_date_time_new_from_unix_utc(s);
    char *text = t ? g_date_time_format(t, "%Y-%m-%dT%H:%M:%SZ") : g_strdup("1970-01-01T00:00:00Z");
    if (t)
        g_date_time_unref(t);
    return text;
}

/* name in double quotes, with ", \ and control characters escaped: one shell word for `read`. */
static void append_quoted(GString *out, const char *name)
{
    g_string_append_c(out, '"');
    for (const char *p = name ? name : ""; *p; p++) {
        guchar c = (guchar)*p;
        if (c == '"' || c == '\\')
            g_string_append_printf(out, "\\%c", c);
        else if (c == '\n')
            g_string_append(out, "\\n");
        else if (c == '\t')
            g_string_append(out, "\\t");
        else if (c < 0x20 || c == 0x7f)
            g_string_append_printf(out, "\\x%02x", c);
        else
            g_string_append_c(out, (char)c);
    }
    g_string_append_c(out, '"');
}

static char *format_text(const AbfsEvent *e)
{
    GString *out = g_string_new(NULL);
    char *when = iso_time(e->time);
    g_string_append_printf(out, "%s %s %s ", when, e->event, *e->connection_id ? e->connection_id : "-");
    g_free(when);
    append_quoted(out, e->name);
    if (e->job_id >= 0)
        g_string_append_printf(out, " job=%" G_GINT64_FORMAT, e->job_id);
    if (e->job_type)
        g_string_append_printf(out, " type=%s", e->job_type);
    if (e->members) {
        char *list = g_strjoinv(",", e->members);
        g_string_append_printf(out, " members=%s", list);
        g_free(list);
    }
    if (e->count)
        g_string_append_printf(out, " count=%u", e->count);
    g_string_append_c(out, '\n');
    return g_string_free(out, FALSE);
}

static char *format_json(const AbfsEvent *e)
{
    json_object *o = json_object_new_object();
    char *when = iso_time(e->time);
    json_object_object_add(o, "time", json_object_new_string(when));
    g_free(when);
    json_object_object_add(o, "event", json_object_new_string(e->event));
    json_object_object_add(o, "connectionId", *e->connection_id ? json_object_new_string(e->connection_id) : NULL);
    json_object_object_add(o, "name", e->name ? json_object_new_string(e->name) : NULL);
    if (e->job_id >= 0)
        json_object_object_add(o, "jobId", json_object_new_int64(e->job_id));
    if (e->job_type)
        json_object_object_add(o, "jobType", json_object_new_string(e->job_type));
    if (e->members) {
        json_object *list = json_object_new_array();
        for (char **m = e->members; *m; m++)
            json_object_array_add(list, json_object_new_string(*m));
        json_object_object_add(o, "members", list);
    }
    if (e->count)
        json_object_object_add(o, "count", json_object_new_int64(e->count));
    char *line = g_strconcat(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
                             "\n", NULL);
    json_object_put(o);
    return line;
}

char *abfs_event_format(const AbfsEvent *e, AbfsEventFormat format)
{
    return format == ABFS_EVENTS_JSON ? format_json(e) : format_text(e);
}

/* ---- connections: the diff of two snapshots ---- */

static gint compare_strings(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The top-level members whose values differ between a and b (either may lack one), sorted; NULL
 * when none does. `status` is left out: the caller tells it apart. */
static GStrv changed_members(json_object *a, json_object *b)
{
    GPtrArray *names = g_ptr_array_new();
    json_object_object_foreach(a, key, va) {
        if (strcmp(key, "status") != 0 && !json_object_equal(va, json_object_object_get(b, key)))
            g_ptr_array_add(names, g_strdup(key));
    }
    json_object_object_foreach(b, key2, vb) {
        (void)vb;
        if (strcmp(key2, "status") != 0 && !json_object_object_get_ex(a, key2, NULL))
            g_ptr_array_add(names, g_strdup(key2));
    }
    if (names->len == 0) {
        g_ptr_array_free(names, TRUE);
        return NULL;
    }
    g_ptr_array_sort(names, compare_strings);
    g_ptr_array_add(names, NULL);
    return (GStrv)g_ptr_array_free(names, FALSE);
}

static const char *status_of(json_object *conn)
{
    return abfs_json_string(conn, "status");
}

/* The events of one connection that is in both snapshots. */
static void diff_one(AbfsEntry *old, AbfsEntry *now, gint64 now_s, GPtrArray *events)
{
    if (old == now)
        return; /* the store keeps an entry whose JSON did not change */
    json_object *a = abfs_entry_parse(old), *b = abfs_entry_parse(now);
    const char *id = abfs_entry_field(now, ABFS_ENTRY_ID), *name = abfs_entry_field(now, ABFS_ENTRY_NAME);
    const char *was = status_of(a), *is = status_of(b);
    GStrv members = changed_members(a, b);
    if (g_strcmp0(is, "deprecated") == 0 && g_strcmp0(was, "deprecated") != 0) {
        g_ptr_array_add(events, event_new(ABFS_EVENT_DELETED, now_s, id, name));
        g_strfreev(members);
        members = NULL;
    } else if (g_strcmp0(was, is) != 0) {
        gboolean enabled = g_strcmp0(is, "active") == 0 && g_strcmp0(was, "inactive") == 0;
        gboolean disabled = g_strcmp0(is, "inactive") == 0 && g_strcmp0(was, "active") == 0;
        if (enabled || disabled)
            g_ptr_array_add(events, event_new(enabled ? ABFS_EVENT_ENABLED : ABFS_EVENT_DISABLED, now_s, id, name));
        else { /* locked, unlocked: a change of the status member */
            GPtrArray *list = g_ptr_array_new();
            for (char **m = members; m && *m; m++)
                g_ptr_array_add(list, g_strdup(*m));
            g_ptr_array_add(list, g_strdup("status"));
            g_ptr_array_sort(list, compare_strings);
            g_ptr_array_add(list, NULL);
            g_strfreev(members);
            members = (GStrv)g_ptr_array_free(list, FALSE);
        }
    }
    if (members) {
        AbfsEvent *e = event_new(ABFS_EVENT_CHANGED, now_s, id, name);
        e->members = members;
        g_ptr_array_add(events, e);
    }
    json_object_put(a);
    json_object_put(b);
}

GPtrArray *abfs_events_diff(AbfsSnapshot *before, AbfsSnapshot *after, gint64 now_s)
{
    GPtrArray *events = g_ptr_array_new_with_free_func((GDestroyNotify)abfs_event_free);
    if (!before || !after || before == after)
        return events;
    /* both id lists are sorted: one merge walk */
    guint i = 0, j = 0, n = abfs_snapshot_count(before), m = abfs_snapshot_count(after);
    while (i < n || j < m) {
        const char *a = i < n ? abfs_snapshot_id(before, i) : NULL;
        const char *b = j < m ? abfs_snapshot_id(after, j) : NULL;
        int cmp = !a ? 1 : !b ? -1 : strcmp(a, b);
        if (cmp < 0) {
            AbfsEntry *gone = abfs_snapshot_lookup(before, a);
            g_ptr_array_add(events, event_new(ABFS_EVENT_DELETED, now_s, a, abfs_entry_field(gone, ABFS_ENTRY_NAME)));
            i++;
        } else if (cmp > 0) {
            AbfsEntry *fresh = abfs_snapshot_lookup(after, b);
            g_ptr_array_add(events, event_new(ABFS_EVENT_CREATED, now_s, b, abfs_entry_field(fresh, ABFS_ENTRY_NAME)));
            j++;
        } else {
            diff_one(abfs_snapshot_lookup(before, a), abfs_snapshot_lookup(after, b), now_s, events);
            i++;
            j++;
        }
    }
    return events;
}

/* ---- jobs: transitions between listings ---- */

struct AbfsJobWatch {
    gint64 since_s;    /* the baseline's wall-clock time */
    GHashTable *known; /* job id (gint64, boxed) → status (string) */
};

/* A bound on what is remembered: jobs that stay unfinished and are never listed again. */
#define JOB_WATCH_MAX 10000

AbfsJobWatch *abfs_job_watch_new(gint64 since_s)
{
    AbfsJobWatch *w = g_new0(AbfsJobWatch, 1);
    w->since_s = since_s;
    w->known = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
    return w;
}

void abfs_job_watch_free(AbfsJobWatch *w)
{
    if (!w)
        return;
    g_hash_table_destroy(w->known);
    g_free(w);
}

guint abfs_job_watch_size(AbfsJobWatch *w)
{
    return g_hash_table_size(w->known);
}

static gboolean job_id(json_object *job, gint64 *id)
{
    json_object *v = json_object_object_get(job, "jobId");
    if (!json_object_is_type(v, json_type_int))
        return FALSE;
    *id = json_object_get_int64(v);
    return TRUE;
}

/* Wall-clock seconds of one of a job's times, or -1. */
static gint64 job_time(json_object *job, const char *key)
{
    char *iso = abfs_time_iso(abfs_json_string(job, key));
    GDateTime *t = iso ? g_date_time_new_from_iso8601(iso, NULL) : NULL;
    gint64 s = t ? g_date_time_to_unix(t) : -1;
    if (t)
        g_date_time_unref(t);
    g_free(iso);
    return s;
}

static void remember(GHashTable *known, gint64 id, const char *status)
{
    gint64 *key = g_new(gint64, 1);
    *key = id;
    g_hash_table_replace(known, key, g_strdup(status));
}

void abfs_job_watch_baseline(AbfsJobWatch *w, GPtrArray *jobs)
{
    for (guint i = 0; i < jobs->len; i++) {
        json_object *job = g_ptr_array_index(jobs, i);
        gint64 id;
        const char *status = abfs_json_string(job, "status");
        if (job_id(job, &id) && status)
            remember(w->known, id, status);
    }
}

static AbfsEvent *job_event(const char *event, json_object *job, gint64 id, gint64 now_s)
{
    AbfsEvent *e = event_new(event, now_s, abfs_json_string(job, "connectionId"), NULL);
    e->job_id = id;
    e->job_type = g_strdup(abfs_json_string(job, "jobType"));
    return e;
}

static const char *final_event(const char *status)
{
    if (g_strcmp0(status, "succeeded") == 0)
        return ABFS_EVENT_JOB_SUCCEEDED;
    if (g_strcmp0(status, "failed") == 0)
        return ABFS_EVENT_JOB_FAILED;
    return ABFS_EVENT_JOB_CANCELLED;
}

void abfs_job_watch_update(AbfsJobWatch *w, GPtrArray *jobs, gint64 now_s, GPtrArray *events)
{
    /* What the next update compares with: the jobs of this listing, and the unfinished jobs known
     * before that it did not show (they may still end). Finished jobs leave once no listing shows
     * them: each listing reaches back past the previous one, so a finished job listed again was
     * listed then too. */
    GHashTable *next = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
    for (guint i = 0; i < jobs->len; i++) {
        json_object *job = g_ptr_array_index(jobs, i);
        gint64 id;
        const char *status = abfs_json_string(job, "status");
        if (!job_id(job, &id) || !status || g_hash_table_contains(next, &id))
            continue;
        const char *was = g_hash_table_lookup(w->known, &id);
        gboolean final = abfs_job_status_is_final(status);
        if (!was) {
            /* a job the baseline did not show started after it, unless its start is older than
             * the baseline's reach back (it ran all along and only now was updated) */
            if (job_time(job, "startTime") >= w->since_s - ABFS_EVENTS_JOB_MARGIN_S)
                g_ptr_array_add(events, job_event(ABFS_EVENT_JOB_STARTED, job, id, now_s));
            if (final)
                g_ptr_array_add(events, job_event(final_event(status), job, id, now_s));
        } else if (final && strcmp(was, status) != 0 && !abfs_job_status_is_final(was))
            g_ptr_array_add(events, job_event(final_event(status), job, id, now_s));
        remember(next, id, status);
    }
    GHashTableIter it;
    gpointer key, value;
    g_hash_table_iter_init(&it, w->known);
    while (g_hash_table_iter_next(&it, &key, &value))
        if (!abfs_job_status_is_final(value) && !g_hash_table_contains(next, key) &&
            g_hash_table_size(next) < JOB_WATCH_MAX)
            remember(next, *(gint64 *)key, value);
    g_hash_table_destroy(w->known);
    w->known = next;
}

/* ---- the poller ---- */

/* A reader's queue holds at most this much; past it, events are counted and told as lost. */
#define READER_MAX_BYTES (1u << 20)

struct AbfsEventReader {
    AbfsEvents *ev;
    AbfsEventFormat format;
    void (*wake)(gpointer data);
    gpointer wake_data;
    GString *pending; /* protected by ev->lock */
    guint lost;       /* events dropped since the queue was full; protected by ev->lock */
};

struct AbfsEvents {
    /* Set at creation (or by the setter, before the events are shared), then read-only. */
    AbfsClient *client;
    AbfsStore *store;
    char *workspace_id;
    guint interval_ms;
    AbfsEventsFailureHook on_failure;
    gpointer on_failure_data;

    GMutex lock;
    GCond cond;           /* signalled on new events, a reader leaving, stop, the poller ending */
    GPtrArray *readers;   /* AbfsEventReader*; protected by lock */
    GThread *thread;      /* the poller's, until joined; protected by lock */
    gboolean running;     /* the poller has not returned yet; protected by lock */
    gint stopping;        /* atomic; set once, under lock */
    GMutex start_lock;    /* held by an open that may take a baseline: one at a time */

    /* The poller's state: written by the baseline (under start_lock, while no poller runs), then
     * only by the poller's thread. */
    AbfsSnapshot *last;   /* the connections as of the last look */
    AbfsJobWatch *watch;
    gint64 last_look_s;   /* wall-clock seconds of the last look at the jobs */
    gboolean failing;     /* the failure hook was told about the current outage */
    gint polls;           /* atomic */
};

static GPrivate poller_of_thread; /* AbfsEvents* of the poller thread, NULL elsewhere */

AbfsEvents *abfs_events_new(AbfsClient *client, AbfsStore *store, const char *workspace_id, guint interval_ms)
{
    AbfsEvents *ev = g_new0(AbfsEvents, 1);
    ev->client = client;
    ev->store = store;
    ev->workspace_id = g_strdup(workspace_id);
    ev->interval_ms = MAX(interval_ms, 100);
    g_mutex_init(&ev->lock);
    g_cond_init(&ev->cond);
    g_mutex_init(&ev->start_lock);
    ev->readers = g_ptr_array_new();
    return ev;
}

void abfs_events_set_failure_hook(AbfsEvents *ev, AbfsEventsFailureHook hook, gpointer data)
{
    ev->on_failure = hook;
    ev->on_failure_data = data;
}

gboolean abfs_events_thread_stopping(void)
{
    AbfsEvents *ev = g_private_get(&poller_of_thread);
    return ev && g_atomic_int_get(&ev->stopping);
}

guint abfs_events_polls(AbfsEvents *ev)
{
    return (guint)g_atomic_int_get(&ev->polls);
}

/* Joins a poller that has returned. Caller holds ev->lock. */
static void join_ended(AbfsEvents *ev)
{
    if (ev->thread && !ev->running) {
        g_thread_join(ev->thread);
        ev->thread = NULL;
    }
}

gboolean abfs_events_stop(AbfsEvents *ev, guint timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    g_mutex_lock(&ev->lock);
    g_atomic_int_set(&ev->stopping, TRUE);
    g_cond_broadcast(&ev->cond);
    while (ev->running && g_cond_wait_until(&ev->cond, &ev->lock, deadline))
        ;
    gboolean ended = !ev->running;
    join_ended(ev);
    g_mutex_unlock(&ev->lock);
    return ended;
}

void abfs_events_free(AbfsEvents *ev)
{
    if (!ev)
        return;
    g_assert(!ev->running && ev->readers->len == 0);
    g_ptr_array_free(ev->readers, TRUE);
    abfs_snapshot_unref(ev->last);
    abfs_job_watch_free(ev->watch);
    g_mutex_clear(&ev->start_lock);
    g_cond_clear(&ev->cond);
    g_mutex_clear(&ev->lock);
    g_free(ev->workspace_id);
    g_free(ev);
}

/* Every job of the workspace updated since since_s (wall-clock seconds), as json_objects (*jobs:
 * owned), all pages. */
static gboolean list_jobs(AbfsEvents *ev, gint64 since_s, GPtrArray **jobs, GError **error)
{
    char *when = iso_time(since_s);
    char *query = g_strdup_printf("workspaceIds=%s&updatedAtStart=%s&orderBy=updatedAt%%7CASC", ev->workspace_id, when);
    gboolean ok = abfs_list_all(ev->client, "/jobs", query, jobs, NULL, error);
    g_free(query);
    g_free(when);
    return ok;
}

/* A poll failed: the hook hears of it once per outage. */
static void poll_failed(AbfsEvents *ev, GError *err)
{
    if (!ev->failing && ev->on_failure && err && err->code != EINTR) {
        char *msg = g_strdup_printf("polling the API for events failed: %s", err->message);
        ev->on_failure(err->code, msg, ev->on_failure_data);
        g_free(msg);
    }
    ev->failing = TRUE;
}

/* The first look, that later ones are compared with. */
static gboolean baseline(AbfsEvents *ev, GError **error)
{
    g_atomic_int_inc(&ev->polls);
    gint64 now_s = g_get_real_time() / G_USEC_PER_SEC;
    AbfsSnapshot *snap = abfs_store_snapshot_fresh(ev->store, ev->interval_ms, error);
    if (!snap)
        return FALSE;
    GPtrArray *jobs = NULL;
    if (!list_jobs(ev, now_s - ABFS_EVENTS_JOB_MARGIN_S, &jobs, error)) {
        abfs_snapshot_unref(snap);
        return FALSE;
    }
    abfs_snapshot_unref(ev->last);
    ev->last = snap;
    abfs_job_watch_free(ev->watch);
    ev->watch = abfs_job_watch_new(now_s);
    abfs_job_watch_baseline(ev->watch, jobs);
    g_ptr_array_free(jobs, TRUE);
    ev->last_look_s = now_s;
    ev->failing = FALSE;
    return TRUE;
}

/* Queues one event in every reader. Caller holds ev->lock. */
static void publish_locked(AbfsEvents *ev, AbfsEvent *e)
{
    char *line[2] = {NULL, NULL};
    for (guint i = 0; i < ev->readers->len; i++) {
        AbfsEventReader *r = g_ptr_array_index(ev->readers, i);
        gboolean was_empty = r->pending->len == 0;
        if (r->pending->len >= READER_MAX_BYTES) {
            r->lost++;
            continue;
        }
        if (r->lost) {
            AbfsEvent lost = {.event = ABFS_EVENT_LOST, .time = e->time, .connection_id = "", .job_id = -1,
                              .count = r->lost};
            char *text = abfs_event_format(&lost, r->format);
            g_string_append(r->pending, text);
            g_free(text);
            r->lost = 0;
        }
        if (!line[r->format])
            line[r->format] = abfs_event_format(e, r->format);
        g_string_append(r->pending, line[r->format]);
        if (was_empty && r->wake)
            r->wake(r->wake_data);
    }
    g_free(line[0]);
    g_free(line[1]);
}

/* One later look: the connections (a snapshot at most one interval old) and the jobs updated
 * since shortly before the last look. Runs on the poller's thread, with no lock held. */
static void look(AbfsEvents *ev)
{
    g_atomic_int_inc(&ev->polls);
    gint64 now_s = g_get_real_time() / G_USEC_PER_SEC;
    GPtrArray *events = NULL;
    GError *err = NULL;
    AbfsSnapshot *snap = abfs_store_snapshot_fresh(ev->store, ev->interval_ms, &err);
    if (snap) {
        events = abfs_events_diff(ev->last, snap, now_s);
        abfs_snapshot_unref(ev->last);
        ev->last = snap;
    } else {
        events = g_ptr_array_new_with_free_func((GDestroyNotify)abfs_event_free);
        poll_failed(ev, err);
        g_clear_error(&err);
    }
    GPtrArray *jobs = NULL;
    gboolean jobs_ok = list_jobs(ev, ev->last_look_s - ABFS_EVENTS_JOB_MARGIN_S, &jobs, &err);
    if (jobs_ok) {
        guint first = events->len;
        abfs_job_watch_update(ev->watch, jobs, now_s, events);
        g_ptr_array_free(jobs, TRUE);
        ev->last_look_s = now_s;
        for (guint i = first; i < events->len; i++) { /* the name of a job's connection */
            AbfsEvent *e = g_ptr_array_index(events, i);
            AbfsEntry *c = ev->last ? abfs_snapshot_lookup(ev->last, e->connection_id) : NULL;
            e->name = g_strdup(c ? abfs_entry_field(c, ABFS_ENTRY_NAME) : NULL);
        }
    } else {
        poll_failed(ev, err);
        g_clear_error(&err);
    }
    if (snap && jobs_ok)
        ev->failing = FALSE;
    g_mutex_lock(&ev->lock);
    if (!g_atomic_int_get(&ev->stopping))
        for (guint i = 0; i < events->len; i++)
            publish_locked(ev, g_ptr_array_index(events, i));
    g_cond_broadcast(&ev->cond);
    g_mutex_unlock(&ev->lock);
    g_ptr_array_free(events, TRUE);
}

static gpointer poller(gpointer data)
{
    AbfsEvents *ev = data;
    g_private_set(&poller_of_thread, ev);
    g_mutex_lock(&ev->lock);
    for (;;) {
        gint64 next = g_get_monotonic_time() + (gint64)ev->interval_ms * 1000;
        while (!g_atomic_int_get(&ev->stopping) && ev->readers->len > 0 &&
               g_cond_wait_until(&ev->cond, &ev->lock, next))
            ;
        if (g_atomic_int_get(&ev->stopping) || ev->readers->len == 0)
            break;
        g_mutex_unlock(&ev->lock);
        look(ev);
        g_mutex_lock(&ev->lock);
    }
    /* the last thing it does: after this, an open may take a new baseline and start another */
    ev->running = FALSE;
    g_cond_broadcast(&ev->cond);
    g_mutex_unlock(&ev->lock);
    return NULL;
}

AbfsEventReader *abfs_events_open(AbfsEvents *ev, AbfsEventFormat format, void (*wake)(gpointer data),
                                  gpointer data, GError **error)
{
    AbfsEventReader *r = g_new0(AbfsEventReader, 1);
    r->ev = ev;
    r->format = format;
    r->wake = wake;
    r->wake_data = data;
    r->pending = g_string_new(NULL);
    g_mutex_lock(&ev->start_lock);
    g_mutex_lock(&ev->lock);
    gboolean stopping = g_atomic_int_get(&ev->stopping), running = ev->running;
    if (running && !stopping) /* the poller runs: it sees this reader at its next look */
        g_ptr_array_add(ev->readers, r);
    join_ended(ev);
    g_mutex_unlock(&ev->lock);
    if (stopping) {
        g_set_error(error, ABFS_ERROR, ESHUTDOWN, "the filesystem is being unmounted");
    } else if (!running && baseline(ev, error)) {
        g_mutex_lock(&ev->lock);
        g_ptr_array_add(ev->readers, r);
        ev->running = TRUE;
        ev->thread = g_thread_new("events", poller, ev);
        g_mutex_unlock(&ev->lock);
        running = TRUE;
    }
    g_mutex_unlock(&ev->start_lock);
    if (stopping || !running) {
        g_string_free(r->pending, TRUE);
        g_free(r);
        return NULL;
    }
    return r;
}

void abfs_events_close(AbfsEventReader *r)
{
    if (!r)
        return;
    AbfsEvents *ev = r->ev;
    g_mutex_lock(&ev->lock);
    g_ptr_array_remove(ev->readers, r);
    g_cond_broadcast(&ev->cond); /* the poller ends now if that was the last one */
    g_mutex_unlock(&ev->lock);
    g_string_free(r->pending, TRUE);
    g_free(r);
}

gssize abfs_event_reader_read(AbfsEventReader *r, char *buf, gsize size, gboolean block,
                              gboolean (*should_stop)(void), GError **error)
{
    AbfsEvents *ev = r->ev;
    gssize n = 0;
    g_mutex_lock(&ev->lock);
    while (r->pending->len == 0 && !g_atomic_int_get(&ev->stopping)) {
        if (!block) {
            g_set_error(error, ABFS_ERROR, EAGAIN, "no event yet");
            n = -EAGAIN;
            break;
        }
        if (should_stop && should_stop()) {
            n = -EINTR;
            break;
        }
        g_cond_wait_until(&ev->cond, &ev->lock, g_get_monotonic_time() + 100 * 1000);
    }
    if (n == 0 && r->pending->len > 0) {
        n = (gssize)MIN(size, r->pending->len);
        memcpy(buf, r->pending->str, (size_t)n);
        g_string_erase(r->pending, 0, n);
    }
    g_mutex_unlock(&ev->lock);
    return n;
}

gboolean abfs_event_reader_ready(AbfsEventReader *r)
{
    g_mutex_lock(&r->ev->lock);
    gboolean ready = r->pending->len > 0 || g_atomic_int_get(&r->ev->stopping);
    g_mutex_unlock(&r->ev->lock);
    return ready;
}
