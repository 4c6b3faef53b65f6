/* test_health.c — unit tests of core/health.h (the words from the Config API's statuses and from
 * the job listing, health.json, the summary, batching, the fallback without the Config API) and of
 * core/runlog.h (the growing, prefixed text of jobs/running.log). */
#include "fake_http.h"
#include "health.h"
#include "runlog.h"

#define CONN_C "cccccccc-0000-4000-8000-000000000003"
#define CONN_D "dddddddd-0000-4000-8000-000000000004"
#define CONN_E "eeeeeeee-0000-4000-8000-000000000005"
#define STATUS_PATH "/api/v1/connections/status"
#define JOBS_PATH "/api/public/v1/jobs"

static const AbfsHealthConnection conns[] = {
    {CONN_A, "active", NULL},
    {CONN_B, "locked", "billing overdue"},
    {CONN_C, "inactive", NULL},
    {CONN_D, "active", NULL},
    {CONN_E, "active", NULL},
};

static json_object *parse(const char *text)
{
    json_object *v = json_tokener_parse(text);
    g_assert_nonnull(v);
    return v;
}

static void test_health_from_statuses(void)
{
    json_object *statuses = parse(
        "[{\"connectionId\":\"" CONN_A "\",\"connectionSyncStatus\":\"incomplete\",\"lastSyncJobId\":7,"
        "\"lastSuccessfulSync\":1700000000,\"failureReason\":{\"failureOrigin\":\"source\",\"failureType\":"
        "\"system_error\",\"externalMessage\":\"boom\",\"internalMessage\":\"inner\",\"retryable\":true,"
        "\"timestamp\":1}},"
        "{\"connectionId\":\"" CONN_B "\",\"connectionSyncStatus\":\"paused\"},"
        "{\"connectionId\":\"" CONN_C "\",\"connectionSyncStatus\":\"paused\",\"lastSyncJobId\":3},"
        "{\"connectionId\":\"" CONN_E "\",\"connectionSyncStatus\":\"running\",\"activeJob\":{\"id\":9,"
        "\"configType\":\"reset_connection\",\"configId\":\"x\",\"createdAt\":1,\"updatedAt\":1,\"status\":\"running\"}}]");
    AbfsHealthReport *r = abfs_health_from_statuses(conns, G_N_ELEMENTS(conns), statuses, 1700000100);
    json_object_put(statuses);
    g_assert_cmpstr(abfs_health_of(r, CONN_A), ==, "failed");
    g_assert_cmpstr(abfs_health_of(r, CONN_B), ==, "locked");
    g_assert_cmpstr(abfs_health_of(r, CONN_C), ==, "paused");
    g_assert_cmpstr(abfs_health_of(r, CONN_D), ==, "unknown"); /* not in the answer */
    g_assert_cmpstr(abfs_health_of(r, CONN_E), ==, "running");
    g_assert_cmpstr(abfs_health_of(r, "nope"), ==, "unknown");
    g_assert_cmpstr(keep(abfs_health_last_success_text(r, CONN_A)), ==, "2023-11-14T22:13:20Z\n");
    g_assert_cmpstr(keep(abfs_health_last_success_text(r, CONN_C)), ==, "\n");
    json_object *a = parse(keep(abfs_health_json_text(r, CONN_A)));
    g_assert_cmpstr(json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE), ==,
                    "{\"active_job\":null,\"computed_at\":\"2023-11-14T22:15:00Z\",\"connection_id\":\"" CONN_A
                    "\",\"failure\":{\"message\":\"boom\",\"origin\":\"source\",\"retryable\":true,\"type\":"
                    "\"system_error\"},\"from\":\"config_api\",\"health\":\"failed\",\"last_job\":{\"id\":7,"
                    "\"status\":\"failed\"},\"last_success\":\"2023-11-14T22:13:20Z\",\"status_reason\":null,"
                    "\"sync_status\":\"incomplete\"}");
    json_object_put(a);
    json_object *b = parse(keep(abfs_health_json_text(r, CONN_B)));
    g_assert_cmpstr(abfs_json_string(b, "status_reason"), ==, "billing overdue");
    json_object_put(b);
    json_object *c = parse(keep(abfs_health_json_text(r, CONN_C)));
    g_assert_cmpstr(abfs_json_string(json_object_object_get(c, "last_job"), "status"), ==, "succeeded");
    json_object_put(c);
    json_object *e = parse(keep(abfs_health_json_text(r, CONN_E)));
    g_assert_cmpstr(abfs_json_string(json_object_object_get(e, "active_job"), "type"), ==, "reset");
    json_object_put(e);
    /* jobs/running and jobs/failed */
    g_assert_cmpstr(g_hash_table_lookup(abfs_health_jobs(r, FALSE), "9"), ==, CONN_E);
    g_assert_cmpuint(g_hash_table_size(abfs_health_jobs(r, FALSE)), ==, 1);
    g_assert_cmpstr(g_hash_table_lookup(abfs_health_jobs(r, TRUE), "7"), ==, CONN_A);
    g_assert_cmpuint(g_hash_table_size(abfs_health_jobs(r, TRUE)), ==, 1);
    g_assert_cmpstr(keep(abfs_health_summary_text(r)), ==,
                    "failed 1\nrunning 1\nqueued 0\nlocked 1\npaused 1\nnot_synced 0\nhealthy 0\nunknown 1\n"
                    "computed_at 2023-11-14T22:15:00Z\nfrom config_api\n");
    abfs_health_report_unref(r);
}

