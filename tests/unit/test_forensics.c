/* test_forensics.c — unit tests of core/forensics.h and core/stream_names.h (a job's failure,
 * streams.tsv and attempts rendered from JobInfoRead) and of the JobInfoRead and attempt-log
 * caches of core/jobs.h (read once for a final job; what goes out). */
#include "fake_http.h"
#include "forensics.h"
#include "stream_names.h"
#include "timeline.h"

static const char *const INFO =
    "{\"job\":{\"id\":7,\"status\":\"failed\",\"streamAggregatedStats\":["
    "  {\"streamName\":\"customers\",\"streamNamespace\":\"public\",\"recordsCommitted\":5,\"bytesCommitted\":50},"
    "  {\"streamName\":\"customers\",\"streamNamespace\":\"sales\",\"recordsCommitted\":6,\"bytesCommitted\":60},"
    "  {\"streamName\":\"orders\",\"streamNamespace\":\"public\",\"recordsCommitted\":7,\"bytesCommitted\":70}]},"
    " \"attempts\":["
    "  {\"attempt\":{\"id\":0,\"status\":\"failed\",\"recordsSynced\":3,\"bytesSynced\":30,\"createdAt\":1,"
    "    \"failureSummary\":{\"failures\":[{\"failureOrigin\":\"source\",\"failureType\":\"config_error\","
    "      \"retryable\":false,\"externalMessage\":\"bad\\tpassword\\nreally\",\"timestamp\":1},"
    "      {\"failureOrigin\":\"destination\",\"failureType\":\"system_error\",\"timestamp\":2}]}}},"
    "  {\"attempt\":{\"id\":1,\"status\":\"failed\",\"failureSummary\":{\"failures\":[{\"timestamp\":3}]}}},"
    "  {\"attempt\":{\"id\":2,\"status\":\"running\"}}]}";

/* failure: the newest attempt's first failure, four tab-separated fields on one line. */
static void test_failure_lines(void)
{
    json_object *info = json_tokener_parse(INFO);
    char *text = abfs_job_failure_text(info);
    /* attempt 2 has no failure yet; attempt 1's has no origin, type nor retryable */
    g_assert_cmpstr(text, ==, "unknown\tunknown\tunknown\t\n");
    g_free(text);
    text = abfs_attempt_failure_line(abfs_job_attempt(info, 0));
    g_assert_cmpstr(text, ==, "source\tconfig_error\tfalse\tbad password really\n");
    g_free(text);
    text = abfs_attempt_failure_line(abfs_job_attempt(info, 2));
    g_assert_cmpstr(text, ==, "");
    g_free(text);
    /* a succeeded job has none, whatever its attempts went through */
    json_object_object_add(json_object_object_get(info, "job"), "status", json_object_new_string("succeeded"));
    text = abfs_job_failure_text(info);
    g_assert_cmpstr(text, ==, "");
    g_free(text);
    json_object_put(info);
}

/* streams.tsv names streams as streams.d does: the namespace only where a name is shared. */
static void test_streams_tsv(void)
{
    json_object *info = json_tokener_parse(INFO);
    char *text = abfs_job_streams_tsv(info);
    g_assert_cmpstr(text, ==, "public.customers\t5\t50\nsales.customers\t6\t60\norders\t7\t70\n");
    g_free(text);
    json_object_put(info);
    info = json_tokener_parse("{\"job\":{\"id\":1}}");
    text = abfs_job_streams_tsv(info);
    g_assert_cmpstr(text, ==, "");
    g_free(text);
    json_object_put(info);
}

/* attempts: numbered by their id; status, failure and stats.json render from the AttemptRead. */
static void test_attempt_files(void)
{
    json_object *info = json_tokener_parse(INFO);
    GPtrArray *numbers = abfs_job_attempt_numbers(info);
    g_assert_cmpuint(numbers->len, ==, 3);
    g_assert_cmpstr(g_ptr_array_index(numbers, 2), ==, "2");
    g_ptr_array_free(numbers, TRUE);
    g_assert_null(abfs_job_attempt(info, 9));
    json_object *a0 = abfs_job_attempt(info, 0);
    char *text = abfs_attempt_file(a0, "status");
    g_assert_cmpstr(text, ==, "failed\n");
    g_free(text);
    text = abfs_attempt_file(a0, "stats.json");
    g_assert_cmpstr(text, ==, "{\n  \"bytesSynced\": 30,\n  \"createdAt\": 1,\n  \"recordsSynced\": 3\n}\n");
    g_free(text);
    g_assert_null(abfs_attempt_file(a0, "log"));
    g_assert_true(abfs_attempt_file_exists("failure"));
    g_assert_false(abfs_attempt_file_exists("wait"));
    json_object_put(info);
}

