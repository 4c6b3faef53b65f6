/* test_auth.c — unit tests of core/auth.h: token fetch, reuse, 401, JWT expiry, concurrent callers. */
#include "fake_http.h"

static void test_auth_token_fetch(void)
{
    Fx *fx = fx_new();
    GError *err = NULL;
    json_object *ws = abfs_workspace_get(fx->client, WS, &err);
    g_assert_no_error(err);
    g_assert_nonnull(ws);
    json_object_put(ws);

    g_assert_cmpuint(token_requests(fx), ==, 1);
    FakeRequest *tok = fake_nth(fx->srv, NULL, NULL, 0);
    g_assert_nonnull(tok);
    if (tok) {
        g_assert_cmpstr(tok->method, ==, "POST");
        g_assert_cmpstr(tok->path, ==, TOKEN_PATH);
        const char *ct = fake_header(tok, "Content-Type");
        g_assert_nonnull(ct);
        if (ct)
            g_assert_nonnull(strstr(ct, "application/json"));
        g_assert_null(fake_header(tok, "Authorization"));
        json_object *body = json_tokener_parse(tok->body);
        g_assert_nonnull(body);
        g_assert_cmpstr(abfs_json_string(body, "client_id"), ==, "the-client-id");
        g_assert_cmpstr(abfs_json_string(body, "client_secret"), ==, "the-client-secret");
        g_assert_cmpstr(abfs_json_string(body, "grant-type"), ==, "client_credentials");
        json_object_put(body);
    }
    FakeRequest *get = fake_nth(fx->srv, "GET", "/api/public/v1/workspaces/" WS, 0);
    g_assert_nonnull(get);
    if (get)
        g_assert_cmpstr(fake_header(get, "Authorization"), ==, "Bearer tok-1");
    fx_free(fx);
}

static void test_auth_token_reused(void)
{
    Fx *fx = fx_new();
    for (int i = 0; i < 4; i++) {
        GError *err = NULL;
        g_assert_true(abfs_client_call(fx->client, ABFS_API_PUBLIC, "GET", "/workspaces/" WS, NULL,
                                       ABFS_CALL_IDEMPOTENT, NULL, &err));
        g_assert_no_error(err);
    }
    g_assert_cmpuint(token_requests(fx), ==, 1);
    g_assert_cmpuint(fake_count(fx->srv, "GET", NULL), ==, 4);
    for (guint i = 0; i < 4; i++) {
        FakeRequest *r = fake_nth(fx->srv, "GET", NULL, i);
        g_assert_nonnull(r);
        if (r)
            g_assert_cmpstr(fake_header(r, "Authorization"), ==, "Bearer tok-1");
    }
    fx_free(fx);
}

static void test_auth_401_refetches_once(void)
{
    Fx *fx = fx_new();
    fx->api->reject_first_token = TRUE;
    GError *err = NULL;
    json_object *out = NULL;
    g_assert_true(abfs_client_call(fx->client, ABFS_API_PUBLIC, "GET", "/workspaces/" WS, NULL,
                                   ABFS_CALL_IDEMPOTENT, &out, &err));
    g_assert_no_error(err);
    g_assert_nonnull(out);
    json_object_put(out);
    g_assert_cmpuint(token_requests(fx), ==, 2);
    g_assert_cmpuint(fake_count(fx->srv, "GET", NULL), ==, 2);
    FakeRequest *second = fake_nth(fx->srv, "GET", NULL, 1);
    g_assert_nonnull(second);
    if (second)
        g_assert_cmpstr(fake_header(second, "Authorization"), ==, "Bearer tok-2");
    /* the new token is kept */
    g_assert_true(abfs_client_call(fx->client, ABFS_API_PUBLIC, "GET", "/workspaces/" WS, NULL,
                                   ABFS_CALL_IDEMPOTENT, NULL, &err));
    g_assert_cmpuint(token_requests(fx), ==, 2);
    fx_free(fx);
}

