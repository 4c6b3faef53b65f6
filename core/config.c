/* config.c — configuration sources (defaults, key file, environment) and the derivation of the
 * Config API and web roots, following PyAirbyte's rules (its api_util and cloud workspace). */
#include "config.h"
#include "error.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

AbfsConfig *abfs_config_new(void)
{
    AbfsConfig *cfg = g_new0(AbfsConfig, 1);
    cfg->api_root = g_strdup(ABFS_CLOUD_API_ROOT);
    cfg->connect_timeout_s = 10;
    cfg->request_timeout_s = 60;
    cfg->cache_ttl_s = 30;
    cfg->max_body_bytes = 64u * 1024 * 1024;
    return cfg;
}

void abfs_config_free(AbfsConfig *cfg)
{
    if (!cfg)
        return;
    g_free(cfg->api_root);
    g_free(cfg->config_api_root);
    g_free(cfg->web_root);
    g_free(cfg->workspace_id);
    g_free(cfg->client_id);
    if (cfg->client_secret)
        memset(cfg->client_secret, 0, strlen(cfg->client_secret));
    g_free(cfg->client_secret);
    if (cfg->bearer_token)
        memset(cfg->bearer_token, 0, strlen(cfg->bearer_token));
    g_free(cfg->bearer_token);
    g_free(cfg->ca_file);
    g_free(cfg);
}

void abfs_config_set(char **field, const char *value)
{
    g_free(*field);
    *field = value && *value ? g_strdup(value) : NULL;
}

char *abfs_config_trim_root(const char *url)
{
    char *copy = g_strdup(url);
    gsize n = strlen(copy);
    while (n > 0 && copy[n - 1] == '/')
        copy[--n] = '\0';
    return copy;
}

char *abfs_config_derive_config_root(const char *api_root)
{
    char *root = abfs_config_trim_root(api_root);
    char *result = NULL;
    if (strcmp(root, ABFS_CLOUD_API_ROOT) == 0)
        result = g_strdup(ABFS_CLOUD_CONFIG_API_ROOT);
    else if (g_str_has_suffix(root, "/api/public/v1"))
        result = g_strdup_printf("%.*s/api/v1", (int)(strlen(root) - strlen("/api/public/v1")), root);
    g_free(root);
    return result;
}

char *abfs_config_derive_web_root(const char *api_root)
{
    char *root = abfs_config_trim_root(api_root);
    char *result;
    if (strcmp(root, ABFS_CLOUD_API_ROOT) == 0)
        result = g_strdup(ABFS_CLOUD_WEB_ROOT);
    else if (g_str_has_suffix(root, "/api/public/v1"))
        result = g_strndup(root, strlen(root) - strlen("/api/public/v1"));
    else
        result = g_strdup(root);
    g_free(root);
    return result;
}

/* PyAirbyte's order: the short alias first, then the AIRBYTE_CLOUD_ name. */
static const char *first_env(const char *b, const char *a)
{
    const char *v = g_getenv(a);
    if (v && *v)
        return v;
    v = g_getenv(b);
    return v && *v ? v : NULL;
}

void abfs_config_load_env(AbfsConfig *cfg)
{
    static const struct {
        const char *name, *alias;
        gsize offset;
    } vars[] = {
        {"AIRBYTE_CLOUD_CLIENT_ID", "AIRBYTE_CLIENT_ID", G_STRUCT_OFFSET(AbfsConfig, client_id)},
        {"AIRBYTE_CLOUD_CLIENT_SECRET", "AIRBYTE_CLIENT_SECRET", G_STRUCT_OFFSET(AbfsConfig, client_secret)},
        {"AIRBYTE_CLOUD_BEARER_TOKEN", "AIRBYTE_BEARER_TOKEN", G_STRUCT_OFFSET(AbfsConfig, bearer_token)},
        {"AIRBYTE_CLOUD_WORKSPACE_ID", "AIRBYTE_WORKSPACE_ID", G_STRUCT_OFFSET(AbfsConfig, workspace_id)},
        {"AIRBYTE_CLOUD_API_URL", "AIRBYTE_API_ROOT", G_STRUCT_OFFSET(AbfsConfig, api_root)},
        {"AIRBYTE_CLOUD_CONFIG_API_URL", "AIRBYTE_CONFIG_API_ROOT", G_STRUCT_OFFSET(AbfsConfig, config_api_root)},
    };
    /* The environment outranks the config file: one kind of credential replaces the other. */
    if (first_env("AIRBYTE_CLOUD_BEARER_TOKEN", "AIRBYTE_BEARER_TOKEN")) {
        abfs_config_set(&cfg->client_id, NULL);
        abfs_config_set(&cfg->client_secret, NULL);
    } else if (first_env("AIRBYTE_CLOUD_CLIENT_ID", "AIRBYTE_CLIENT_ID") ||
               first_env("AIRBYTE_CLOUD_CLIENT_SECRET", "AIRBYTE_CLIENT_SECRET"))
        abfs_config_set(&cfg->bearer_token, NULL);
    for (gsize i = 0; i < G_N_ELEMENTS(vars); i++) {
        const char *v = first_env(vars[i].name, vars[i].alias);
        if (v)
            abfs_config_set(G_STRUCT_MEMBER_P(cfg, vars[i].offset), v);
    }
}

