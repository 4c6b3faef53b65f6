/* auth.c — client-credentials token fetch, expiry and refresh (see auth.h). */
#include "auth.h"
#include "error.h"

#include <errno.h>
#include <string.h>
#include <json-c/json.h>

struct AbfsAuth {
    const AbfsConfig *cfg;
    AbfsHttp *http;
    GMutex lock;
    char *header;       /* current "Authorization: Bearer ..." or NULL */
    gint64 refresh_at;  /* monotonic µs after which the token is fetched again */
};

AbfsAuth *abfs_auth_new(const AbfsConfig *cfg, AbfsHttp *http)
{
    AbfsAuth *auth = g_new0(AbfsAuth, 1);
    auth->cfg = cfg;
    auth->http = http;
    g_mutex_init(&auth->lock);
    if (cfg->bearer_token)
        auth->header = g_strdup_printf("Authorization: Bearer %s", cfg->bearer_token);
    return auth;
}

static void wipe(char *s)
{
    if (s) {
        memset(s, 0, strlen(s));
        g_free(s);
    }
}

void abfs_auth_free(AbfsAuth *auth)
{
    if (!auth)
        return;
    wipe(auth->header);
    g_mutex_clear(&auth->lock);
    g_free(auth);
}

gint64 abfs_auth_jwt_seconds_left(const char *token, gint64 now_s)
{
    char **parts = g_strsplit(token, ".", 4);
    gint64 left = -1;
    if (g_strv_length(parts) == 3) {
        /* base64url → base64 with padding */
        GString *b64 = g_string_new(parts[1]);
        for (gsize i = 0; i < b64->len; i++)
            b64->str[i] = b64->str[i] == '-' ? '+' : b64->str[i] == '_' ? '/' : b64->str[i];
        while (b64->len % 4)
            g_string_append_c(b64, '=');
        gsize len = 0;
        guchar *raw = g_base64_decode(b64->str, &len);
        g_string_free(b64, TRUE);
        char *text = g_strndup((const char *)raw, len);
        json_object *claims = json_tokener_parse(text), *exp;
        if (claims && json_object_object_get_ex(claims, "exp", &exp) &&
            json_object_is_type(exp, json_type_int))
            left = json_object_get_int64(exp) - now_s;
        json_object_put(claims);
        g_free(text);
        g_free(raw);
    }
    g_strfreev(parts);
    return left;
}

static gboolean fetch_token(AbfsAuth *auth, GError **error)
{
    json_object *req = json_object_new_object();
    json_object_object_add(req, "client_id", json_object_new_string(auth->cfg->client_id));
    json_object_object_add(req, "client_secret", json_object_new_string(auth->cfg->client_secret));
    json_object_object_add(req, "grant-type", json_object_new_string("client_credentials"));
    char *body = g_strdup(json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN));
    json_object_put(req);
    char *url = g_strdup_printf("%s/applications/token", auth->cfg->api_root);
    AbfsHttpResponse resp;
    GError *err = NULL;
    gboolean ok = abfs_http_request(auth->http, "POST", url, NULL, body, &resp, &err);
    wipe(body);
    g_free(url);
    if (!ok) {
        g_propagate_prefixed_error(error, err, "getting an access token: ");
        return FALSE;
    }
    if (resp.status < 200 || resp.status >= 300) {
        char *msg = abfs_server_message(resp.status, resp.body->str, resp.body->len);
        /* A refused token request means bad credentials, whatever status the server chose
         * (self-managed answers 400 "Invalid client id or token"). */
        int code = resp.status >= 500 ? abfs_errno_for_http_status(resp.status) : EACCES;
        g_set_error(error, ABFS_ERROR, code, "HTTP %ld: getting an access token failed: %s",
                    resp.status, msg);
        g_free(msg);
        abfs_http_response_clear(&resp);
        return FALSE;
    }
    json_object *root = json_tokener_parse(resp.body->str), *tok = NULL, *exp = NULL;
    memset(resp.body->str, 0, resp.body->len);
    abfs_http_response_clear(&resp);
    if (!root || !json_object_object_get_ex(root, "access_token", &tok) ||
        !json_object_is_type(tok, json_type_string) || json_object_get_string_len(tok) == 0) {
        json_object_put(root);
        g_set_error(error, ABFS_ERROR, EIO, "getting an access token: the answer has no access_token");
        return FALSE;
    }
    const char *token = json_object_get_string(tok);
    gint64 lifetime = 900; /* the server's default when it does not say */
    if (json_object_object_get_ex(root, "expires_in", &exp) && json_object_is_type(exp, json_type_int))
        lifetime = json_object_get_int64(exp);
    gint64 jwt_left = abfs_auth_jwt_seconds_left(token, g_get_real_time() / G_USEC_PER_SEC);
    if (jwt_left >= 0 && jwt_left < lifetime)
        lifetime = jwt_left;
    /* Refresh 60 s early; a very short lifetime is used for half of it. */
    gint64 usable = lifetime > 120 ? lifetime - 60 : lifetime / 2;
    wipe(auth->header);
    auth->header = g_strdup_printf("Authorization: Bearer %s", token);
    auth->refresh_at = g_get_monotonic_time() + usable * G_USEC_PER_SEC;
    json_object_put(root);
    return TRUE;
}

char *abfs_auth_header(AbfsAuth *auth, GError **error)
{
    char *result = NULL;
    g_mutex_lock(&auth->lock);
    if (auth->cfg->bearer_token) {
        result = g_strdup(auth->header);
    } else if (auth->header && g_get_monotonic_time() < auth->refresh_at) {
        result = g_strdup(auth->header);
    } else if (fetch_token(auth, error)) {
        result = g_strdup(auth->header);
    }
    g_mutex_unlock(&auth->lock);
    return result;
}

gboolean abfs_auth_invalidate(AbfsAuth *auth, const char *header)
{
    if (auth->cfg->bearer_token)
        return FALSE;
    g_mutex_lock(&auth->lock);
    if (auth->header && header && strcmp(auth->header, header) == 0) {
        wipe(auth->header);
        auth->header = NULL;
    }
    g_mutex_unlock(&auth->lock);
    return TRUE;
}