static void test_health_from_jobs(void)
{
    /* newest first, as GET /jobs?orderBy=createdAt|DESC lists them */
    json_object *jobs = parse(
        "[{\"jobId\":9,\"status\":\"running\",\"jobType\":\"sync\",\"connectionId\":\"" CONN_A "\"},"
        "{\"jobId\":8,\"status\":\"cancelled\",\"jobType\":\"sync\",\"connectionId\":\"" CONN_D "\"},"
        "{\"jobId\":7,\"status\":\"failed\",\"jobType\":\"sync\",\"connectionId\":\"" CONN_A "\"},"
        "{\"jobId\":6,\"status\":\"reset\",\"jobType\":\"reset\",\"connectionId\":\"" CONN_E "\"},"
        "{\"jobId\":5,\"status\":\"succeeded\",\"jobType\":\"sync\",\"connectionId\":\"" CONN_A "\","
        "\"lastUpdatedAt\":\"2023-11-14T22:13Z\"},"
        "{\"jobId\":4,\"status\":\"failed\",\"jobType\":\"sync\",\"connectionId\":\"" CONN_C "\"}]");
    AbfsHealthReport *r = abfs_health_from_jobs(conns, G_N_ELEMENTS(conns), jobs, FALSE, 1700000100);
    g_assert_cmpstr(abfs_health_of(r, CONN_A), ==, "running");
    g_assert_cmpstr(abfs_health_of(r, CONN_B), ==, "locked"); /* not active: paused, whatever the jobs */
    g_assert_cmpstr(abfs_health_of(r, CONN_C), ==, "paused");
    g_assert_cmpstr(abfs_health_of(r, CONN_D), ==, "failed"); /* the newest was cancelled: incomplete */
    g_assert_cmpstr(abfs_health_of(r, CONN_E), ==, "not_synced");
    g_assert_cmpstr(keep(abfs_health_last_success_text(r, CONN_A)), ==, "2023-11-14T22:13:00Z\n");
    json_object *a = parse(keep(abfs_health_json_text(r, CONN_A)));
    g_assert_cmpstr(abfs_json_string(a, "from"), ==, "jobs");
    g_assert_cmpint(json_object_get_int(json_object_object_get(json_object_object_get(a, "last_job"), "id")), ==, 7);
    g_assert_cmpint(json_object_get_int(json_object_object_get(json_object_object_get(a, "active_job"), "id")), ==, 9);
    g_assert_null(json_object_object_get(a, "failure"));
    json_object_put(a);
    g_assert_cmpstr(g_hash_table_lookup(abfs_health_jobs(r, TRUE), "7"), ==, CONN_A);
    g_assert_cmpstr(g_hash_table_lookup(abfs_health_jobs(r, TRUE), "4"), ==, CONN_C);
    abfs_health_report_unref(r);
    /* a connection with no job: unknown unless the listing was read to its end */
    json_object *none = parse("[]");
    r = abfs_health_from_jobs(conns, G_N_ELEMENTS(conns), none, FALSE, 1);
    g_assert_cmpstr(abfs_health_of(r, CONN_A), ==, "unknown");
    abfs_health_report_unref(r);
    r = abfs_health_from_jobs(conns, G_N_ELEMENTS(conns), none, TRUE, 1);
    g_assert_cmpstr(abfs_health_of(r, CONN_A), ==, "not_synced");
    abfs_health_report_unref(r);
    json_object_put(none);
    json_object_put(jobs);
}

/* Statuses answer: every id of a batch request is synced. */
static char *synced_for(const FakeRequest *req)
{
    json_object *body = parse(req->body), *out = json_object_new_array();
    json_object *ids = json_object_object_get(body, "connectionIds");
    for (size_t i = 0; i < json_object_array_length(ids); i++) {
        json_object *s = json_object_new_object();
        json_object_object_add(s, "connectionId", json_object_get(json_object_array_get_idx(ids, i)));
        json_object_object_add(s, "connectionSyncStatus", json_object_new_string("synced"));
        json_object_array_add(out, s);
    }
    char *text = g_strdup(json_object_to_json_string(out));
    json_object_put(out);
    json_object_put(body);
    return text;
}

