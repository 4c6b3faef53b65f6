/* test_events.c — unit tests of core/events.h: the lines, the diff of two snapshots, the job
 * watch, and the poller against the fake server (baseline at open, one queue per reader, blocking
 * and non-blocking reads, no requests once the last reader closed, stop ends blocked readers). */
#include "fake_http.h"
#include "events.h"

#define JOBS_PATH "/api/public/v1/jobs"

static AbfsEvent *ev_of(GPtrArray *events, guint i)
{
    g_assert_cmpuint(i, <, events->len);
    return g_ptr_array_index(events, i);
}

/* ---- lines ---- */

static void test_events_format(void)
{
    char *members[] = {"name", "schedule", NULL};
    AbfsEvent e = {.event = ABFS_EVENT_CHANGED, .time = 1796182309, .connection_id = CONN_A,
                   .name = "say \"hi\"\\ \n\tnow\x01", .job_id = -1, .members = members};
    const char *text = keep(abfs_event_format(&e, ABFS_EVENTS_TEXT));
    g_assert_cmpstr(text, ==, "2026-12-02T03:31:49Z connection.changed " CONN_A
                              " \"say \\\"hi\\\"\\\\ \\n\\tnow\\x01\" members=name,schedule\n");
    const char *json = keep(abfs_event_format(&e, ABFS_EVENTS_JSON));
    g_assert_true(g_str_has_suffix(json, "}\n"));
    json_object *o = json_tokener_parse(json);
    g_assert_nonnull(o);
    g_assert_cmpstr(abfs_json_string(o, "time"), ==, "2026-12-02T03:31:49Z");
    g_assert_cmpstr(abfs_json_string(o, "event"), ==, "connection.changed");
    g_assert_cmpstr(abfs_json_string(o, "connectionId"), ==, CONN_A);
    g_assert_cmpstr(abfs_json_string(o, "name"), ==, e.name);
    json_object *m = json_object_object_get(o, "members");
    g_assert_cmpuint(json_object_array_length(m), ==, 2);
    g_assert_cmpstr(json_object_get_string(json_object_array_get_idx(m, 1)), ==, "schedule");
    g_assert_false(json_object_object_get_ex(o, "jobId", NULL));
    json_object_put(o);

    AbfsEvent job = {.event = ABFS_EVENT_JOB_FAILED, .time = 0, .connection_id = CONN_B, .name = NULL, .job_id = 42,
                     .job_type = "sync"};
    g_assert_cmpstr(keep(abfs_event_format(&job, ABFS_EVENTS_TEXT)), ==,
                    "1970-01-01T00:00:00Z job.failed " CONN_B " \"\" job=42 type=sync\n");
    o = json_tokener_parse(keep(abfs_event_format(&job, ABFS_EVENTS_JSON)));
    g_assert_cmpint(json_object_get_int64(json_object_object_get(o, "jobId")), ==, 42);
    g_assert_cmpstr(abfs_json_string(o, "jobType"), ==, "sync");
    g_assert_true(json_object_object_get_ex(o, "name", NULL)); /* null: unknown */
    g_assert_null(json_object_object_get(o, "name"));
    json_object_put(o);
}

/* ---- the diff of two snapshots ---- */

static void set_member(Api *api, const char *id, const char *key, json_object *value)
{
    g_mutex_lock(&api->lock);
    for (guint i = 0; i < api->conns->len; i++) {
        json_object *c = g_ptr_array_index(api->conns, i);
        if (g_strcmp0(abfs_json_string(c, "connectionId"), id) == 0)
            json_object_object_add(c, key, json_object_get(value));
    }
    g_mutex_unlock(&api->lock);
    json_object_put(value);
}

static void remove_conn(Api *api, const char *id)
{
    g_mutex_lock(&api->lock);
    for (guint i = 0; i < api->conns->len; i++)
        if (g_strcmp0(abfs_json_string(g_ptr_array_index(api->conns, i), "connectionId"), id) == 0) {
            json_object_put(g_ptr_array_steal_index(api->conns, i));
            break;
        }
    g_mutex_unlock(&api->lock);
}

