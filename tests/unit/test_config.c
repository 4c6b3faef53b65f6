/* test_config.c — unit tests of core/config.h: API roots, environment, key files, precedence. */
#include "fake_http.h"

static void check_config_root(const char *api_root, const char *expected)
{
    char *got = abfs_config_derive_config_root(api_root);
    g_assert_cmpstr(got, ==, expected);
    g_free(got);
}

static void test_config_derive_config_root(void)
{
    check_config_root("https://api.airbyte.com/v1", "https://cloud.airbyte.com/api/v1");
    check_config_root("https://api.airbyte.com/v1/", "https://cloud.airbyte.com/api/v1");
    check_config_root("http://localhost:8000/api/public/v1", "http://localhost:8000/api/v1");
    check_config_root("http://localhost:8000/api/public/v1/", "http://localhost:8000/api/v1");
    check_config_root("https://h/airbyte/api/public/v1/", "https://h/airbyte/api/v1");
    check_config_root("https://h/airbyte/api/public/v1", "https://h/airbyte/api/v1");
    /* unknown shapes */
    check_config_root("https://example.com/v1", NULL);
    check_config_root("http://localhost:8000/api/v1", NULL);
    check_config_root("http://localhost:8000/api/public/v2", NULL);
    check_config_root("https://example.com/", NULL);
}

static void check_web_root(const char *api_root, const char *expected)
{
    char *got = abfs_config_derive_web_root(api_root);
    g_assert_cmpstr(got, ==, expected);
    g_free(got);
}

static void test_config_derive_web_root(void)
{
    check_web_root("https://api.airbyte.com/v1", "https://cloud.airbyte.com");
    check_web_root("https://api.airbyte.com/v1/", "https://cloud.airbyte.com");
    check_web_root("http://localhost:8000/api/public/v1", "http://localhost:8000");
    check_web_root("https://h/airbyte/api/public/v1/", "https://h/airbyte");
    /* PyAirbyte's fallback: the public root itself */
    check_web_root("https://example.com/custom", "https://example.com/custom");
}

static void test_config_trim_root(void)
{
    char *s = abfs_config_trim_root("https://h/x///");
    g_assert_cmpstr(s, ==, "https://h/x");
    g_free(s);
    s = abfs_config_trim_root("https://h/x");
    g_assert_cmpstr(s, ==, "https://h/x");
    g_free(s);
}

static void test_config_set(void)
{
    char *field = NULL;
    abfs_config_set(&field, "x");
    g_assert_cmpstr(field, ==, "x");
    abfs_config_set(&field, "");
    g_assert_null(field);
    abfs_config_set(&field, "y");
    abfs_config_set(&field, NULL);
    g_assert_null(field);
}

static AbfsConfig *good_config(void)
{
    AbfsConfig *cfg = abfs_config_new();
    abfs_config_set(&cfg->workspace_id, WS);
    abfs_config_set(&cfg->client_id, "id");
    abfs_config_set(&cfg->client_secret, "secret");
    return cfg;
}

static void test_config_finish_cloud_defaults(void)
{
    AbfsConfig *cfg = good_config();
    GError *err = NULL;
    g_assert_true(abfs_config_finish(cfg, &err));
    g_assert_no_error(err);
    g_assert_cmpstr(cfg->api_root, ==, ABFS_CLOUD_API_ROOT);
    g_assert_cmpstr(cfg->config_api_root, ==, ABFS_CLOUD_CONFIG_API_ROOT);
    g_assert_cmpstr(cfg->web_root, ==, ABFS_CLOUD_WEB_ROOT);
    abfs_config_free(cfg);
}

static void test_config_finish_self_managed(void)
{
    AbfsConfig *cfg = good_config();
    abfs_config_set(&cfg->api_root, "https://h/airbyte/api/public/v1/");
    GError *err = NULL;
    g_assert_true(abfs_config_finish(cfg, &err));
    g_assert_no_error(err);
    g_assert_cmpstr(cfg->api_root, ==, "https://h/airbyte/api/public/v1");
    g_assert_cmpstr(cfg->config_api_root, ==, "https://h/airbyte/api/v1");
    g_assert_cmpstr(cfg->web_root, ==, "https://h/airbyte");
    abfs_config_free(cfg);
}