/* The naming rule, and names made safe for a directory. */
static void test_stream_labels(void)
{
    json_object *streams = json_tokener_parse("[{\"name\":\"a\",\"namespace\":\"x\"},{\"name\":\"a\"},"
                                              "{\"name\":\"a\",\"namespace\":\"y\"},{\"name\":\"b/c\"},{}]");
    GPtrArray *labels = abfs_stream_labels(streams, "name", "namespace");
    g_assert_cmpuint(labels->len, ==, 5);
    g_assert_cmpstr(g_ptr_array_index(labels, 0), ==, "x.a");
    g_assert_cmpstr(g_ptr_array_index(labels, 1), ==, "a");
    g_assert_cmpstr(g_ptr_array_index(labels, 2), ==, "y.a");
    g_assert_cmpstr(g_ptr_array_index(labels, 3), ==, "b\xe2\x88\x95"
                                                      "c");
    g_assert_cmpstr(g_ptr_array_index(labels, 4), ==, "");
    g_ptr_array_free(labels, TRUE);
    g_assert_cmpint(abfs_stream_find(streams, "name", "namespace", "y.a"), ==, 2);
    g_assert_cmpint(abfs_stream_find(streams, "name", "namespace", "a"), ==, 1);
    g_assert_cmpint(abfs_stream_find(streams, "name", "namespace", ""), ==, -1);
    g_assert_cmpint(abfs_stream_find(streams, "name", "namespace", "z"), ==, -1);
    json_object_put(streams);
}

static const char *const JOB_FAILED = "{\"jobId\":7,\"status\":\"failed\",\"jobType\":\"sync\",\"startTime\":"
                                      "\"2020-01-01T00:00:00Z\",\"connectionId\":\"" CONN_A "\"}";

/* A final job's JobInfoRead is read once and serves log, failure and streams.tsv; an attempt's
 * log is its own request (jobId and attemptNumber), also kept for good. */
static void test_jobs_info_and_attempt_log_cached(void)
{
    Fx *fx = fx_new_full("t", 5);
    AbfsJobs *jobs = abfs_jobs_new(fx->client, 25, 60000);
    api_push(fx->api, 200, JOB_FAILED, 0);
    api_push(fx->api, 200, INFO, 0);
    GError *err = NULL;
    char *failure = abfs_job_file(jobs, CONN_A, "7", "failure", &err);
    g_assert_no_error(err);
    g_assert_cmpstr(failure, ==, "unknown\tunknown\tunknown\t\n");
    g_free(failure);
    char *tsv = abfs_job_file(jobs, CONN_A, "7", "streams.tsv", &err);
    g_assert_nonnull(tsv && strstr(tsv, "orders\t7\t70\n"));
    g_free(tsv);
    char *log = abfs_job_file(jobs, CONN_A, "7", "log", &err);
    g_assert_nonnull(log && strstr(log, "==== attempt 2 ===="));
    g_free(log);
    g_assert_cmpuint(fake_count(fx->srv, "POST", "/api/v1/jobs/get"), ==, 1);
    api_push(fx->api, 200,
             "{\"attempt\":{\"id\":1,\"status\":\"failed\",\"createdAt\":1,\"updatedAt\":2},"
             "\"logType\":\"formatted\",\"logs\":{\"logLines\":[\"one\",\"two\"]}}",
             0);
    for (int i = 0; i < 2; i++) {
        log = abfs_job_attempt_log(jobs, CONN_A, "7", 1, &err);
        g_assert_no_error(err);
        g_assert_cmpstr(log, ==, "one\ntwo\n");
        g_free(log);
    }
    g_assert_cmpuint(fake_count(fx->srv, "POST", "/api/v1/attempt/get_for_job"), ==, 1);
    FakeRequest *r = fake_nth(fx->srv, "POST", "/api/v1/attempt/get_for_job", 0);
    json_object *body = json_tokener_parse(r->body);
    g_assert_cmpint(json_object_get_int64(json_object_object_get(body, "jobId")), ==, 7);
    g_assert_cmpint(json_object_get_int64(json_object_object_get(body, "attemptNumber")), ==, 1);
    json_object_put(body);
    /* a JobInfoRead that holds an attempt's logs serves them: no request */
    abfs_jobs_invalidate(jobs);
    api_push(fx->api, 200, JOB_FAILED, 0);
    api_push(fx->api, 200,
             "{\"job\":{\"id\":8,\"status\":\"failed\"},\"attempts\":[{\"attempt\":{\"id\":0,"
             "\"status\":\"failed\"},\"logs\":{\"logLines\":[\"from jobs/get\"]}}]}",
             0);
    guint before = fake_count(fx->srv, NULL, NULL);
    log = abfs_job_attempt_log(jobs, CONN_A, "8", 0, &err);
    g_assert_no_error(err);
    g_assert_cmpstr(log, ==, "from jobs/get\n");
    g_free(log);
    g_assert_cmpuint(fake_count(fx->srv, "POST", "/api/v1/attempt/get_for_job"), ==, 1);
    g_assert_cmpuint(fake_count(fx->srv, NULL, NULL), ==, before + 2); /* GET /jobs/8 and /jobs/get */
    /* no Config API: ENOTSUP that says so */
    api_push(fx->api, 404, "{\"message\":\"not found\"}", 0);
    g_assert_null(abfs_job_attempt_log(jobs, CONN_A, "7", 0, &err));
    g_assert_error(err, ABFS_ERROR, ENOTSUP);
    g_assert_nonnull(err && strstr(err->message, "Config API"));
    g_clear_error(&err);
    abfs_jobs_free(jobs);
    fx_free(fx);
}