#define CONN_C "cccccccc-0000-4000-8000-000000000003"
#define CONN_D "dddddddd-0000-4000-8000-000000000004"
#define CONN_E "eeeeeeee-0000-4000-8000-000000000005"

static void test_events_diff(void)
{
    Fx *fx = fx_new();
    g_mutex_lock(&fx->api->lock);
    g_ptr_array_add(fx->api->conns, make_conn(CONN_A, WS, "ay"));
    g_ptr_array_add(fx->api->conns, make_conn(CONN_B, WS, "bee"));
    g_ptr_array_add(fx->api->conns, make_conn(CONN_C, WS, "sea"));
    g_ptr_array_add(fx->api->conns, make_conn(CONN_D, WS, "dee"));
    g_mutex_unlock(&fx->api->lock);
    AbfsStore *store = store_for(fx, 0);
    AbfsSnapshot *before = snap_ok(store);

    GPtrArray *none = abfs_events_diff(before, before, 5);
    g_assert_cmpuint(none->len, ==, 0);
    g_ptr_array_free(none, TRUE);
    none = abfs_events_diff(NULL, before, 5);
    g_assert_cmpuint(none->len, ==, 0);
    g_ptr_array_free(none, TRUE);

    api_rename(fx->api, CONN_A, "ay two");
    set_member(fx->api, CONN_A, "prefix", json_object_new_string("p_"));
    set_member(fx->api, CONN_B, "status", json_object_new_string("inactive"));
    set_member(fx->api, CONN_C, "status", json_object_new_string("deprecated"));
    set_member(fx->api, CONN_D, "status", json_object_new_string("locked"));
    set_member(fx->api, CONN_D, "statusReason", json_object_new_string("billing"));
    remove_conn(fx->api, CONN_C);
    g_mutex_lock(&fx->api->lock);
    g_ptr_array_add(fx->api->conns, make_conn(CONN_E, WS, "ee"));
    g_mutex_unlock(&fx->api->lock);
    AbfsSnapshot *after = snap_ok(store);
    GPtrArray *ev = abfs_events_diff(before, after, 7);
    g_assert_cmpuint(ev->len, ==, 5);
    if (ev->len == 5) { /* in connection id order */
        g_assert_cmpstr(ev_of(ev, 0)->event, ==, ABFS_EVENT_CHANGED);
        g_assert_cmpstr(ev_of(ev, 0)->connection_id, ==, CONN_A);
        g_assert_cmpstr(ev_of(ev, 0)->name, ==, "ay two");
        g_assert_cmpstr(keep(g_strjoinv(",", ev_of(ev, 0)->members)), ==, "name,prefix");
        g_assert_cmpint(ev_of(ev, 0)->time, ==, 7);
        g_assert_cmpint(ev_of(ev, 0)->job_id, ==, -1);
        g_assert_cmpstr(ev_of(ev, 1)->event, ==, ABFS_EVENT_DISABLED);
        g_assert_cmpstr(ev_of(ev, 1)->name, ==, "bee");
        g_assert_null(ev_of(ev, 1)->members);
        g_assert_cmpstr(ev_of(ev, 2)->event, ==, ABFS_EVENT_DELETED);
        g_assert_cmpstr(ev_of(ev, 2)->connection_id, ==, CONN_C);
        g_assert_cmpstr(ev_of(ev, 2)->name, ==, "sea");
        g_assert_cmpstr(ev_of(ev, 3)->event, ==, ABFS_EVENT_CHANGED);
        g_assert_cmpstr(keep(g_strjoinv(",", ev_of(ev, 3)->members)), ==, "status,statusReason");
        g_assert_cmpstr(ev_of(ev, 4)->event, ==, ABFS_EVENT_CREATED);
        g_assert_cmpstr(ev_of(ev, 4)->connection_id, ==, CONN_E);
        g_assert_cmpstr(ev_of(ev, 4)->name, ==, "ee");
    }
    g_ptr_array_free(ev, TRUE);

    /* enabled again; a connection still listed but deprecated is deleted */
    set_member(fx->api, CONN_B, "status", json_object_new_string("active"));
    set_member(fx->api, CONN_E, "status", json_object_new_string("deprecated"));
    AbfsSnapshot *third = snap_ok(store);
    ev = abfs_events_diff(after, third, 9);
    g_assert_cmpuint(ev->len, ==, 2);
    if (ev->len == 2) {
        g_assert_cmpstr(ev_of(ev, 0)->event, ==, ABFS_EVENT_ENABLED);
        g_assert_cmpstr(ev_of(ev, 0)->connection_id, ==, CONN_B);
        g_assert_cmpstr(ev_of(ev, 1)->event, ==, ABFS_EVENT_DELETED);
        g_assert_cmpstr(ev_of(ev, 1)->connection_id, ==, CONN_E);
    }
    g_ptr_array_free(ev, TRUE);
    abfs_snapshot_unref(before);
    abfs_snapshot_unref(after);
    abfs_snapshot_unref(third);
    abfs_store_free(store);
    fx_free(fx);
}