static void test_auth_401_twice_is_eacces(void)
{
    Fx *fx = fx_new();
    fx->api->always_401 = TRUE;
    GError *err = NULL;
    /* not even for a non-idempotent call is the request sent more than twice */
    json_object *body = json_tokener_parse("{\"connectionId\":\"" CONN_A "\",\"jobType\":\"sync\"}");
    g_assert_false(abfs_client_call(fx->client, ABFS_API_PUBLIC, "POST", "/jobs", body, ABFS_CALL_DEFAULT,
                                    NULL, &err));
    json_object_put(body);
    g_assert_error(err, ABFS_ERROR, EACCES);
    g_assert_cmpint(abfs_error_http_status(err), ==, 401);
    g_clear_error(&err);
    g_assert_cmpuint(token_requests(fx), ==, 2);
    g_assert_cmpuint(fake_count(fx->srv, "POST", "/api/public/v1/jobs"), ==, 2);
    fx_free(fx);
}

static void test_auth_bearer_used_as_given(void)
{
    Fx *fx = fx_new_full("given-token", 0);
    GError *err = NULL;
    g_assert_true(abfs_client_call(fx->client, ABFS_API_PUBLIC, "GET", "/workspaces/" WS, NULL,
                                   ABFS_CALL_IDEMPOTENT, NULL, &err));
    g_assert_no_error(err);
    FakeRequest *r = fake_nth(fx->srv, "GET", NULL, 0);
    g_assert_nonnull(r);
    if (r)
        g_assert_cmpstr(fake_header(r, "Authorization"), ==, "Bearer given-token");
    /* a 401 with a fixed token: no fetch, no retry */
    fx->api->always_401 = TRUE;
    g_assert_false(abfs_client_call(fx->client, ABFS_API_PUBLIC, "GET", "/workspaces/" WS, NULL,
                                    ABFS_CALL_IDEMPOTENT, NULL, &err));
    g_assert_error(err, ABFS_ERROR, EACCES);
    g_clear_error(&err);
    g_assert_cmpuint(token_requests(fx), ==, 0);
    g_assert_cmpuint(fake_count(fx->srv, "GET", NULL), ==, 2);
    fx_free(fx);
}

static void test_auth_refused_token(void)
{
    Fx *fx = fx_new();
    fx->api->token_status = 400;
    fx->api->token_body = "{\"message\":\"Bad Request\",\"_embedded\":{\"errors\":[{\"message\":"
                          "\"Invalid client id or token\"}]}}";
    GError *err = NULL;
    g_assert_false(abfs_client_call(fx->client, ABFS_API_PUBLIC, "GET", "/workspaces/" WS, NULL,
                                    ABFS_CALL_IDEMPOTENT, NULL, &err));
    g_assert_error(err, ABFS_ERROR, EACCES);
    if (err) {
        g_assert_null(strstr(err->message, "the-client-secret"));
        g_assert_cmpint(abfs_error_http_status(err), ==, 400);
    }
    g_clear_error(&err);
    g_assert_cmpuint(fake_count(fx->srv, "GET", NULL), ==, 0);
    fx_free(fx);
}

static void test_auth_token_without_access_token(void)
{
    Fx *fx = fx_new();
    fx->api->token_body = "{\"token_type\":\"Bearer\"}";
    GError *err = NULL;
    g_assert_false(abfs_client_call(fx->client, ABFS_API_PUBLIC, "GET", "/workspaces/" WS, NULL,
                                    ABFS_CALL_DEFAULT, NULL, &err));
    g_assert_nonnull(err);
    g_clear_error(&err);
    g_assert_cmpuint(fake_count(fx->srv, "GET", NULL), ==, 0);
    fx_free(fx);
}