static void test_config_finish_unknown_shape(void)
{
    AbfsConfig *cfg = good_config();
    abfs_config_set(&cfg->api_root, "https://gateway.example.com/airbyte");
    GError *err = NULL;
    g_assert_true(abfs_config_finish(cfg, &err));
    g_assert_no_error(err);
    g_assert_null(cfg->config_api_root); /* may stay NULL: optional features degrade */
    abfs_config_free(cfg);
}

static void test_config_finish_keeps_explicit_roots(void)
{
    AbfsConfig *cfg = good_config();
    abfs_config_set(&cfg->config_api_root, "https://cfg.example.com/api/v1/");
    abfs_config_set(&cfg->web_root, "https://web.example.com/");
    GError *err = NULL;
    g_assert_true(abfs_config_finish(cfg, &err));
    g_assert_no_error(err);
    g_assert_cmpstr(cfg->config_api_root, ==, "https://cfg.example.com/api/v1");
    g_assert_cmpstr(cfg->web_root, ==, "https://web.example.com");
    abfs_config_free(cfg);
}

static void expect_finish_fails(AbfsConfig *cfg)
{
    GError *err = NULL;
    g_assert_false(abfs_config_finish(cfg, &err));
    g_assert_error(err, ABFS_ERROR, EINVAL);
    if (err) {
        g_assert_null(strchr(err->message, '\n'));
        /* secrets never appear in errors */
        g_assert_null(strstr(err->message, "s3cr3t"));
    }
    g_clear_error(&err);
    abfs_config_free(cfg);
}

static void test_config_finish_missing_workspace(void)
{
    AbfsConfig *cfg = good_config();
    abfs_config_set(&cfg->workspace_id, NULL);
    expect_finish_fails(cfg);
}

static void test_config_finish_bearer_and_client(void)
{
    AbfsConfig *cfg = good_config();
    abfs_config_set(&cfg->bearer_token, "s3cr3t");
    expect_finish_fails(cfg);
    /* a bearer token and only a client id is also two methods */
    cfg = good_config();
    abfs_config_set(&cfg->client_secret, NULL);
    abfs_config_set(&cfg->bearer_token, "s3cr3t");
    expect_finish_fails(cfg);
}

static void test_config_finish_id_without_secret(void)
{
    AbfsConfig *cfg = good_config();
    abfs_config_set(&cfg->client_secret, NULL);
    expect_finish_fails(cfg);
    cfg = good_config();
    abfs_config_set(&cfg->client_id, NULL);
    abfs_config_set(&cfg->client_secret, "s3cr3t");
    expect_finish_fails(cfg);
}

static void test_config_finish_no_credentials(void)
{
    AbfsConfig *cfg = good_config();
    abfs_config_set(&cfg->client_id, NULL);
    abfs_config_set(&cfg->client_secret, NULL);
    expect_finish_fails(cfg);
}

static void test_config_finish_bearer_only(void)
{
    AbfsConfig *cfg = good_config();
    abfs_config_set(&cfg->client_id, NULL);
    abfs_config_set(&cfg->client_secret, NULL);
    abfs_config_set(&cfg->bearer_token, "tok");
    GError *err = NULL;
    g_assert_true(abfs_config_finish(cfg, &err));
    g_assert_no_error(err);
    abfs_config_free(cfg);
}

static void test_config_finish_non_http_url(void)
{
    const char *bad[] = {"ftp://api.airbyte.com/v1", "api.airbyte.com/v1", "file:///etc/passwd",
                         "gopher://h/api/public/v1"};
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        AbfsConfig *cfg = good_config();
        abfs_config_set(&cfg->api_root, bad[i]);
        expect_finish_fails(cfg);
    }
}

