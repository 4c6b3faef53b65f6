/* test_http.c — unit tests of core/http.h: requests, body bounds, timeouts, cut bodies. */
#include "fake_http.h"

static void test_http_request(void)
{
    Api *api = api_new();
    FakeServer *srv = fake_start(api_handler, api);
    AbfsHttpOptions opts = {.connect_timeout_s = 2, .request_timeout_s = 5, .max_body_bytes = 1 << 20};
    AbfsHttp *http = abfs_http_new(&opts);
    api_push(api, 404, "{\"detail\":\"gone\"}", 0);
    api_push(api, 200, "{\"ok\":true}", 0);

    char *url = g_strdup_printf("%s/api/public/v1/x?a=1", srv->root);
    const char *headers[] = {"X-Test: yes", NULL};
    AbfsHttpResponse resp;
    GError *err = NULL;
    /* an HTTP error status is not an error of the transport */
    g_assert_true(abfs_http_request(http, "GET", url, headers, NULL, &resp, &err));
    g_assert_no_error(err);
    g_assert_cmpint(resp.status, ==, 404);
    g_assert_cmpstr(resp.body->str, ==, "{\"detail\":\"gone\"}");
    abfs_http_response_clear(&resp);

    g_assert_true(abfs_http_request(http, "POST", url, NULL, "{\"k\":1}", &resp, &err));
    g_assert_no_error(err);
    g_assert_cmpint(resp.status, ==, 200);
    abfs_http_response_clear(&resp);

    FakeRequest *get = fake_nth(srv, "GET", "/api/public/v1/x", 0);
    FakeRequest *post = fake_nth(srv, "POST", "/api/public/v1/x", 0);
    g_assert_nonnull(get);
    g_assert_nonnull(post);
    if (get && post) {
        g_assert_cmpstr(get->query, ==, "a=1");
        g_assert_cmpstr(fake_header(get, "X-Test"), ==, "yes");
        g_assert_nonnull(strstr(fake_header(get, "Accept"), "application/json"));
        g_assert_cmpstr(post->body, ==, "{\"k\":1}");
        g_assert_nonnull(strstr(fake_header(post, "Content-Type"), "application/json"));
        g_assert_nonnull(fake_header(post, "User-Agent"));
    }
    guint64 requests, bytes, millis;
    abfs_http_totals(http, &requests, &bytes, &millis);
    g_assert_cmpuint(requests, ==, 2);
    g_assert_cmpuint(bytes, >=, strlen("{\"detail\":\"gone\"}") + strlen("{\"ok\":true}"));

    abfs_http_free(http);
    g_free(url);
    fake_free(srv);
    api_free(api);
}

static void test_http_body_too_big(void)
{
    Api *api = api_new();
    FakeServer *srv = fake_start(api_handler, api);
    AbfsHttpOptions opts = {.connect_timeout_s = 2, .request_timeout_s = 5, .max_body_bytes = 1024};
    AbfsHttp *http = abfs_http_new(&opts);
    GString *big = g_string_new("\"");
    for (int i = 0; i < 8192; i++)
        g_string_append_c(big, 'x');
    g_string_append_c(big, '"');
    api_push(api, 200, big->str, 0);
    char *url = g_strdup_printf("%s/big", srv->root);
    AbfsHttpResponse resp;
    GError *err = NULL;
    g_assert_false(abfs_http_request(http, "GET", url, NULL, NULL, &resp, &err));
    g_assert_error(err, ABFS_ERROR, EFBIG);
    g_clear_error(&err);
    abfs_http_free(http);
    g_free(url);
    g_string_free(big, TRUE);
    fake_free(srv);
    api_free(api);
}

static void test_http_timeout_and_refused(void)
{
    Api *api = api_new();
    FakeServer *srv = fake_start(api_handler, api);
    AbfsHttpOptions opts = {.connect_timeout_s = 1, .request_timeout_s = 1, .max_body_bytes = 1 << 20};
    AbfsHttp *http = abfs_http_new(&opts);
    api_push(api, 200, "{}", 1100);
    char *url = g_strdup_printf("%s/slow", srv->root);
    AbfsHttpResponse resp;
    GError *err = NULL;
    g_assert_false(abfs_http_request(http, "GET", url, NULL, NULL, &resp, &err));
    g_assert_error(err, ABFS_ERROR, ETIMEDOUT);
    g_clear_error(&err);
    g_free(url);

    fake_shutdown(srv);
    url = g_strdup_printf("%s/refused", srv->root);
    g_assert_false(abfs_http_request(http, "GET", url, NULL, NULL, &resp, &err));
    g_assert_error(err, ABFS_ERROR, ENOTCONN);
    g_clear_error(&err);
    g_free(url);
    abfs_http_free(http);
    fake_free(srv);
    api_free(api);
}

/* A refusal whose body is cut is still the refusal (a 409 means nothing was done); a 2xx whose
 * body is cut is a lost answer. */
static void test_http_cut_bodies(void)
{
    Fx *fx = fx_new_full("t", 5);
    api_push_ex(fx->api, 409, "{\"title\":\"try-again-later\",\"detail\":\"A sync is already running for: x\"}", TRUE, NULL);
    GError *err = NULL;
    g_assert_false(abfs_client_call(fx->client, ABFS_API_PUBLIC, "POST", "/jobs", NULL, ABFS_CALL_DEFAULT, NULL, &err));
    g_assert_error(err, ABFS_ERROR, EBUSY);
    g_assert_false(abfs_error_outcome_unknown(err));
    g_clear_error(&err);
    api_push_ex(fx->api, 200, "{\"jobId\":7,\"status\":\"running\"}", TRUE, NULL);
    g_assert_false(abfs_client_call(fx->client, ABFS_API_PUBLIC, "POST", "/jobs", NULL, ABFS_CALL_DEFAULT, NULL, &err));
    g_assert_nonnull(err);
    g_assert_true(abfs_error_outcome_unknown(err));
    g_clear_error(&err);
    fx_free(fx);
}

int main(int argc, char **argv)
{
    abfs_unit_init(&argc, &argv);
    g_test_add_func("/http/request", test_http_request);
    g_test_add_func("/http/body-too-big", test_http_body_too_big);
    g_test_add_func("/http/timeout-and-refused", test_http_timeout_and_refused);
    g_test_add_func("/http/cut-bodies", test_http_cut_bodies);
    return abfs_unit_run();
}