/* ---- the job watch ---- */

static json_object *job(gint64 id, const char *connection, const char *status, const char *start)
{
    char *text = g_strdup_printf("{\"jobId\":%" G_GINT64_FORMAT ",\"status\":\"%s\",\"jobType\":\"sync\","
                                 "\"startTime\":\"%s\",\"connectionId\":\"%s\"}",
                                 id, status, start, connection);
    json_object *o = json_tokener_parse(text);
    g_free(text);
    g_assert_nonnull(o);
    return o;
}

static GPtrArray *jobs_of(json_object *first, ...)
{
    GPtrArray *a = g_ptr_array_new_with_free_func(abfs_json_free);
    va_list ap;
    va_start(ap, first);
    for (json_object *j = first; j; j = va_arg(ap, json_object *))
        g_ptr_array_add(a, j);
    va_end(ap);
    return a;
}

/* 2026-01-01T00:00:00Z and what comes after it. */
#define T0 1767225600
#define AT(hms) "2026-01-01T" hms "Z"

static void test_events_job_watch(void)
{
    AbfsJobWatch *w = abfs_job_watch_new(T0 + 600); /* the baseline at 00:10 */
    GPtrArray *base = jobs_of(job(1, CONN_A, "running", AT("00:09:30")), job(2, CONN_B, "succeeded", AT("00:09:00")),
                              job(3, CONN_B, "running", AT("00:01:00")), NULL);
    abfs_job_watch_baseline(w, base);
    g_ptr_array_free(base, TRUE);
    g_assert_cmpuint(abfs_job_watch_size(w), ==, 3);

    GPtrArray *ev = g_ptr_array_new_with_free_func((GDestroyNotify)abfs_event_free);
    /* the next listing: nothing changed, one more pending → running: no event */
    GPtrArray *l1 = jobs_of(job(1, CONN_A, "running", AT("00:09:30")), job(2, CONN_B, "succeeded", AT("00:09:00")),
                            NULL);
    abfs_job_watch_update(w, l1, T0 + 610, ev);
    g_ptr_array_free(l1, TRUE);
    g_assert_cmpuint(ev->len, ==, 0);
    /* 1 fails, 4 starts, 5 started and ended between two looks, 6 (started long before the
     * baseline and never listed) ends, 7 (long before, still running) shows up */
    GPtrArray *l2 = jobs_of(job(1, CONN_A, "failed", AT("00:09:30")), job(4, CONN_C, "pending", AT("00:10:05")),
                            job(5, CONN_A, "succeeded", AT("00:10:12")), job(6, CONN_D, "cancelled", AT("00:00:10")),
                            job(7, CONN_D, "incomplete", AT("00:00:20")), NULL);
    abfs_job_watch_update(w, l2, T0 + 620, ev);
    g_ptr_array_free(l2, TRUE);
    g_assert_cmpuint(ev->len, ==, 5);
    if (ev->len == 5) {
        g_assert_cmpstr(ev_of(ev, 0)->event, ==, ABFS_EVENT_JOB_FAILED);
        g_assert_cmpint(ev_of(ev, 0)->job_id, ==, 1);
        g_assert_cmpstr(ev_of(ev, 0)->connection_id, ==, CONN_A);
        g_assert_cmpstr(ev_of(ev, 0)->job_type, ==, "sync");
        g_assert_cmpint(ev_of(ev, 0)->time, ==, T0 + 620);
        g_assert_cmpstr(ev_of(ev, 1)->event, ==, ABFS_EVENT_JOB_STARTED);
        g_assert_cmpint(ev_of(ev, 1)->job_id, ==, 4);
        g_assert_cmpstr(ev_of(ev, 2)->event, ==, ABFS_EVENT_JOB_STARTED);
        g_assert_cmpint(ev_of(ev, 2)->job_id, ==, 5);
        g_assert_cmpstr(ev_of(ev, 3)->event, ==, ABFS_EVENT_JOB_SUCCEEDED);
        g_assert_cmpint(ev_of(ev, 3)->job_id, ==, 5);
        g_assert_cmpstr(ev_of(ev, 4)->event, ==, ABFS_EVENT_JOB_CANCELLED);
        g_assert_cmpint(ev_of(ev, 4)->job_id, ==, 6);
    }
    g_ptr_array_set_size(ev, 0);
    /* listed again (the windows overlap): told once only; 3 (unfinished, not listed) is kept */
    GPtrArray *l3 = jobs_of(job(1, CONN_A, "failed", AT("00:09:30")), job(4, CONN_C, "running", AT("00:10:05")),
                            job(5, CONN_A, "succeeded", AT("00:10:12")), job(6, CONN_D, "cancelled", AT("00:00:10")),
                            job(7, CONN_D, "succeeded", AT("00:00:20")), job(3, CONN_B, "succeeded", AT("00:01:00")),
                            NULL);
    abfs_job_watch_update(w, l3, T0 + 630, ev);
    g_ptr_array_free(l3, TRUE);
    g_assert_cmpuint(ev->len, ==, 2);
    if (ev->len == 2) {
        g_assert_cmpstr(ev_of(ev, 0)->event, ==, ABFS_EVENT_JOB_SUCCEEDED);
        g_assert_cmpint(ev_of(ev, 0)->job_id, ==, 7);
        g_assert_cmpstr(ev_of(ev, 1)->event, ==, ABFS_EVENT_JOB_SUCCEEDED);
        g_assert_cmpint(ev_of(ev, 1)->job_id, ==, 3);
    }
    g_ptr_array_set_size(ev, 0);
    /* finished jobs no listing shows any more are forgotten; unfinished ones are kept */
    GPtrArray *l4 = jobs_of(job(8, CONN_A, "running", AT("00:10:40")), NULL);
    abfs_job_watch_update(w, l4, T0 + 640, ev);
    g_ptr_array_free(l4, TRUE);
    g_assert_cmpuint(ev->len, ==, 1);
    g_assert_cmpuint(abfs_job_watch_size(w), ==, 2); /* 8, and 4 (running when last listed) */
    g_ptr_array_free(ev, TRUE);
    abfs_job_watch_free(w);
}

