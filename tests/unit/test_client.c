/* test_client.c — unit tests of core/client.h: retries, statuses, deadlines, backoff. */
#include "fake_http.h"

static void test_client_retries_idempotent_503(void)
{
    Fx *fx = fx_new();
    api_push(fx->api, 503, "{\"title\":\"service-unavailable\"}", 0);
    api_push(fx->api, 503, "", 0);
    GError *err = NULL;
    json_object *ws = abfs_workspace_get(fx->client, WS, &err);
    g_assert_no_error(err);
    g_assert_nonnull(ws);
    json_object_put(ws);
    g_assert_cmpuint(fake_count(fx->srv, "GET", "/api/public/v1/workspaces/" WS), ==, 3);

    /* 429 too */
    api_push(fx->api, 429, "{\"message\":\"You are being rate limited.\"}", 0);
    g_assert_true(abfs_client_call(fx->client, ABFS_API_PUBLIC, "GET", "/workspaces/" WS, NULL,
                                   ABFS_CALL_IDEMPOTENT, NULL, &err));
    g_assert_no_error(err);
    g_assert_cmpuint(fake_count(fx->srv, "GET", "/api/public/v1/workspaces/" WS), ==, 5);
    fx_free(fx);
}

static void test_client_retries_are_bounded(void)
{
    Fx *fx = fx_new_full(NULL, 1); /* a 1 s deadline */
    api_set_default(fx->api, 503, "{\"title\":\"service-unavailable\",\"detail\":\"down\"}");
    gint64 start = g_get_monotonic_time();
    GError *err = NULL;
    g_assert_false(abfs_client_call(fx->client, ABFS_API_PUBLIC, "GET", "/workspaces/" WS, NULL,
                                    ABFS_CALL_IDEMPOTENT, NULL, &err));
    gint64 took_ms = (g_get_monotonic_time() - start) / 1000;
    g_assert_error(err, ABFS_ERROR, EIO);
    g_assert_cmpint(abfs_error_http_status(err), ==, 503);
    g_clear_error(&err);
    guint n = fake_count(fx->srv, "GET", NULL);
    g_assert_cmpuint(n, >=, 2);
    g_assert_cmpuint(n, <=, 6);
    g_assert_cmpint(took_ms, <, 2500);
    fx_free(fx);
}

static void test_client_no_retry_non_idempotent(void)
{
    Fx *fx = fx_new();
    api_push(fx->api, 503, "{\"title\":\"service-unavailable\",\"detail\":\"try later\"}", 0);
    json_object *body = json_tokener_parse("{\"connectionId\":\"" CONN_A "\",\"jobType\":\"sync\"}");
    GError *err = NULL;
    g_assert_false(abfs_client_call(fx->client, ABFS_API_PUBLIC, "POST", "/jobs", body, ABFS_CALL_DEFAULT,
                                    NULL, &err));
    g_assert_error(err, ABFS_ERROR, EIO);
    g_assert_cmpint(abfs_error_http_status(err), ==, 503);
    g_clear_error(&err);
    g_assert_cmpuint(fake_count(fx->srv, "POST", "/api/public/v1/jobs"), ==, 1);
    FakeRequest *r = fake_nth(fx->srv, "POST", "/api/public/v1/jobs", 0);
    g_assert_nonnull(r);
    if (r) {
        json_object *sent = json_tokener_parse(r->body);
        g_assert_true(json_object_equal(sent, body));
        json_object_put(sent);
        g_assert_nonnull(strstr(fake_header(r, "Content-Type"), "application/json"));
    }
    json_object_put(body);
    fx_free(fx);
}

static void test_client_404_is_enoent(void)
{
    Fx *fx = fx_new();
    GString *b = g_string_new(NULL);
    problem(b, 404, "resource-not-found", "The requested resource could not be found.");
    api_push(fx->api, 404, b->str, 0);
    GError *err = NULL;
    json_object *c = abfs_connection_get(fx->client, WS, CONN_A, &err);
    g_assert_null(c);
    g_assert_error(err, ABFS_ERROR, ENOENT);
    if (err) {
        g_assert_nonnull(strstr(err->message, "The requested resource could not be found."));
        g_assert_cmpint(abfs_error_http_status(err), ==, 404);
    }
    g_clear_error(&err);
    g_assert_cmpuint(fake_count(fx->srv, "GET", "/api/public/v1/connections/" CONN_A), ==, 1);

    /* the workspace too */
    api_push(fx->api, 404, b->str, 0);
    json_object *ws = abfs_workspace_get(fx->client, WS, &err);
    g_assert_null(ws);
    g_assert_error(err, ABFS_ERROR, ENOENT);
    g_clear_error(&err);
    g_string_free(b, TRUE);
    fx_free(fx);
}

