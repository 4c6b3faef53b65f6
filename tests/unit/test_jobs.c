/* test_jobs.c — unit tests of core/jobs.h: times, durations, log text, runs and cancels whose answers were lost. */
#include "fake_http.h"

/* jobs.h: the API's times are parsed leniently (seconds may be missing) and durations in ISO 8601. */
static void test_jobs_time_and_duration(void)
{
    static const struct {
        const char *in, *out;
    } times[] = {
        {"2024-05-01T12:00Z", "2024-05-01T12:00:00Z"},
        {"2024-05-01T12:08:31Z", "2024-05-01T12:08:31Z"},
        {"2024-05-01T12:08:31.123Z", "2024-05-01T12:08:31Z"},
        {"2024-05-01T14:08:31+02:00", "2024-05-01T12:08:31Z"},
        {"2024-05-01T14:08+02:00", "2024-05-01T12:08:00Z"},
        {"garbage", NULL},
        {"", NULL},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(times); i++) {
        char *got = abfs_time_iso(times[i].in);
        g_assert_cmpstr(got, ==, times[i].out);
        g_free(got);
    }
    g_assert_null(abfs_time_iso(NULL));
    g_assert_cmpint(abfs_duration_seconds("PT8M31S"), ==, 511);
    g_assert_cmpint(abfs_duration_seconds("PT1H"), ==, 3600);
    g_assert_cmpint(abfs_duration_seconds("PT0S"), ==, 0);
    g_assert_cmpint(abfs_duration_seconds("P1DT2H"), ==, 93600);
    g_assert_cmpint(abfs_duration_seconds("PT25H3S"), ==, 90003);
    g_assert_cmpint(abfs_duration_seconds("PT1.5S"), ==, 1);
    g_assert_cmpint(abfs_duration_seconds("8 minutes"), ==, -1);
    g_assert_cmpint(abfs_duration_seconds(NULL), ==, -1);
}

/* jobs.h: PyAirbyte's log text, attempt by attempt, events and formatted lines. */
static void test_jobs_log_text(void)
{
    json_object *info = json_tokener_parse(
        "{\"attempts\":["
        "{\"attempt\":{\"id\":0,\"status\":\"failed\"},\"logType\":\"structured\","
        " \"logs\":{\"events\":[{\"timestamp\":1714564802123,\"message\":\"hello\",\"level\":\"info\"},"
        "                      {\"timestamp\":1714564802124,\"message\":\"no level\"}]}},"
        "{\"attempt\":{\"id\":1,\"status\":\"succeeded\"},\"logType\":\"formatted\","
        " \"logs\":{\"logLines\":[\"line one\",\"line two\"]}}]}");
    char *text = abfs_job_log_text(info);
    g_assert_cmpstr(text, ==,
                    "==== attempt 0 ====\n[1714564802123] info: hello\n[1714564802124] INFO: no level\n"
                    "==== attempt 1 ====\nline one\nline two\n");
    g_free(text);
    json_object_put(info);
}

static const char *const JOB_DONE = "{\"jobId\":5,\"status\":\"succeeded\",\"jobType\":\"sync\",\"startTime\":\"2020-01-01T00:00:00Z\",\"connectionId\":\"" CONN_A "\"}";

static const char *const JOB_BUSY = "{\"jobId\":5,\"status\":\"running\",\"jobType\":\"sync\",\"startTime\":\"2020-01-01T00:00:00Z\",\"connectionId\":\"" CONN_A "\"}";

static char *job_page(const char *first, const char *second)
{
    return g_strdup_printf("{\"previous\":\"\",\"next\":\"\",\"data\":[%s%s%s]}", first ? first : "",
                           first && second ? "," : "", second ? second : "");
}

static char *job_now(gint64 id, const char *type)
{
    GDateTime *now = g_date_time_new_now_utc();
    char *when = g_date_time_format(now, "%Y-%m-%dT%H:%M:%SZ");
    char *job = g_strdup_printf("{\"jobId\":%" G_GINT64_FORMAT ",\"status\":\"running\",\"jobType\":\"%s\","
                                "\"startTime\":\"%s\",\"connectionId\":\"" CONN_A "\"}", id, type, when);
    g_free(when);
    g_date_time_unref(now);
    return job;
}

/* run's lost answer: the job list says whether this request started a job, and only a job it
 * started counts (never another client's). */