static void statuses_handler(FakeServer *srv, const FakeRequest *req, FakeResponse *resp, gpointer data)
{
    if (strcmp(req->path, STATUS_PATH) == 0) {
        char *text = synced_for(req);
        resp->status = 200;
        g_string_assign(resp->body, text);
        g_free(text);
        return;
    }
    api_handler(srv, req, resp, data);
}

static void test_health_batches_and_ttl(void)
{
    Fx *fx = fx_new();
    api_add_conns(fx->api, 250);
    fx->srv->handler = statuses_handler;
    AbfsStore *store = store_for(fx, 60000);
    AbfsHealth *health = abfs_health_new(fx->client, store, 60000);
    GError *err = NULL;
    AbfsHealthReport *r = abfs_health_report(health, &err);
    g_assert_no_error(err);
    g_assert_nonnull(r);
    g_assert_cmpuint(fake_count(fx->srv, "POST", STATUS_PATH), ==, 3);
    guint sizes[3];
    for (guint i = 0; i < 3; i++) {
        json_object *body = parse(fake_nth(fx->srv, "POST", STATUS_PATH, i)->body);
        sizes[i] = (guint)json_object_array_length(json_object_object_get(body, "connectionIds"));
        json_object_put(body);
    }
    g_assert_cmpuint(sizes[0] + sizes[1] + sizes[2], ==, 250);
    g_assert_cmpuint(MAX(sizes[0], MAX(sizes[1], sizes[2])), ==, ABFS_HEALTH_BATCH);
    char *first = conn_id_for(0);
    g_assert_cmpstr(abfs_health_of(r, first), ==, "healthy");
    g_free(first);
    const char *summary = keep(abfs_health_summary_text(r));
    g_assert_true(g_str_has_prefix(summary, "failed 0\nrunning 0\nqueued 0\nlocked 0\npaused 0\nnot_synced 0\n"
                                            "healthy 250\nunknown 0\ncomputed_at 20"));
    g_assert_true(g_str_has_suffix(summary, "Z\nfrom config_api\n"));
    abfs_health_report_unref(r);
    /* within the TTL: the same report, no request */
    r = abfs_health_report(health, &err);
    g_assert_cmpuint(fake_count(fx->srv, "POST", STATUS_PATH), ==, 3);
    abfs_health_report_unref(r);
    abfs_health_free(health);
    abfs_store_free(store);
    fx_free(fx);
}

static void test_health_fallback_without_config_api(void)
{
    Fx *fx = fx_new();
    api_add_conns(fx->api, 2);
    char *a = conn_id_for(0), *b = conn_id_for(1);
    char *page = g_strdup_printf("{\"data\":[{\"jobId\":2,\"status\":\"failed\",\"jobType\":\"sync\",\"connectionId\":"
                                 "\"%s\"},{\"jobId\":1,\"status\":\"succeeded\",\"jobType\":\"sync\","
                                 "\"connectionId\":\"%s\",\"lastUpdatedAt\":\"2024-05-01T12:00:05Z\"}]}",
                                 a, b);
    AbfsStore *store = store_for(fx, 60000);
    AbfsSnapshot *snap = snap_ok(store); /* the walk first, so that the steps below answer the rest */
    abfs_snapshot_unref(snap);
    api_push(fx->api, 404, "{\"message\":\"Not Found\"}", 0); /* POST /connections/status */
    api_push(fx->api, 200, page, 0);                          /* GET /jobs?workspaceIds= */
    api_push(fx->api, 200, page, 0);                          /* the next report's */
    AbfsHealth *health = abfs_health_new(fx->client, store, 60000);
    GError *err = NULL;
    AbfsHealthReport *r = abfs_health_report(health, &err);
    g_assert_no_error(err);
    g_assert_nonnull(r);
    if (r) {
        g_assert_cmpstr(abfs_health_of(r, a), ==, "failed");
        g_assert_cmpstr(abfs_health_of(r, b), ==, "healthy");
        g_assert_cmpstr(keep(abfs_health_last_success_text(r, b)), ==, "2024-05-01T12:00:05Z\n");
        g_assert_nonnull(strstr(keep(abfs_health_summary_text(r)), "\nfrom jobs\n"));
    }
    abfs_health_report_unref(r);
    FakeRequest *list = fake_nth(fx->srv, "GET", JOBS_PATH, 0);
    g_assert_nonnull(list);
    if (list)
        g_assert_cmpstr(list->query, ==, "workspaceIds=" WS "&orderBy=createdAt%7CDESC&limit=100&offset=0");
    /* the next report goes to the listing straight away */
    abfs_health_invalidate(health);
    r = abfs_health_report(health, &err);
    g_assert_no_error(err);
    abfs_health_report_unref(r);
    g_assert_cmpuint(fake_count(fx->srv, "POST", STATUS_PATH), ==, 1);
    g_assert_cmpuint(fake_count(fx->srv, "GET", JOBS_PATH), ==, 2);
    abfs_health_free(health);
    abfs_store_free(store);
    g_free(page);
    g_free(a);
    g_free(b);
    fx_free(fx);
}