static void test_client_errno_statuses(void)
{
    Fx *fx = fx_new();
    const struct {
        int status, err;
    } rows[] = {{400, EINVAL}, {403, EPERM}, {409, EBUSY}, {422, EINVAL}, {423, EBUSY}};
    for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
        api_push(fx->api, rows[i].status, "{\"detail\":\"server says no\"}", 0);
        GError *err = NULL;
        g_assert_false(abfs_client_call(fx->client, ABFS_API_PUBLIC, "PATCH", "/connections/" CONN_A, NULL,
                                        ABFS_CALL_DEFAULT, NULL, &err));
        g_assert_error(err, ABFS_ERROR, rows[i].err);
        if (err) {
            char *want = g_strdup_printf("HTTP %d: server says no", rows[i].status);
            g_assert_cmpstr(err->message, ==, want);
            g_free(want);
        }
        g_clear_error(&err);
    }
    fx_free(fx);
}

static void test_client_malformed_json(void)
{
    Fx *fx = fx_new();
    const char *bodies[] = {"{\"workspaceId\": [", "{} trailing", "<html>oops</html>", "{\"a\":1}}"};
    for (gsize i = 0; i < G_N_ELEMENTS(bodies); i++) {
        api_push(fx->api, 200, bodies[i], 0);
        GError *err = NULL;
        json_object *out = NULL;
        g_assert_false(abfs_client_call(fx->client, ABFS_API_PUBLIC, "GET", "/workspaces/" WS, NULL,
                                        ABFS_CALL_DEFAULT, &out, &err));
        g_assert_null(out);
        g_assert_error(err, ABFS_ERROR, EIO);
        g_clear_error(&err);
    }
    fx_free(fx);
}

static void test_client_empty_body(void)
{
    Fx *fx = fx_new();
    api_push(fx->api, 204, "", 0);
    GError *err = NULL;
    json_object *out = (json_object *)0x1;
    g_assert_true(abfs_client_call(fx->client, ABFS_API_PUBLIC, "DELETE", "/connections/" CONN_A, NULL,
                                   ABFS_CALL_DEFAULT, &out, &err));
    g_assert_no_error(err);
    g_assert_null(out);
    fx_free(fx);
}

static void test_client_config_api(void)
{
    Fx *fx = fx_new();
    api_push(fx->api, 200, "{\"stateType\":\"not_set\",\"connectionId\":\"" CONN_A "\"}", 0);
    json_object *body = json_tokener_parse("{\"connectionId\":\"" CONN_A "\"}");
    json_object *out = NULL;
    GError *err = NULL;
    g_assert_true(abfs_client_call(fx->client, ABFS_API_CONFIG, "POST", "/state/get", body,
                                   ABFS_CALL_IDEMPOTENT, &out, &err));
    g_assert_no_error(err);
    g_assert_cmpstr(abfs_json_string(out, "stateType"), ==, "not_set");
    json_object_put(out);
    json_object_put(body);
    FakeRequest *r = fake_nth(fx->srv, "POST", "/api/v1/state/get", 0);
    g_assert_nonnull(r);
    if (r)
        g_assert_cmpstr(fake_header(r, "Authorization"), ==, "Bearer tok-1");
    fx_free(fx);

    /* an unknown Config API root: ENOTSUP, nothing sent */
    Api *api = api_new();
    FakeServer *srv = fake_start(api_handler, api);
    AbfsConfig *cfg = abfs_config_new();
    char *root = g_strdup_printf("%s/gateway", srv->root);
    abfs_config_set(&cfg->api_root, root);
    g_free(root);
    abfs_config_set(&cfg->workspace_id, WS);
    abfs_config_set(&cfg->bearer_token, "t");
    g_assert_true(abfs_config_finish(cfg, &err));
    AbfsClient *client = abfs_client_new(cfg, FALSE, NULL);
    g_assert_false(abfs_client_call(client, ABFS_API_CONFIG, "POST", "/state/get", NULL, ABFS_CALL_DEFAULT,
                                    NULL, &err));
    g_assert_error(err, ABFS_ERROR, ENOTSUP);
    g_clear_error(&err);
    g_assert_cmpuint(fake_count(srv, NULL, NULL), ==, 0);
    abfs_client_free(client);
    fake_free(srv);
    api_free(api);
}

static void test_client_unreachable(void)
{
    Fx *fx = fx_new_full("t", 5);
    fake_shutdown(fx->srv);
    GError *err = NULL;
    g_assert_false(abfs_client_call(fx->client, ABFS_API_PUBLIC, "POST", "/jobs", NULL, ABFS_CALL_DEFAULT,
                                    NULL, &err));
    g_assert_error(err, ABFS_ERROR, ENOTCONN);
    g_clear_error(&err);
    fx_free(fx);
}