/* timeline.h: newest first, four tab-separated fields, whatever the server's text holds. */
static void test_timeline_text(void)
{
    json_object *events = json_tokener_parse(
        "[{\"id\":\"a\",\"eventType\":\"SYNC_STARTED\",\"createdAt\":1700000000,"
        "  \"summary\":{\"jobId\":7,\"jobType\":\"sync\"},\"user\":{\"email\":\"me@x.io\",\"isDeleted\":false}},"
        " {\"id\":\"b\",\"eventType\":\"SYNC_SUCCEEDED\",\"createdAt\":1700000060000,"
        "  \"summary\":{\"jobId\":7,\"jobType\":\"sync\",\"recordsLoaded\":5,\"bytesLoaded\":50}},"
        " {\"id\":\"c\",\"eventType\":\"CONNECTION_SETTINGS_UPDATE\",\"createdAt\":1699999000,"
        "  \"summary\":{\"patches\":{\"name\":{\"from\":\"a\\tb\",\"to\":\"c\"},\"enabled\":{\"from\":true,\"to\":false}}},"
        "  \"user\":{\"name\":\"Ann\\nLee\",\"isDeleted\":false}},"
        " {\"id\":\"d\",\"eventType\":\"SCHEMA_UPDATE\",\"createdAt\":1699998000,\"summary\":{\"x\":1}},"
        " {\"id\":\"e\",\"createdAt\":1699997000,\"summary\":{}}]");
    char *text = abfs_timeline_text(events);
    g_assert_cmpstr(text, ==,
                    "2023-11-14T22:14:20Z\tSYNC_SUCCEEDED\t-\tjob 7 sync: 5 records, 50 bytes\n"
                    "2023-11-14T22:13:20Z\tSYNC_STARTED\tme@x.io\tjob 7 sync\n"
                    "2023-11-14T21:56:40Z\tCONNECTION_SETTINGS_UPDATE\tAnn Lee\t"
                    "enabled: true -> false; name: \"a\\tb\" -> \"c\"\n"
                    "2023-11-14T21:40:00Z\tSCHEMA_UPDATE\t-\t{\"x\":1}\n"
                    "2023-11-14T21:23:20Z\tUNKNOWN\t-\t\n");
    g_free(text);
    json_object_put(events);
}

/* The timeline's one request: bounded, kept for the TTL, ENOTSUP without a Config API. */
static void test_timeline_read(void)
{
    Fx *fx = fx_new_full("t", 5);
    AbfsTimeline *t = abfs_timeline_new(fx->client, 60000);
    api_push(fx->api, 200, "{\"events\":[{\"id\":\"a\",\"eventType\":\"SYNC_STARTED\",\"createdAt\":1,"
                           "\"connectionId\":\"" CONN_A "\",\"summary\":{}}]}",
             0);
    GError *err = NULL;
    char *text = abfs_timeline_read(t, CONN_A, FALSE, &err);
    g_assert_no_error(err);
    g_assert_cmpstr(text, ==, "1970-01-01T00:00:01Z\tSYNC_STARTED\t-\t\n");
    g_free(text);
    text = abfs_timeline_read(t, CONN_A, TRUE, &err);
    g_assert_nonnull(text && strstr(text, "\"eventType\": \"SYNC_STARTED\""));
    g_free(text);
    g_assert_cmpuint(fake_count(fx->srv, "POST", "/api/v1/connections/events/list"), ==, 1);
    json_object *body = json_tokener_parse(fake_nth(fx->srv, "POST", "/api/v1/connections/events/list", 0)->body);
    g_assert_cmpint(json_object_get_int(json_object_object_get(json_object_object_get(body, "pagination"), "pageSize")),
                    ==, ABFS_TIMELINE_EVENTS);
    json_object_put(body);
    abfs_timeline_invalidate(t);
    api_push(fx->api, 404, "{\"message\":\"not found\"}", 0);
    g_assert_null(abfs_timeline_read(t, CONN_A, FALSE, &err));
    g_assert_error(err, ABFS_ERROR, ENOTSUP);
    g_clear_error(&err);
    abfs_timeline_free(t);
    fx_free(fx);
}

int main(int argc, char **argv)
{
    abfs_unit_init(&argc, &argv);
    g_test_add_func("/forensics/failure-lines", test_failure_lines);
    g_test_add_func("/forensics/streams-tsv", test_streams_tsv);
    g_test_add_func("/forensics/attempt-files", test_attempt_files);
    g_test_add_func("/forensics/stream-labels", test_stream_labels);
    g_test_add_func("/forensics/info-and-attempt-log-cached", test_jobs_info_and_attempt_log_cached);
    g_test_add_func("/timeline/text", test_timeline_text);
    g_test_add_func("/timeline/read", test_timeline_read);
    return abfs_unit_run();
}
