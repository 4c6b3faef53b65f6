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
    GCond fetched;      /* signalled when a fetch ends */
    char *header;       /* current "Authorization: Bearer ..." or NULL; protected by lock */
    gint64 refresh_at;  /* monotonic µs after which the token is fetched again; protected by lock */
    gboolean fetching;  /* a thread is fetching (without the lock); protected by lock */
    guint fetches;      /* fetches ended so far; protected by lock */
    GError *last_error; /* of the last fetch that failed; protected by lock */
};

AbfsAuth *abfs_auth_new(const AbfsConfig *cfg, AbfsHttp *http)
{
    AbfsAuth *auth = g_new0(AbfsAuth, 1);
    auth->cfg = cfg;
    auth->http = http;
    g_mutex_init(&auth->lock);
    g_cond_init(&auth->fetched);
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
    g_clear_error(&auth->last_error);
    g_mutex_clear(&auth->lock);
    g_cond_clear(&auth->fetched);
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
        if (claims && json_object_object_get_ex(claims, "exp", &exp) && json_object_is_type(exp, json_type_int))
            left = json_object_get_int64(exp) - now_s;
        json_object_put(claims);
        g_free(text);
        g_free(raw);
    }
    g_strfreev(parts);
    return left;
}

void abfs_auth_header_free(char *header)
{
    wipe(header);
}

/* One token request. On success *header is the new header and *lifetime_s how long it may be
 * used; *retry tells whether a failure may be tried again (a busy server, a lost answer). */
static gboolean fetch_once(AbfsAuth *auth, gint64 deadline_us, char **header, gint64 *lifetime_s, gboolean *retry,
                           GError **error)
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
    AbfsHttpCall call = {deadline_us, FALSE};
    gboolean ok = abfs_http_call(auth->http, &call, "POST", url, NULL, body, &resp, &err);
    wipe(body);
    g_free(url);
    *retry = FALSE;
    if (!ok) {
        *retry = err->code == EIO || err->code == ETIMEDOUT || err->code == ENOTCONN;
        g_propagate_prefixed_error(error, err, "getting an access token: ");
        return FALSE;
    }
    if (resp.status < 200 || resp.status >= 300) {
        char *msg = abfs_server_message(resp.status, resp.body->str, resp.body->len);
        /* A refused token request means bad credentials, whatever status the server chose
         * (self-managed answers 400 "Invalid client id or token"). */
        int code = resp.status >= 500 ? abfs_errno_for_http_status(resp.status) : EACCES;
        *retry = resp.status == 429 || resp.status == 502 || resp.status == 503 || resp.status == 504;
        if (resp.status == 429)
            code = EAGAIN;
        g_set_error(error, ABFS_ERROR, code, "HTTP %ld: getting an access token failed: %s", resp.status, msg);
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
    *lifetime_s = lifetime > 120 ? lifetime - 60 : lifetime / 2;
    *header = g_strdup_printf("Authorization: Bearer %s", token);
    memset((char *)token, 0, strlen(token));
    json_object_put(root);
    return TRUE;
}

/* Token requests, tried again with backoff while the server is busy, by deadline_us. */
static gboolean fetch_token(AbfsAuth *auth, gint64 deadline_us, char **header, gint64 *lifetime_s, GError **error)
{
    for (guint attempt = 0;; attempt++) {
        gboolean retry;
        GError *err = NULL;
        if (fetch_once(auth, deadline_us, header, lifetime_s, &retry, &err))
            return TRUE;
        gint64 wait = (gint64)(200 * 1000) << MIN(attempt, 4u);
        wait = wait / 2 + g_random_int_range(0, (gint32)(wait / 2));
        if (!retry || attempt >= 4 || g_get_monotonic_time() + wait >= deadline_us) {
            g_propagate_error(error, err);
            return FALSE;
        }
        g_debug("token request failed (%s); trying again in %" G_GINT64_FORMAT " ms", err->message, wait / 1000);
        g_error_free(err);
        g_usleep((gulong)wait);
    }
}

char *abfs_auth_header(AbfsAuth *auth, gint64 deadline_us, GError **error)
{
    if (auth->cfg->bearer_token) /* fixed for the AbfsAuth's life */
        return g_strdup(auth->header);
    g_mutex_lock(&auth->lock);
    for (;;) {
        if (auth->header && g_get_monotonic_time() < auth->refresh_at) {
            char *result = g_strdup(auth->header);
            g_mutex_unlock(&auth->lock);
            return result;
        }
        if (!auth->fetching)
            break;
        /* Another thread is fetching: wait for its token, no longer than our own deadline. */
        guint fetches = auth->fetches;
        while (auth->fetching && auth->fetches == fetches)
            if (!g_cond_wait_until(&auth->fetched, &auth->lock, deadline_us)) {
                g_mutex_unlock(&auth->lock);
                g_set_error(error, ABFS_ERROR, ETIMEDOUT, "getting an access token: no answer within the timeout");
                return NULL;
            }
        if (auth->fetches != fetches && auth->last_error) { /* that fetch failed: so does this call */
            g_propagate_error(error, g_error_copy(auth->last_error));
            g_mutex_unlock(&auth->lock);
            return NULL;
        }
    }
    auth->fetching = TRUE;
    g_mutex_unlock(&auth->lock);

    char *header = NULL;
    gint64 lifetime_s = 0;
    GError *err = NULL;
    gboolean ok = fetch_token(auth, deadline_us, &header, &lifetime_s, &err);

    g_mutex_lock(&auth->lock);
    auth->fetching = FALSE;
    auth->fetches++;
    g_clear_error(&auth->last_error);
    char *result = NULL;
    if (ok) {
        wipe(auth->header);
        auth->header = header;
        auth->refresh_at = g_get_monotonic_time() + lifetime_s * G_USEC_PER_SEC;
        result = g_strdup(header);
    } else {
        auth->last_error = g_error_copy(err);
        g_propagate_error(error, err);
    }
    g_cond_broadcast(&auth->fetched);
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