gboolean abfs_config_load_file(AbfsConfig *cfg, const char *path, GError **error)
{
    static const struct {
        const char *key;
        gsize offset;
        gboolean secret;
    } keys[] = {
        {"api_url", G_STRUCT_OFFSET(AbfsConfig, api_root), FALSE},
        {"config_api_url", G_STRUCT_OFFSET(AbfsConfig, config_api_root), FALSE},
        {"web_url", G_STRUCT_OFFSET(AbfsConfig, web_root), FALSE},
        {"workspace", G_STRUCT_OFFSET(AbfsConfig, workspace_id), FALSE},
        {"client_id", G_STRUCT_OFFSET(AbfsConfig, client_id), FALSE},
        {"client_secret", G_STRUCT_OFFSET(AbfsConfig, client_secret), TRUE},
        {"bearer_token", G_STRUCT_OFFSET(AbfsConfig, bearer_token), TRUE},
        {"ca_file", G_STRUCT_OFFSET(AbfsConfig, ca_file), FALSE},
    };
    GKeyFile *kf = g_key_file_new();
    GError *err = NULL;
    gboolean ok = FALSE;
    if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &err)) {
        g_set_error(error, ABFS_ERROR, EINVAL, "config file %s: %s", path, err->message);
        g_error_free(err);
        goto out;
    }
    struct stat st;
    gboolean has_secret = FALSE;
    for (gsize i = 0; i < G_N_ELEMENTS(keys); i++)
        if (keys[i].secret && g_key_file_has_key(kf, "airbytefs", keys[i].key, NULL))
            has_secret = TRUE;
    if (has_secret && stat(path, &st) == 0 && (st.st_mode & 077)) {
        g_set_error(error, ABFS_ERROR, EPERM,
                    "config file %s holds a secret but others can read it (mode %04o); run: chmod 600 %s", path,
                    (unsigned)(st.st_mode & 07777), path);
        goto out;
    }
    for (gsize i = 0; i < G_N_ELEMENTS(keys); i++) {
        char *v = g_key_file_get_string(kf, "airbytefs", keys[i].key, NULL);
        if (v) {
            g_strstrip(v);
            abfs_config_set(G_STRUCT_MEMBER_P(cfg, keys[i].offset), v);
            memset(v, 0, strlen(v));
            g_free(v);
        }
    }
    ok = TRUE;
out:
    g_key_file_free(kf);
    return ok;
}

gboolean abfs_config_finish(AbfsConfig *cfg, GError **error)
{
    if (!cfg->api_root) {
        g_set_error(error, ABFS_ERROR, EINVAL, "no API URL given");
        return FALSE;
    }
    if (!g_str_has_prefix(cfg->api_root, "http://") && !g_str_has_prefix(cfg->api_root, "https://")) {
        g_set_error(error, ABFS_ERROR, EINVAL, "API URL %s is not an http:// or https:// URL", cfg->api_root);
        return FALSE;
    }
    char *trimmed = abfs_config_trim_root(cfg->api_root);
    g_free(cfg->api_root);
    cfg->api_root = trimmed;
    if (cfg->config_api_root) {
        trimmed = abfs_config_trim_root(cfg->config_api_root);
        g_free(cfg->config_api_root);
        cfg->config_api_root = trimmed;
    } else
        cfg->config_api_root = abfs_config_derive_config_root(cfg->api_root);
    if (cfg->web_root) {
        trimmed = abfs_config_trim_root(cfg->web_root);
        g_free(cfg->web_root);
        cfg->web_root = trimmed;
    } else
        cfg->web_root = abfs_config_derive_web_root(cfg->api_root);

    if (!cfg->workspace_id) {
        g_set_error(error, ABFS_ERROR, EINVAL, "no workspace given: use -o workspace=ID or AIRBYTE_CLOUD_WORKSPACE_ID");
        return FALSE;
    }
    if (cfg->bearer_token && (cfg->client_id || cfg->client_secret)) {
        g_set_error(error, ABFS_ERROR, EINVAL,
                    "both a bearer token and client credentials were given; use one of them");
        return FALSE;
    }
    if (!cfg->bearer_token && (!cfg->client_id || !cfg->client_secret)) {
        g_set_error(error, ABFS_ERROR, EINVAL, "%s",
                    cfg->client_id || cfg->client_secret
                        ? "client id and client secret must be given together (AIRBYTE_CLOUD_CLIENT_ID, "
                          "AIRBYTE_CLOUD_CLIENT_SECRET)"
                        : "no credentials: set AIRBYTE_CLOUD_CLIENT_ID and AIRBYTE_CLOUD_CLIENT_SECRET, or "
                          "AIRBYTE_CLOUD_BEARER_TOKEN, or use -o config=FILE");
        return FALSE;
    }
    return TRUE;
}

gboolean abfs_config_load_secret_file(char **field, const char *path, GError **error)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        g_set_error(error, ABFS_ERROR, ENOENT, "secret file %s: %s", path, g_strerror(errno));
        return FALSE;
    }
    if (st.st_mode & 077) {
        g_set_error(error, ABFS_ERROR, EPERM, "secret file %s can be read by others (mode %04o); run: chmod 600 %s",
                    path, (unsigned)(st.st_mode & 07777), path);
        return FALSE;
    }
    char *text = NULL;
    gsize len = 0;
    GError *err = NULL;
    if (!g_file_get_contents(path, &text, &len, &err)) {
        g_set_error(error, ABFS_ERROR, EIO, "secret file %s: %s", path, err->message);
        g_error_free(err);
        return FALSE;
    }
    char *nl = strpbrk(text, "\r\n");
    if (nl)
        *nl = '\0';
    g_strstrip(text);
    gboolean ok = *text != '\0';
    if (ok)
        abfs_config_set(field, text);
    else
        g_set_error(error, ABFS_ERROR, EINVAL, "secret file %s is empty", path);
    memset(text, 0, len);
    g_free(text);
    return ok;
}