/* ---- the poller ---- */

static char *jobs_page(const char *status)
{
    gint64 now = g_get_real_time() / G_USEC_PER_SEC;
    GDateTime *t = g_date_time_new_from_unix_utc(now);
    char *start = g_date_time_format(t, "%Y-%m-%dT%H:%M:%SZ");
    g_date_time_unref(t);
    char *page = status ? g_strdup_printf("{\"data\":[{\"jobId\":77,\"status\":\"%s\",\"jobType\":\"sync\","
                                          "\"startTime\":\"%s\",\"connectionId\":\"%s\"}]}",
                                          status, start, CONN_A)
                        : g_strdup("{\"data\":[]}");
    g_free(start);
    return page;
}

static void set_jobs(Fx *fx, const char *status)
{
    char *page = jobs_page(status);
    api_set_default(fx->api, 200, page);
    g_free(page);
}

/* Reads until text holds want (or 5 s pass). */
static GString *read_until(AbfsEventReader *r, GString *text, const char *want)
{
    gint64 end = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
    char buf[64];
    while (!strstr(text->str, want) && g_get_monotonic_time() < end) {
        gssize n = abfs_event_reader_read(r, buf, sizeof buf, FALSE, NULL, NULL);
        if (n > 0)
            g_string_append_len(text, buf, n);
        else
            g_usleep(20 * 1000);
    }
    return text;
}