static void test_config_env_cloud_vars(void)
{
    env_clear();
    g_setenv("AIRBYTE_CLOUD_CLIENT_ID", "env-id", TRUE);
    g_setenv("AIRBYTE_CLOUD_CLIENT_SECRET", "env-secret", TRUE);
    g_setenv("AIRBYTE_CLOUD_WORKSPACE_ID", "env-ws", TRUE);
    g_setenv("AIRBYTE_CLOUD_API_URL", "http://localhost:8000/api/public/v1", TRUE);
    g_setenv("AIRBYTE_CLOUD_CONFIG_API_URL", "http://cfg:8001/api/v1", TRUE);
    AbfsConfig *cfg = abfs_config_new();
    abfs_config_load_env(cfg);
    g_assert_cmpstr(cfg->client_id, ==, "env-id");
    g_assert_cmpstr(cfg->client_secret, ==, "env-secret");
    g_assert_cmpstr(cfg->workspace_id, ==, "env-ws");
    g_assert_cmpstr(cfg->api_root, ==, "http://localhost:8000/api/public/v1");
    g_assert_cmpstr(cfg->config_api_root, ==, "http://cfg:8001/api/v1");
    GError *err = NULL;
    g_assert_true(abfs_config_finish(cfg, &err));
    g_assert_no_error(err);
    g_assert_cmpstr(cfg->config_api_root, ==, "http://cfg:8001/api/v1"); /* explicit wins over derived */
    g_assert_cmpstr(cfg->web_root, ==, "http://localhost:8000");
    abfs_config_free(cfg);

    env_clear();
    g_setenv("AIRBYTE_CLOUD_BEARER_TOKEN", "env-token", TRUE);
    cfg = abfs_config_new();
    abfs_config_load_env(cfg);
    g_assert_cmpstr(cfg->bearer_token, ==, "env-token");
    g_assert_cmpstr(cfg->api_root, ==, ABFS_CLOUD_API_ROOT); /* default kept */
    abfs_config_free(cfg);
    env_clear();
}

static void test_config_env_aliases(void)
{
    env_clear();
    g_setenv("AIRBYTE_CLIENT_ID", "alias-id", TRUE);
    g_setenv("AIRBYTE_CLIENT_SECRET", "alias-secret", TRUE);
    g_setenv("AIRBYTE_WORKSPACE_ID", "alias-ws", TRUE);
    g_setenv("AIRBYTE_API_ROOT", "https://h/airbyte/api/public/v1", TRUE);
    g_setenv("AIRBYTE_CONFIG_API_ROOT", "https://h/cfg/api/v1", TRUE);
    AbfsConfig *cfg = abfs_config_new();
    abfs_config_load_env(cfg);
    g_assert_cmpstr(cfg->client_id, ==, "alias-id");
    g_assert_cmpstr(cfg->client_secret, ==, "alias-secret");
    g_assert_cmpstr(cfg->workspace_id, ==, "alias-ws");
    g_assert_cmpstr(cfg->api_root, ==, "https://h/airbyte/api/public/v1");
    g_assert_cmpstr(cfg->config_api_root, ==, "https://h/cfg/api/v1");
    abfs_config_free(cfg);

    env_clear();
    g_setenv("AIRBYTE_BEARER_TOKEN", "alias-token", TRUE);
    cfg = abfs_config_new();
    abfs_config_load_env(cfg);
    g_assert_cmpstr(cfg->bearer_token, ==, "alias-token");
    abfs_config_free(cfg);
    env_clear();
}

static void test_config_env_empty_is_unset(void)
{
    env_clear();
    /* first NON-EMPTY wins: an empty variable neither clears nor hides the alias */
    g_setenv("AIRBYTE_CLOUD_CLIENT_ID", "", TRUE);
    g_setenv("AIRBYTE_CLIENT_ID", "alias-id", TRUE);
    g_setenv("AIRBYTE_CLOUD_WORKSPACE_ID", "", TRUE);
    AbfsConfig *cfg = abfs_config_new();
    abfs_config_set(&cfg->workspace_id, "from-file");
    abfs_config_load_env(cfg);
    g_assert_cmpstr(cfg->client_id, ==, "alias-id");
    g_assert_cmpstr(cfg->workspace_id, ==, "from-file");
    abfs_config_free(cfg);
    env_clear();
}

static char *write_key_file(const char *dir, const char *name, const char *text, mode_t mode)
{
    char *path = g_build_filename(dir, name, NULL);
    GError *err = NULL;
    g_assert_true(g_file_set_contents(path, text, -1, &err));
    g_assert_no_error(err);
    g_assert_cmpint(g_chmod(path, mode), ==, 0);
    return path;
}