static void run_with_lost_answer(const char *before, const char *after, gboolean expect_ok, int expect_errno)
{
    Fx *fx = fx_new_full("t", 5);
    AbfsJobs *jobs = abfs_jobs_new(fx->client, 25, 1000);
    api_push(fx->api, 200, before, 0); /* the list before */
    api_push(fx->api, 0, "", 0);       /* POST /jobs: the connection drops, no answer */
    api_push(fx->api, 200, after, 0);  /* the list after */
    GError *err = NULL;
    char *id = NULL;
    gboolean ok = abfs_jobs_run(jobs, CONN_A, "sync", &id, &err);
    g_assert_cmpint(ok, ==, expect_ok);
    if (expect_ok) {
        g_assert_no_error(err);
        g_assert_cmpstr(id, ==, "6");
    } else
        g_assert_error(err, ABFS_ERROR, expect_errno);
    g_clear_error(&err);
    g_free(id);
    g_assert_cmpuint(fake_count(fx->srv, "POST", "/api/public/v1/jobs"), ==, 1);
    abfs_jobs_free(jobs);
    fx_free(fx);
}

static void test_jobs_run_lost_answer(void)
{
    char *six = job_now(6, "sync"), *seven = job_now(7, "sync"), *reset = job_now(6, "reset");
    char *before_done = job_page(JOB_DONE, NULL), *before_busy = job_page(JOB_BUSY, NULL);
    char *after_six = job_page(six, JOB_DONE), *after_none = job_page(JOB_DONE, NULL);
    char *after_two = job_page(seven, six), *after_reset = job_page(reset, JOB_DONE);
    char *old_six = job_page("{\"jobId\":6,\"status\":\"running\",\"jobType\":\"sync\",\"startTime\":\"2020-01-02T00:00:00Z\"}", JOB_DONE);
    char *after_six_busy = job_page(six, JOB_BUSY);
    run_with_lost_answer(before_done, after_six, TRUE, 0);              /* ours */
    run_with_lost_answer(before_done, after_none, FALSE, EIO);          /* nothing started */
    run_with_lost_answer(before_done, after_two, FALSE, ABFS_EUNKNOWN); /* two new jobs */
    run_with_lost_answer(before_done, after_reset, FALSE, ABFS_EUNKNOWN); /* another kind */
    run_with_lost_answer(before_done, old_six, FALSE, ABFS_EUNKNOWN);   /* started before us */
    run_with_lost_answer(before_busy, after_six_busy, FALSE, ABFS_EUNKNOWN); /* a sync ran: 409 for ours */
    g_free(six); g_free(seven); g_free(reset); g_free(before_done); g_free(before_busy);
    g_free(after_six); g_free(after_none); g_free(after_two); g_free(after_reset); g_free(old_six);
    g_free(after_six_busy);
}

/* A cancel whose answer was lost asks the job; a DELETE likewise asks the resource. */
static void test_cancel_and_delete_lost_answer(void)
{
    Fx *fx = fx_new_full("t", 5);
    AbfsJobs *jobs = abfs_jobs_new(fx->client, 25, 1000);
    api_push(fx->api, 200, "{\"jobId\":5,\"status\":\"running\",\"jobType\":\"sync\",\"connectionId\":\"" CONN_A "\"}", 0);
    api_push(fx->api, 0, "", 0);
    api_push(fx->api, 200, "{\"jobId\":5,\"status\":\"cancelled\",\"jobType\":\"sync\",\"connectionId\":\"" CONN_A "\"}", 0);
    GError *err = NULL;
    g_assert_true(abfs_jobs_cancel(jobs, CONN_A, "5", &err));
    g_assert_no_error(err);
    g_assert_cmpuint(fake_count(fx->srv, "DELETE", "/api/public/v1/jobs/5"), ==, 1);

    api_push(fx->api, 0, "", 0); /* DELETE: no answer */
    api_push(fx->api, 404, "{\"title\":\"not-found\",\"detail\":\"gone\"}", 0);
    g_assert_true(abfs_connection_delete(fx->client, CONN_A, &err));
    g_assert_no_error(err);
    api_push(fx->api, 0, "", 0);
    api_push(fx->api, 503, "{\"title\":\"busy\"}", 0);
    api_push(fx->api, 503, "{\"title\":\"busy\"}", 0);
    api_push(fx->api, 503, "{\"title\":\"busy\"}", 0);
    api_push(fx->api, 503, "{\"title\":\"busy\"}", 0);
    api_push(fx->api, 503, "{\"title\":\"busy\"}", 0);
    g_assert_false(abfs_connection_delete(fx->client, CONN_A, &err));
    g_assert_error(err, ABFS_ERROR, ABFS_EUNKNOWN);
    g_clear_error(&err);
    g_assert_cmpuint(fake_count(fx->srv, "DELETE", "/api/public/v1/connections/" CONN_A), ==, 2);
    abfs_jobs_free(jobs);
    fx_free(fx);
}