static gint woken;
static void count_wake(gpointer data)
{
    (void)data;
    g_atomic_int_inc(&woken);
}

static void test_events_poller(void)
{
    Fx *fx = fx_new();
    g_mutex_lock(&fx->api->lock);
    g_ptr_array_add(fx->api->conns, make_conn(CONN_A, WS, "ay"));
    g_mutex_unlock(&fx->api->lock);
    set_jobs(fx, NULL);
    AbfsStore *store = store_for(fx, 60000);
    AbfsEvents *ev = abfs_events_new(fx->client, store, WS, 200);
    g_assert_cmpuint(fake_count(fx->srv, NULL, JOBS_PATH), ==, 0); /* nothing before a reader */

    GError *err = NULL;
    AbfsEventReader *text = abfs_events_open(ev, ABFS_EVENTS_TEXT, count_wake, NULL, &err);
    g_assert_no_error(err);
    /* the baseline was taken by the open itself */
    g_assert_cmpuint(fake_count(fx->srv, "GET", LIST_PATH), ==, 1);
    g_assert_cmpuint(fake_count(fx->srv, "GET", JOBS_PATH), ==, 1);
    FakeRequest *q = fake_nth(fx->srv, "GET", JOBS_PATH, 0);
    g_assert_nonnull(strstr(q->query, "workspaceIds=" WS));
    g_assert_nonnull(strstr(q->query, "updatedAtStart=20"));
    g_assert_nonnull(strstr(q->query, "orderBy=updatedAt%7CASC"));
    AbfsEventReader *json = abfs_events_open(ev, ABFS_EVENTS_JSON, NULL, NULL, &err);
    g_assert_no_error(err);
    g_assert_cmpuint(fake_count(fx->srv, "GET", JOBS_PATH), ==, 1); /* the poller ran already */

    char buf[256];
    g_assert_cmpint(abfs_event_reader_read(text, buf, sizeof buf, FALSE, NULL, &err), ==, -EAGAIN);
    g_assert_error(err, ABFS_ERROR, EAGAIN);
    g_clear_error(&err);
    g_assert_false(abfs_event_reader_ready(text));

    set_jobs(fx, "running");
    api_rename(fx->api, CONN_A, "ay two");
    GString *got = read_until(text, g_string_new(NULL), "job=77 type=sync\n");
    g_assert_nonnull(strstr(got->str, " connection.changed " CONN_A " \"ay two\" members=name\n"));
    g_assert_nonnull(strstr(got->str, " job.started " CONN_A " \"ay two\" job=77 type=sync\n"));
    g_assert_cmpint(g_atomic_int_get(&woken), >=, 1);
    GString *got_json = read_until(json, g_string_new(NULL), "\"jobType\":\"sync\"}\n");
    g_assert_nonnull(strstr(got_json->str, "\"event\":\"connection.changed\""));
    g_assert_nonnull(strstr(got_json->str, "\"event\":\"job.started\""));
    /* a line at a time through a small buffer, as bash's read takes it */
    set_jobs(fx, "failed");
    g_string_truncate(got, 0);
    gint64 end = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
    while (!strchr(got->str, '\n') && g_get_monotonic_time() < end) {
        gssize n = abfs_event_reader_read(text, buf, 1, TRUE, NULL, NULL);
        g_assert_cmpint(n, ==, 1);
        g_string_append_len(got, buf, 1);
    }
    g_assert_true(g_str_has_suffix(got->str, " job.failed " CONN_A " \"ay two\" job=77 type=sync\n"));
    g_string_free(got, TRUE);
    g_string_free(got_json, TRUE);

    /* the last reader leaves: no request after the poll in flight */
    abfs_events_close(text);
    abfs_events_close(json);
    g_usleep(300 * 1000);
    guint requests = fake_count(fx->srv, NULL, NULL);
    g_usleep(700 * 1000);
    g_assert_cmpuint(fake_count(fx->srv, NULL, NULL), ==, requests);
    guint polls = abfs_events_polls(ev);

    /* a new reader starts again from a new baseline: job 77, failed before, is not told again */
    AbfsEventReader *again = abfs_events_open(ev, ABFS_EVENTS_TEXT, NULL, NULL, &err);
    g_assert_no_error(err);
    g_assert_cmpuint(abfs_events_polls(ev), ==, polls + 1);
    g_usleep(500 * 1000);
    g_assert_false(abfs_event_reader_ready(again));
    g_assert_cmpuint(abfs_events_polls(ev), >=, polls + 2);
    abfs_events_close(again);

    g_assert_true(abfs_events_stop(ev, 2000));
    g_assert_null(abfs_events_open(ev, ABFS_EVENTS_TEXT, NULL, NULL, &err));
    g_assert_error(err, ABFS_ERROR, ESHUTDOWN);
    g_clear_error(&err);
    abfs_events_free(ev);
    abfs_store_free(store);
    fx_free(fx);
}