static void test_config_file(void)
{
    char *dir = g_dir_make_tmp("abfs-test-XXXXXX", NULL);
    g_assert_nonnull(dir);
    char *secret_0600 = write_key_file(dir, "a.conf",
                                       "[airbytefs]\n"
                                       "api_url = http://localhost:8000/api/public/v1\n"
                                       "workspace = file-ws\n"
                                       "client_id = file-id\n"
                                       "client_secret = file-secret\n"
                                       "ca_file = /etc/ssl/ca.pem\n",
                                       0600);
    char *secret_0644 = write_key_file(dir, "b.conf",
                                       "[airbytefs]\nworkspace = b-ws\nclient_id = b-id\nclient_secret = b-secret\n",
                                       0644);
    char *token_0640 = write_key_file(dir, "c.conf", "[airbytefs]\nbearer_token = b-tok\n", 0640);
    char *plain_0644 = write_key_file(dir, "d.conf",
                                      "[airbytefs]\nworkspace = d-ws\nweb_url = https://web.example\n"
                                      "config_api_url = https://cfg.example/api/v1\n",
                                      0644);

    GError *err = NULL;
    AbfsConfig *cfg = abfs_config_new();
    g_assert_true(abfs_config_load_file(cfg, secret_0600, &err));
    g_assert_no_error(err);
    g_assert_cmpstr(cfg->api_root, ==, "http://localhost:8000/api/public/v1");
    g_assert_cmpstr(cfg->workspace_id, ==, "file-ws");
    g_assert_cmpstr(cfg->client_id, ==, "file-id");
    g_assert_cmpstr(cfg->client_secret, ==, "file-secret");
    g_assert_cmpstr(cfg->ca_file, ==, "/etc/ssl/ca.pem");
    abfs_config_free(cfg);

    /* a secret that group or others may read is refused, and nothing is taken from the file */
    cfg = abfs_config_new();
    g_assert_false(abfs_config_load_file(cfg, secret_0644, &err));
    g_assert_error(err, ABFS_ERROR, EPERM);
    if (err)
        g_assert_null(strstr(err->message, "b-secret"));
    g_clear_error(&err);
    g_assert_null(cfg->client_secret);
    g_assert_null(cfg->workspace_id);
    abfs_config_free(cfg);

    cfg = abfs_config_new();
    g_assert_false(abfs_config_load_file(cfg, token_0640, &err));
    g_assert_error(err, ABFS_ERROR, EPERM);
    g_clear_error(&err);
    g_assert_null(cfg->bearer_token);
    abfs_config_free(cfg);

    /* no secret: any mode is fine */
    cfg = abfs_config_new();
    g_assert_true(abfs_config_load_file(cfg, plain_0644, &err));
    g_assert_no_error(err);
    g_assert_cmpstr(cfg->workspace_id, ==, "d-ws");
    g_assert_cmpstr(cfg->web_root, ==, "https://web.example");
    g_assert_cmpstr(cfg->config_api_root, ==, "https://cfg.example/api/v1");
    abfs_config_free(cfg);

    /* a file that does not exist is an error */
    char *missing = g_build_filename(dir, "missing.conf", NULL);
    cfg = abfs_config_new();
    g_assert_false(abfs_config_load_file(cfg, missing, &err));
    g_assert_nonnull(err);
    g_clear_error(&err);
    abfs_config_free(cfg);

    const char *all[] = {secret_0600, secret_0644, token_0640, plain_0644};
    for (gsize i = 0; i < G_N_ELEMENTS(all); i++)
        g_unlink(all[i]);
    g_rmdir(dir);
    g_free(missing);
    g_free(secret_0600);
    g_free(secret_0644);
    g_free(token_0640);
    g_free(plain_0644);
    g_free(dir);
}

/* defaults < key file < environment < explicit options */
static void test_config_precedence(void)
{
    env_clear();
    char *dir = g_dir_make_tmp("abfs-test-XXXXXX", NULL);
    char *path = write_key_file(dir, "p.conf",
                                "[airbytefs]\n"
                                "api_url = https://file.example/api/public/v1\n"
                                "workspace = file-ws\n"
                                "client_id = file-id\n"
                                "client_secret = file-secret\n",
                                0600);
    g_setenv("AIRBYTE_CLOUD_WORKSPACE_ID", "env-ws", TRUE);
    g_setenv("AIRBYTE_CLIENT_SECRET", "env-secret", TRUE);

    AbfsConfig *cfg = abfs_config_new();
    GError *err = NULL;
    g_assert_true(abfs_config_load_file(cfg, path, &err));
    g_assert_no_error(err);
    abfs_config_load_env(cfg);
    g_assert_cmpstr(cfg->api_root, ==, "https://file.example/api/public/v1"); /* file over default */
    g_assert_cmpstr(cfg->client_id, ==, "file-id");                           /* env silent */
    g_assert_cmpstr(cfg->workspace_id, ==, "env-ws");                         /* env over file */
    g_assert_cmpstr(cfg->client_secret, ==, "env-secret");
    abfs_config_set(&cfg->workspace_id, "option-ws"); /* -o workspace= */
    g_assert_true(abfs_config_finish(cfg, &err));
    g_assert_no_error(err);
    g_assert_cmpstr(cfg->workspace_id, ==, "option-ws");
    g_assert_cmpstr(cfg->config_api_root, ==, "https://file.example/api/v1");
    abfs_config_free(cfg);

    g_unlink(path);
    g_rmdir(dir);
    g_free(path);
    g_free(dir);
    env_clear();
}