#define JOBS_PATH "/api/public/v1/jobs"

static json_object *last_body(Fx *fx, const char *method, const char *path)
{
    guint n = fake_count(fx->srv, method, path);
    g_assert_cmpuint(n, >, 0);
    FakeRequest *r = fake_nth(fx->srv, method, path, n - 1);
    return json_tokener_parse(r->body);
}

/* run: the word picks the job type; POST /jobs once; the new job is known at once. */
static void test_jobs_run(void)
{
    static const struct {
        const char *text, *type;
    } words[] = {{"sync", "sync"}, {"", "sync"}, {"1", "sync"}, {"  SYNC \n", "sync"}, {"reset", "reset"},
                 {"Clear", "clear"}};
    for (gsize i = 0; i < G_N_ELEMENTS(words); i++) {
        Fx *fx = fx_new_full("t", 5);
        AbfsJobs *jobs = abfs_jobs_new(fx->client, 25, 60000);
        api_push(fx->api, 200, "{\"data\":[]}", 0); /* the list before the POST */
        char *answer = g_strdup_printf("{\"jobId\":7,\"status\":\"pending\",\"jobType\":\"%s\",\"connectionId\":\"" CONN_A "\"}",
                                       words[i].type);
        api_push(fx->api, 200, answer, 0);
        char *id = NULL;
        GError *err = NULL;
        g_assert_true(abfs_jobs_run(jobs, CONN_A, words[i].text, &id, &err));
        g_assert_no_error(err);
        g_assert_cmpstr(id, ==, "7");
        g_assert_cmpuint(fake_count(fx->srv, "POST", JOBS_PATH), ==, 1);
        json_object *body = last_body(fx, "POST", JOBS_PATH);
        g_assert_cmpstr(abfs_json_string(body, "jobType"), ==, words[i].type);
        g_assert_cmpstr(abfs_json_string(body, "connectionId"), ==, CONN_A);
        json_object_put(body);
        /* the job is cached: its status needs no request */
        guint before = fake_count(fx->srv, NULL, NULL);
        char *status = abfs_job_file(jobs, CONN_A, "7", "status", &err);
        g_assert_no_error(err);
        g_assert_cmpstr(status, ==, "pending\n");
        g_assert_cmpuint(fake_count(fx->srv, NULL, NULL), ==, before);
        g_free(status);
        g_free(id);
        g_free(answer);
        abfs_jobs_free(jobs);
        fx_free(fx);
    }
}

static void test_jobs_run_refused(void)
{
    Fx *fx = fx_new_full("t", 5);
    AbfsJobs *jobs = abfs_jobs_new(fx->client, 25, 60000);
    GError *err = NULL;
    g_assert_false(abfs_jobs_run(jobs, CONN_A, "now please", NULL, &err));
    g_assert_error(err, ABFS_ERROR, EINVAL);
    g_clear_error(&err);
    g_assert_cmpuint(fake_count(fx->srv, NULL, NULL), ==, 0); /* nothing sent */
    /* a sync already running: 409 is EBUSY, and the POST went out once */
    api_push(fx->api, 200, "{\"data\":[]}", 0);
    api_push(fx->api, 409, "{\"title\":\"conflict\",\"detail\":\"A sync is already running\"}", 0);
    g_assert_false(abfs_jobs_run(jobs, CONN_A, "sync", NULL, &err));
    g_assert_error(err, ABFS_ERROR, EBUSY);
    g_assert_nonnull(err && strstr(err->message, "already running"));
    g_clear_error(&err);
    g_assert_cmpuint(fake_count(fx->srv, "POST", JOBS_PATH), ==, 1);
    abfs_jobs_free(jobs);
    fx_free(fx);
}