static void test_client_backoff(void)
{
    GRand *rand = g_rand_new_with_seed(42);
    const gint64 base = 200000, cap = 5000000;
    for (guint attempt = 0; attempt < 12; attempt++) {
        gint64 ceiling = MIN(cap, base << MIN(attempt, 20u));
        for (int k = 0; k < 50; k++) {
            gint64 w = abfs_client_backoff_us(attempt, base, cap, rand);
            g_assert_cmpint(w, >=, 0);
            g_assert_cmpint(w, <=, ceiling);
        }
    }
    /* jitter: not always the same */
    gint64 first = abfs_client_backoff_us(3, base, cap, rand);
    gboolean differs = FALSE;
    for (int k = 0; k < 20 && !differs; k++)
        differs = abfs_client_backoff_us(3, base, cap, rand) != first;
    g_assert_true(differs);
    g_rand_free(rand);
}

/* -o timeout bounds a call as a whole: with every answer 1.5 s late and 503, a 2 s timeout ends
 * the call near 2 s, not after four attempts of 2 s each. */
static void test_client_timeout_bounds_retries(void)
{
    Fx *fx = fx_new_full("t", 2);
    for (int i = 0; i < 6; i++)
        api_push(fx->api, 503, "{\"title\":\"busy\"}", 1500);
    gint64 start = g_get_monotonic_time();
    GError *err = NULL;
    g_assert_false(abfs_client_call(fx->client, ABFS_API_PUBLIC, "GET", "/workspaces/" WS, NULL,
                                    ABFS_CALL_IDEMPOTENT, NULL, &err));
    gint64 took_ms = (g_get_monotonic_time() - start) / 1000;
    g_assert_nonnull(err);
    g_clear_error(&err);
    g_assert_cmpint(took_ms, <, 2300);
    fx_free(fx);
}

/* An operation deadline spans several calls: the second call gets only what is left. */
static void test_client_operation_deadline(void)
{
    Fx *fx = fx_new_full("t", 2);
    api_push(fx->api, 200, "{}", 1200);
    api_push(fx->api, 200, "{}", 1200);
    gint64 start = g_get_monotonic_time();
    gint64 saved = abfs_client_deadline_begin(fx->client);
    GError *err = NULL;
    g_assert_true(abfs_client_call(fx->client, ABFS_API_PUBLIC, "GET", "/a", NULL, ABFS_CALL_IDEMPOTENT, NULL, &err));
    g_assert_no_error(err);
    g_assert_false(abfs_client_call(fx->client, ABFS_API_PUBLIC, "GET", "/b", NULL, ABFS_CALL_IDEMPOTENT, NULL, &err));
    g_assert_error(err, ABFS_ERROR, ETIMEDOUT);
    g_clear_error(&err);
    abfs_client_deadline_end(saved);
    g_assert_cmpint(abfs_client_deadline(), ==, 0);
    g_assert_cmpint((g_get_monotonic_time() - start) / 1000, <, 2300);
    fx_free(fx);
}

/* A huge Retry-After neither overflows (UBSan) nor makes the call wait past its deadline. */
static void test_client_huge_retry_after(void)
{
    Fx *fx = fx_new_full("t", 1);
    api_push_ex(fx->api, 429, "{\"message\":\"You are being rate limited.\"}", FALSE,
                "Retry-After: 99999999999999999999\r\n");
    gint64 start = g_get_monotonic_time();
    GError *err = NULL;
    g_assert_false(abfs_client_call(fx->client, ABFS_API_PUBLIC, "GET", "/workspaces/" WS, NULL,
                                    ABFS_CALL_IDEMPOTENT, NULL, &err));
    g_assert_error(err, ABFS_ERROR, EAGAIN);
    g_clear_error(&err);
    g_assert_cmpint((g_get_monotonic_time() - start) / 1000, <, 1500);
    fx_free(fx);
}

int main(int argc, char **argv)
{
    abfs_unit_init(&argc, &argv);
    g_test_add_func("/client/retries-idempotent-503", test_client_retries_idempotent_503);
    g_test_add_func("/client/retries-are-bounded", test_client_retries_are_bounded);
    g_test_add_func("/client/no-retry-non-idempotent", test_client_no_retry_non_idempotent);
    g_test_add_func("/client/404-is-enoent", test_client_404_is_enoent);
    g_test_add_func("/client/errno-statuses", test_client_errno_statuses);
    g_test_add_func("/client/malformed-json", test_client_malformed_json);
    g_test_add_func("/client/empty-body", test_client_empty_body);
    g_test_add_func("/client/config-api", test_client_config_api);
    g_test_add_func("/client/unreachable", test_client_unreachable);
    g_test_add_func("/client/backoff", test_client_backoff);
    g_test_add_func("/client/timeout-bounds-retries", test_client_timeout_bounds_retries);
    g_test_add_func("/client/operation-deadline", test_client_operation_deadline);
    g_test_add_func("/client/huge-retry-after", test_client_huge_retry_after);
    return abfs_unit_run();
}