/* ---- runlog ---- */

static char *fake_log(const char *connection_id, const char *job_id, gpointer data, GError **error)
{
    (void)connection_id;
    const char *text = g_hash_table_lookup(data, job_id);
    if (!text) {
        g_set_error(error, ABFS_ERROR, EIO, "no log");
        return NULL;
    }
    return g_strdup(text);
}

static void test_runlog_grows_with_prefixes(void)
{
    GHashTable *logs = g_hash_table_new(g_str_hash, g_str_equal);
    AbfsRunLog *log = abfs_runlog_new(1024, 60 * G_USEC_PER_SEC, 0);
    AbfsRunLogJob one[] = {{"1", CONN_A, "Alpha"}};
    AbfsRunLogJob two[] = {{"1", CONN_A, "Alpha"}, {"2", CONN_B, NULL}};
    g_hash_table_insert(logs, "1", "a1\na2\npart");
    g_assert_cmpstr(keep(abfs_runlog_update(log, one, 1, fake_log, logs)), ==, "Alpha: a1\nAlpha: a2\n");
    g_hash_table_insert(logs, "1", "a1\na2\npartial\na3\n");
    g_hash_table_insert(logs, "2", "b1\n");
    g_assert_cmpstr(keep(abfs_runlog_update(log, two, 2, fake_log, logs)), ==,
                    "Alpha: a1\nAlpha: a2\nAlpha: partial\nAlpha: a3\n" CONN_B ": b1\n");
    /* job 1 ended: its last lines come once (linger 0), then it is no longer read */
    g_hash_table_insert(logs, "1", "a1\na2\npartial\na3\ndone\n");
    const char *text = keep(abfs_runlog_update(log, two + 1, 1, fake_log, logs));
    g_assert_true(g_str_has_suffix(text, "Alpha: done\n"));
    g_hash_table_insert(logs, "1", "a1\na2\npartial\na3\ndone\nlater\n");
    g_assert_cmpstr(keep(abfs_runlog_update(log, two + 1, 1, fake_log, logs)), ==, text);
    /* an unreadable log adds nothing now and is read again later */
    g_hash_table_remove(logs, "2");
    g_assert_cmpstr(keep(abfs_runlog_update(log, two + 1, 1, fake_log, logs)), ==, text);
    g_hash_table_insert(logs, "2", "b1\nb2\n");
    g_assert_true(g_str_has_suffix(keep(abfs_runlog_update(log, two + 1, 1, fake_log, logs)), CONN_B ": b2\n"));
    abfs_runlog_free(log);
    /* past max_bytes it starts again empty; after idle it starts afresh from the running logs */
    log = abfs_runlog_new(16, 20 * 1000, G_USEC_PER_SEC);
    g_hash_table_insert(logs, "1", "0123456789\n");
    g_assert_cmpstr(keep(abfs_runlog_update(log, one, 1, fake_log, logs)), ==, ""); /* 18 bytes: past 16 */
    g_hash_table_insert(logs, "1", "0123456789\nx\n");
    g_assert_cmpstr(keep(abfs_runlog_update(log, one, 1, fake_log, logs)), ==, "Alpha: x\n");
    g_usleep(40 * 1000);
    g_hash_table_insert(logs, "1", "y\n");
    g_assert_cmpstr(keep(abfs_runlog_update(log, one, 1, fake_log, logs)), ==, "Alpha: y\n");
    abfs_runlog_free(log);
    g_hash_table_unref(logs);
}

int main(int argc, char **argv)
{
    abfs_unit_init(&argc, &argv);
    g_test_add_func("/health/from-statuses", test_health_from_statuses);
    g_test_add_func("/health/from-jobs", test_health_from_jobs);
    g_test_add_func("/health/batches-and-ttl", test_health_batches_and_ttl);
    g_test_add_func("/health/fallback-without-config-api", test_health_fallback_without_config_api);
    g_test_add_func("/health/runlog", test_runlog_grows_with_prefixes);
    return abfs_unit_run();
}