/* refresh goes to the Config API (POST /connections/refresh, Merge, every stream). */
static void test_jobs_run_refresh(void)
{
    Fx *fx = fx_new_full("t", 5);
    AbfsJobs *jobs = abfs_jobs_new(fx->client, 25, 60000);
    api_push(fx->api, 200, "{\"job\":{\"id\":8}}", 0);
    GError *err = NULL;
    char *id = NULL;
    g_assert_true(abfs_jobs_run(jobs, CONN_A, "refresh", &id, &err));
    g_assert_no_error(err);
    g_assert_null(id);
    json_object *body = last_body(fx, "POST", "/api/v1/connections/refresh");
    g_assert_cmpstr(abfs_json_string(body, "connectionId"), ==, CONN_A);
    g_assert_cmpstr(abfs_json_string(body, "refreshMode"), ==, "Merge");
    json_object_put(body);
    g_assert_cmpuint(fake_count(fx->srv, "POST", JOBS_PATH), ==, 0);
    /* no Config API there: ENOTSUP that says so */
    api_push(fx->api, 404, "{\"message\":\"not found\"}", 0);
    g_assert_false(abfs_jobs_run(jobs, CONN_A, "refresh", NULL, &err));
    g_assert_error(err, ABFS_ERROR, ENOTSUP);
    g_assert_nonnull(err && strstr(err->message, "Config API"));
    g_clear_error(&err);
    abfs_jobs_free(jobs);
    fx_free(fx);
}

/* The recent jobs of a connection: one GET per TTL, newest first, shared by concurrent readers
 * (single flight) and served stale while the API cannot be reached. */
static void test_jobs_recent_cached(void)
{
    Fx *fx = fx_new_full("t", 1);
    AbfsJobs *jobs = abfs_jobs_new(fx->client, 25, 60000);
    api_push(fx->api, 200, "{\"data\":[{\"jobId\":9,\"status\":\"running\",\"jobType\":\"sync\",\"connectionId\":\"" CONN_A "\"},"
                           "{\"jobId\":8,\"status\":\"succeeded\",\"jobType\":\"sync\",\"connectionId\":\"" CONN_A "\"},"
                           "{\"jobId\":3,\"status\":\"succeeded\",\"jobType\":\"sync\",\"connectionId\":\"" CONN_B "\"}]}", 0);
    GError *err = NULL;
    GPtrArray *ids = abfs_jobs_recent(jobs, CONN_A, &err);
    g_assert_no_error(err);
    g_assert_cmpuint(ids->len, ==, 2); /* another connection's job is not shown */
    g_assert_cmpstr(g_ptr_array_index(ids, 0), ==, "9");
    g_assert_cmpstr(g_ptr_array_index(ids, 1), ==, "8");
    g_ptr_array_free(ids, TRUE);
    ids = abfs_jobs_recent(jobs, CONN_A, &err);
    g_ptr_array_free(ids, TRUE);
    g_assert_cmpuint(fake_count(fx->srv, "GET", JOBS_PATH), ==, 1);
    char *status = abfs_job_file(jobs, CONN_A, "8", "status", &err); /* remembered from the list */
    g_assert_cmpstr(status, ==, "succeeded\n");
    g_free(status);
    g_assert_cmpuint(fake_count(fx->srv, NULL, NULL), ==, 1);
    fake_shutdown(fx->srv);
    abfs_jobs_invalidate(jobs);
    ids = abfs_jobs_recent(jobs, CONN_A, &err);
    g_assert_no_error(err);
    g_assert_nonnull(ids);
    g_assert_cmpuint(ids ? ids->len : 0, ==, 2);
    if (ids)
        g_ptr_array_free(ids, TRUE);
    /* a final job stays known after an invalidation; a running one is asked again */
    status = abfs_job_file(jobs, CONN_A, "8", "status", &err);
    g_assert_no_error(err);
    g_assert_cmpstr(status, ==, "succeeded\n");
    g_free(status);
    g_assert_null(abfs_job_file(jobs, CONN_A, "9", "status", &err));
    g_assert_nonnull(err);
    g_clear_error(&err);
    abfs_jobs_free(jobs);
    fx_free(fx);
}

int main(int argc, char **argv)
{
    abfs_unit_init(&argc, &argv);
    g_test_add_func("/jobs/time-and-duration", test_jobs_time_and_duration);
    g_test_add_func("/jobs/log-text", test_jobs_log_text);
    g_test_add_func("/jobs/run-lost-answer", test_jobs_run_lost_answer);
    g_test_add_func("/jobs/cancel-and-delete-lost-answer", test_cancel_and_delete_lost_answer);
    g_test_add_func("/jobs/run", test_jobs_run);
    g_test_add_func("/jobs/run-refused", test_jobs_run_refused);
    g_test_add_func("/jobs/run-refresh", test_jobs_run_refresh);
    g_test_add_func("/jobs/recent-cached", test_jobs_recent_cached);
    return abfs_unit_run();
}