/* config.h: a higher source that gives one kind of credential replaces the other kind. */
static void test_config_credential_kind_replaces(void)
{
    env_clear();
    char *dir = g_dir_make_tmp("abfs-test-XXXXXX", NULL);
    char *clients = write_key_file(dir, "c.conf",
                                   "[airbytefs]\nworkspace = ws\nclient_id = file-id\nclient_secret = file-secret\n", 0600);
    char *bearer = write_key_file(dir, "b.conf", "[airbytefs]\nworkspace = ws\nbearer_token = file-token\n", 0600);
    GError *err = NULL;

    g_setenv("AIRBYTE_CLOUD_BEARER_TOKEN", "env-token", TRUE);
    AbfsConfig *cfg = abfs_config_new();
    g_assert_true(abfs_config_load_file(cfg, clients, &err));
    abfs_config_load_env(cfg);
    g_assert_true(abfs_config_finish(cfg, &err));
    g_assert_no_error(err);
    g_assert_cmpstr(cfg->bearer_token, ==, "env-token");
    g_assert_null(cfg->client_id);
    g_assert_null(cfg->client_secret);
    abfs_config_free(cfg);
    env_clear();

    g_setenv("AIRBYTE_CLOUD_CLIENT_ID", "env-id", TRUE);
    g_setenv("AIRBYTE_CLOUD_CLIENT_SECRET", "env-secret", TRUE);
    cfg = abfs_config_new();
    g_assert_true(abfs_config_load_file(cfg, bearer, &err));
    abfs_config_load_env(cfg);
    g_assert_true(abfs_config_finish(cfg, &err));
    g_assert_no_error(err);
    g_assert_null(cfg->bearer_token);
    g_assert_cmpstr(cfg->client_id, ==, "env-id");
    abfs_config_free(cfg);
    env_clear();

    g_unlink(clients);
    g_unlink(bearer);
    g_rmdir(dir);
    g_free(clients);
    g_free(bearer);
    g_free(dir);
}

int main(int argc, char **argv)
{
    abfs_unit_init(&argc, &argv);
    g_test_add_func("/config/derive-config-root", test_config_derive_config_root);
    g_test_add_func("/config/derive-web-root", test_config_derive_web_root);
    g_test_add_func("/config/trim-root", test_config_trim_root);
    g_test_add_func("/config/set", test_config_set);
    g_test_add_func("/config/finish/cloud-defaults", test_config_finish_cloud_defaults);
    g_test_add_func("/config/finish/self-managed", test_config_finish_self_managed);
    g_test_add_func("/config/finish/unknown-shape", test_config_finish_unknown_shape);
    g_test_add_func("/config/finish/explicit-roots", test_config_finish_keeps_explicit_roots);
    g_test_add_func("/config/finish/missing-workspace", test_config_finish_missing_workspace);
    g_test_add_func("/config/finish/bearer-and-client", test_config_finish_bearer_and_client);
    g_test_add_func("/config/finish/id-without-secret", test_config_finish_id_without_secret);
    g_test_add_func("/config/finish/no-credentials", test_config_finish_no_credentials);
    g_test_add_func("/config/finish/bearer-only", test_config_finish_bearer_only);
    g_test_add_func("/config/finish/non-http-url", test_config_finish_non_http_url);
    g_test_add_func("/config/env/cloud", test_config_env_cloud_vars);
    g_test_add_func("/config/env/aliases", test_config_env_aliases);
    g_test_add_func("/config/env/empty-is-unset", test_config_env_empty_is_unset);
    g_test_add_func("/config/file", test_config_file);
    g_test_add_func("/config/precedence", test_config_precedence);
    g_test_add_func("/config/credential-kind-replaces", test_config_credential_kind_replaces);
    return abfs_unit_run();
}
