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

int main(int argc, char **argv)
{
    abfs_unit_init(&argc, &argv);
    g_test_add_func("/jobs/time-and-duration", test_jobs_time_and_duration);
    g_test_add_func("/jobs/log-text", test_jobs_log_text);
    g_test_add_func("/jobs/run-lost-answer", test_jobs_run_lost_answer);
    g_test_add_func("/jobs/cancel-and-delete-lost-answer", test_cancel_and_delete_lost_answer);
    return abfs_unit_run();
}