static void test_auth_direct(void)
{
    Fx *fx = fx_new();
    AbfsConfig *cfg = config_for(fx->srv, NULL, 5);
    AbfsHttpOptions opts = {.connect_timeout_s = 2, .request_timeout_s = 5, .max_body_bytes = 1 << 20};
    AbfsHttp *http = abfs_http_new(&opts);
    AbfsAuth *auth = abfs_auth_new(cfg, http);
    GError *err = NULL;
    char *h1 = abfs_auth_header(auth, g_get_monotonic_time() + 10 * G_USEC_PER_SEC, &err);
    g_assert_no_error(err);
    g_assert_cmpstr(h1, ==, "Authorization: Bearer tok-1");
    char *h2 = abfs_auth_header(auth, g_get_monotonic_time() + 10 * G_USEC_PER_SEC, &err);
    g_assert_cmpstr(h2, ==, h1);
    g_assert_cmpuint(token_requests(fx), ==, 1);
    g_assert_true(abfs_auth_invalidate(auth, h1));
    char *h3 = abfs_auth_header(auth, g_get_monotonic_time() + 10 * G_USEC_PER_SEC, &err);
    g_assert_cmpstr(h3, ==, "Authorization: Bearer tok-2");
    /* a late 401 for the old token does not drop the newer one */
    g_assert_true(abfs_auth_invalidate(auth, h1));
    char *h4 = abfs_auth_header(auth, g_get_monotonic_time() + 10 * G_USEC_PER_SEC, &err);
    g_assert_cmpstr(h4, ==, h3);
    g_assert_cmpuint(token_requests(fx), ==, 2);
    g_free(h1);
    g_free(h2);
    g_free(h3);
    g_free(h4);
    abfs_auth_free(auth);
    abfs_config_free(cfg);

    /* bearer: nothing to refresh */
    cfg = config_for(fx->srv, "fixed", 5);
    auth = abfs_auth_new(cfg, http);
    char *h = abfs_auth_header(auth, g_get_monotonic_time() + 10 * G_USEC_PER_SEC, &err);
    g_assert_cmpstr(h, ==, "Authorization: Bearer fixed");
    g_assert_false(abfs_auth_invalidate(auth, h));
    g_free(h);
    abfs_auth_free(auth);
    abfs_config_free(cfg);
    abfs_http_free(http);
    g_assert_cmpuint(token_requests(fx), ==, 2);
    fx_free(fx);
}

static char *b64url(const char *text)
{
    char *b = g_base64_encode((const guchar *)text, strlen(text));
    for (char *p = b; *p; p++)
        *p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
    char *eq = strchr(b, '=');
    if (eq)
        *eq = '\0';
    return b;
}

static char *make_jwt(gint64 exp)
{
    char *payload = g_strdup_printf("{\"sub\":\"x\",\"exp\":%" G_GINT64_FORMAT "}", exp);
    char *h = b64url("{\"alg\":\"RS256\",\"typ\":\"JWT\"}");
    char *p = b64url(payload);
    char *jwt = g_strdup_printf("%s.%s.c2lnbmF0dXJl", h, p);
    g_free(payload);
    g_free(h);
    g_free(p);
    return jwt;
}

static void test_auth_jwt_seconds_left(void)
{
    gint64 now = 1700000000;
    for (gint64 d = 95; d <= 100; d++) { /* several payload lengths, so several paddings */
        char *jwt = make_jwt(now + d);
        g_assert_cmpint(abfs_auth_jwt_seconds_left(jwt, now), ==, d);
        g_free(jwt);
    }
    g_assert_cmpint(abfs_auth_jwt_seconds_left("not-a-jwt", now), ==, -1);
    g_assert_cmpint(abfs_auth_jwt_seconds_left("a.b", now), ==, -1);
    g_assert_cmpint(abfs_auth_jwt_seconds_left("a.!!!.c", now), ==, -1);
    g_assert_cmpint(abfs_auth_jwt_seconds_left("", now), ==, -1);
    char *noexp_p = b64url("{\"sub\":\"x\"}");
    char *noexp = g_strdup_printf("e30.%s.c2ln", noexp_p);
    g_assert_cmpint(abfs_auth_jwt_seconds_left(noexp, now), ==, -1);
    g_free(noexp);
    g_free(noexp_p);
}