typedef struct {
    AbfsEventReader *reader;
    gssize result;
} Blocked;

static gpointer read_blocked(gpointer data)
{
    Blocked *b = data;
    char buf[16];
    b->result = abfs_event_reader_read(b->reader, buf, sizeof buf, TRUE, NULL, NULL);
    return NULL;
}

static gint interrupt_now;
static gboolean interrupted(void)
{
    return g_atomic_int_get(&interrupt_now);
}

static gpointer read_interruptible(gpointer data)
{
    Blocked *b = data;
    char buf[16];
    b->result = abfs_event_reader_read(b->reader, buf, sizeof buf, TRUE, interrupted, NULL);
    return NULL;
}

static void test_events_stop_ends_blocked_readers(void)
{
    Fx *fx = fx_new();
    api_add_conns(fx->api, 2);
    set_jobs(fx, NULL);
    AbfsStore *store = store_for(fx, 60000);
    AbfsEvents *ev = abfs_events_new(fx->client, store, WS, 200);
    GError *err = NULL;
    Blocked a = {abfs_events_open(ev, ABFS_EVENTS_TEXT, NULL, NULL, &err), 99};
    Blocked b = {abfs_events_open(ev, ABFS_EVENTS_TEXT, NULL, NULL, &err), 99};
    g_assert_no_error(err);
    GThread *ta = g_thread_new("reader-a", read_blocked, &a);
    GThread *tb = g_thread_new("reader-b", read_interruptible, &b);
    g_usleep(300 * 1000);
    g_assert_cmpint(a.result, ==, 99); /* still blocked */
    g_atomic_int_set(&interrupt_now, TRUE); /* Ctrl-C of one */
    g_thread_join(tb);
    g_assert_cmpint(b.result, ==, -EINTR);
    g_assert_cmpint(a.result, ==, 99);
    gint64 t0 = g_get_monotonic_time();
    g_assert_true(abfs_events_stop(ev, 2000));
    g_thread_join(ta);
    g_assert_cmpint(a.result, ==, 0); /* the end of the stream */
    g_assert_cmpint(g_get_monotonic_time() - t0, <, G_USEC_PER_SEC);
    abfs_events_close(a.reader);
    abfs_events_close(b.reader);
    abfs_events_free(ev);
    abfs_store_free(store);
    fx_free(fx);
}