/* A JWT whose exp comes before expires_in: the token is refreshed by the JWT's clock. */
static void test_auth_jwt_expiry_refreshes(void)
{
    Fx *fx = fx_new();
    fx->api->token_value = make_jwt(g_get_real_time() / G_USEC_PER_SEC + 2);
    GError *err = NULL;
    g_assert_true(abfs_client_call(fx->client, ABFS_API_PUBLIC, "GET", "/workspaces/" WS, NULL,
                                   ABFS_CALL_IDEMPOTENT, NULL, &err));
    g_assert_no_error(err);
    g_assert_cmpuint(token_requests(fx), ==, 1);
    g_usleep(1100 * 1000); /* the 2 s token must not outlive its usable part (auth.h: 60 s margin) */
    g_assert_true(abfs_client_call(fx->client, ABFS_API_PUBLIC, "GET", "/workspaces/" WS, NULL,
                                   ABFS_CALL_IDEMPOTENT, NULL, &err));
    g_assert_no_error(err);
    g_assert_cmpuint(token_requests(fx), ==, 2);
    fx_free(fx);
}

typedef struct {
    AbfsClient *client;
    gboolean ok;
} CallThread;

static gpointer call_thread(gpointer p)
{
    CallThread *t = p;
    GError *err = NULL;
    t->ok = abfs_client_call(t->client, ABFS_API_PUBLIC, "GET", "/workspaces/" WS, NULL,
                             ABFS_CALL_IDEMPOTENT, NULL, &err);
    g_clear_error(&err);
    return NULL;
}

static void test_auth_concurrent_share_one_fetch(void)
{
    Fx *fx = fx_new();
    fx->api->token_delay_ms = 200;
    CallThread t[8];
    GThread *th[8];
    for (int i = 0; i < 8; i++) {
        t[i].client = fx->client;
        t[i].ok = FALSE;
        th[i] = g_thread_new("call", call_thread, &t[i]);
    }
    for (int i = 0; i < 8; i++) {
        g_thread_join(th[i]);
        g_assert_true(t[i].ok);
    }
    g_assert_cmpuint(token_requests(fx), ==, 1);
    g_assert_cmpuint(fake_count(fx->srv, "GET", NULL), ==, 8);
    fx_free(fx);
}

/* One 503 from the token endpoint is tried again like any idempotent call, and waiting for a
 * token fetched by another thread never outlasts the caller's own deadline. */
static void test_auth_token_503_retried(void)
{
    Fx *fx = fx_new();
    fx->api->token_busy = 2;
    GError *err = NULL;
    json_object *ws = abfs_workspace_get(fx->client, WS, &err);
    g_assert_no_error(err);
    json_object_put(ws);
    g_assert_cmpuint(fake_count(fx->srv, "POST", TOKEN_PATH), ==, 3);
    fx_free(fx);
}

int main(int argc, char **argv)
{
    abfs_unit_init(&argc, &argv);
    g_test_add_func("/auth/token-fetch", test_auth_token_fetch);
    g_test_add_func("/auth/token-reused", test_auth_token_reused);
    g_test_add_func("/auth/401-refetches-once", test_auth_401_refetches_once);
    g_test_add_func("/auth/401-twice-is-eacces", test_auth_401_twice_is_eacces);
    g_test_add_func("/auth/bearer-used-as-given", test_auth_bearer_used_as_given);
    g_test_add_func("/auth/refused-token", test_auth_refused_token);
    g_test_add_func("/auth/token-without-access-token", test_auth_token_without_access_token);
    g_test_add_func("/auth/direct", test_auth_direct);
    g_test_add_func("/auth/jwt-seconds-left", test_auth_jwt_seconds_left);
    g_test_add_func("/auth/jwt-expiry-refreshes", test_auth_jwt_expiry_refreshes);
    g_test_add_func("/auth/concurrent-share-one-fetch", test_auth_concurrent_share_one_fetch);
    g_test_add_func("/auth/token-503-retried", test_auth_token_503_retried);
    return abfs_unit_run();
}