static void test_events_open_fails_with_the_api(void)
{
    Fx *fx = fx_new();
    api_add_conns(fx->api, 1);
    api_set_default(fx->api, 403, "{\"title\":\"forbidden\",\"status\":403}");
    AbfsStore *store = store_for(fx, 60000);
    AbfsEvents *ev = abfs_events_new(fx->client, store, WS, 200);
    GError *err = NULL;
    g_assert_null(abfs_events_open(ev, ABFS_EVENTS_TEXT, NULL, NULL, &err));
    g_assert_error(err, ABFS_ERROR, EPERM);
    g_clear_error(&err);
    /* no poller was left behind */
    guint requests = fake_count(fx->srv, NULL, NULL);
    g_usleep(400 * 1000);
    g_assert_cmpuint(fake_count(fx->srv, NULL, NULL), ==, requests);
    g_assert_true(abfs_events_stop(ev, 2000));
    abfs_events_free(ev);
    abfs_store_free(store);
    fx_free(fx);
}

static GPtrArray *failures;
static void record_failure(int errnum, const char *message, gpointer data)
{
    (void)data;
    g_ptr_array_add(failures, g_strdup_printf("%d %s", errnum, message));
}

static void test_events_failure_told_once_per_outage(void)
{
    Fx *fx = fx_new();
    api_add_conns(fx->api, 1);
    set_jobs(fx, NULL);
    failures = g_ptr_array_new_with_free_func(g_free);
    AbfsStore *store = store_for(fx, 60000);
    AbfsEvents *ev = abfs_events_new(fx->client, store, WS, 100);
    abfs_events_set_failure_hook(ev, record_failure, NULL);
    GError *err = NULL;
    AbfsEventReader *r = abfs_events_open(ev, ABFS_EVENTS_TEXT, NULL, NULL, &err);
    g_assert_no_error(err);
    api_set_default(fx->api, 403, "{\"title\":\"forbidden\",\"status\":403}");
    g_usleep(600 * 1000); /* several polls fail */
    g_assert_cmpuint(failures->len, ==, 1);
    g_assert_nonnull(strstr(g_ptr_array_index(failures, 0), "polling the API for events failed"));
    set_jobs(fx, NULL);
    g_usleep(300 * 1000);
    api_set_default(fx->api, 403, "{\"title\":\"forbidden\",\"status\":403}");
    g_usleep(300 * 1000);
    g_assert_cmpuint(failures->len, ==, 2); /* a new outage */
    abfs_events_close(r);
    g_assert_true(abfs_events_stop(ev, 2000));
    abfs_events_free(ev);
    abfs_store_free(store);
    g_ptr_array_free(failures, TRUE);
    fx_free(fx);
}

int main(int argc, char **argv)
{
    abfs_unit_init(&argc, &argv);
    g_test_add_func("/events/format", test_events_format);
    g_test_add_func("/events/diff", test_events_diff);
    g_test_add_func("/events/job-watch", test_events_job_watch);
    g_test_add_func("/events/poller", test_events_poller);
    g_test_add_func("/events/stop-ends-blocked-readers", test_events_stop_ends_blocked_readers);
    g_test_add_func("/events/open-fails-with-the-api", test_events_open_fails_with_the_api);
    g_test_add_func("/events/failure-told-once-per-outage", test_events_failure_told_once_per_outage);
    return abfs_unit_run();
}
