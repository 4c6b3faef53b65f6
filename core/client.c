/* client.c — authenticated JSON calls with bounded retries (see client.h). */
#include "client.h"
#include "auth.h"
#include "error.h"
#include "json_util.h"

#include <errno.h>
#include <string.h>

#define RETRY_MAX 4
#define RETRY_BASE_US (200 * 1000)
#define RETRY_CAP_US (5 * G_USEC_PER_SEC)
/* A retry is made only if this much of the deadline is left after its wait: a squeezed attempt
 * would only time out, and the caller would get "timeout" instead of the server's own answer. */
#define RETRY_MIN_ATTEMPT_US (500 * 1000)

struct AbfsClient {
    AbfsConfig *cfg;
    AbfsHttp *http;
    AbfsAuth *auth;
    GMutex rand_lock;
    GRand *rand;
    gboolean (*cancelled)(void);
};

AbfsClient *abfs_client_new(AbfsConfig *cfg, gboolean trace, gboolean (*cancelled)(void))
{
    AbfsClient *client = g_new0(AbfsClient, 1);
    client->cfg = cfg;
    AbfsHttpOptions opts = {
        .connect_timeout_s = cfg->connect_timeout_s,
        .request_timeout_s = cfg->request_timeout_s,
        .max_body_bytes = cfg->max_body_bytes,
        .ca_file = cfg->ca_file,
        .trace = trace,
        .insecure = cfg->insecure,
        .cancelled = cancelled,
    };
    client->http = abfs_http_new(&opts);
    client->auth = abfs_auth_new(cfg, client->http);
    g_mutex_init(&client->rand_lock);
    client->rand = g_rand_new();
    client->cancelled = cancelled;
    return client;
}

void abfs_client_free(AbfsClient *client)
{
    if (!client)
        return;
    abfs_auth_free(client->auth);
    abfs_http_free(client->http);
    abfs_config_free(client->cfg);
    g_rand_free(client->rand);
    g_mutex_clear(&client->rand_lock);
    g_free(client);
}

const AbfsConfig *abfs_client_config(const AbfsClient *client)
{
    return client->cfg;
}

AbfsHttp *abfs_client_http(AbfsClient *client)
{
    return client->http;
}

/* The operation deadline of this thread; 0: none. */
static _Thread_local gint64 thread_deadline;
/* Whether the last call on this thread had an attempt whose outcome was left open. */
static _Thread_local gboolean thread_lost_answer;

gboolean abfs_client_last_call_lost_an_answer(void)
{
    return thread_lost_answer;
}

gint64 abfs_client_deadline(void)
{
    return thread_deadline;
}

gint64 abfs_client_deadline_set(gint64 deadline_us)
{
    gint64 saved = thread_deadline;
    thread_deadline = deadline_us;
    return saved;
}

gint64 abfs_client_deadline_begin(AbfsClient *client)
{
    gint64 mine = g_get_monotonic_time() + (gint64)client->cfg->request_timeout_s * G_USEC_PER_SEC;
    gint64 saved = thread_deadline;
    thread_deadline = saved ? MIN(saved, mine) : mine;
    return saved;
}

gint64 abfs_client_deadline_keep_for_check(void)
{
    gint64 deadline = thread_deadline;
    gint64 reserve = MIN((deadline - g_get_monotonic_time()) / 4, 5 * G_USEC_PER_SEC);
    thread_deadline = deadline - MAX(reserve, 0);
    return deadline;
}

void abfs_client_deadline_end(gint64 saved)
{
    thread_deadline = saved;
}

gint64 abfs_client_backoff_us(guint attempt, gint64 base_us, gint64 cap_us, GRand *rand)
{
    gint64 ceiling = base_us;
    for (guint i = 0; i < attempt && ceiling < cap_us; i++)
        ceiling *= 2;
    if (ceiling > cap_us)
        ceiling = cap_us;
    return ceiling / 2 + (gint64)(g_rand_double(rand) * (double)(ceiling / 2));
}

static gboolean status_is_retryable(long status)
{
    return status == 429 || status == 502 || status == 503 || status == 504;
}

static gboolean errno_is_retryable(int code)
{
    return code == EIO || code == ETIMEDOUT || code == ENOTCONN; /* never EINTR: the user stopped it */
}

static gboolean only_blanks(const char *s)
{
    while (g_ascii_isspace(*s))
        s++;
    return *s == '\0';
}

/* The request with its retries; on success *raw (if not NULL) takes the answer's body. */
static gboolean call(AbfsClient *client, AbfsApi api, const char *method, const char *path, json_object *body,
                     AbfsCallFlags flags, GString **raw, GError **error)
{
    const char *root = api == ABFS_API_PUBLIC ? client->cfg->api_root : client->cfg->config_api_root;
    if (!root) {
        g_set_error(error, ABFS_ERROR, ENOTSUP, "the Config API root is unknown for %s; set -o config_api_url=URL",
                    client->cfg->api_root);
        return FALSE;
    }
    char *url = g_strconcat(root, path, NULL);
    const char *body_text = body ? json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN) : NULL;
    gint64 saved_deadline = abfs_client_deadline_begin(client);
    gint64 deadline = thread_deadline;
    AbfsHttpCall call = {deadline, !(flags & ABFS_CALL_IDEMPOTENT)};
    thread_lost_answer = FALSE;
    gboolean refreshed_token = FALSE;
    gboolean ok = FALSE;
    AbfsHttpResponse resp = {0};

    for (guint attempt = 0;; attempt++) {
        GError *err = NULL;
        char *auth = abfs_auth_header(client->auth, deadline, &err);
        if (!auth) {
            g_propagate_error(error, err);
            break;
        }
        const char *headers[] = {auth, NULL};
        gboolean sent = abfs_http_call(client->http, &call, method, url, headers, body_text, &resp, &err);
        long status = sent ? resp.status : 0;
        if (sent && status == 401 && !refreshed_token && abfs_auth_invalidate(client->auth, auth)) {
            /* The token may have expired early or been revoked: fetch a new one, once. */
            refreshed_token = TRUE;
            abfs_auth_header_free(auth);
            abfs_http_response_clear(&resp);
            attempt--;
            continue;
        }
        abfs_auth_header_free(auth);
        gboolean retryable =
            (flags & ABFS_CALL_IDEMPOTENT) && (sent ? status_is_retryable(status) : errno_is_retryable(err->code));
        if (retryable && attempt < RETRY_MAX) {
            g_mutex_lock(&client->rand_lock);
            gint64 wait = abfs_client_backoff_us(attempt, RETRY_BASE_US, RETRY_CAP_US, client->rand);
            g_mutex_unlock(&client->rand_lock);
            if (sent && resp.retry_after_s >= 0) /* the server said when: honour it (within the deadline) */
                wait = MAX(wait, resp.retry_after_s * G_USEC_PER_SEC);
            if (g_get_monotonic_time() + wait + RETRY_MIN_ATTEMPT_US < deadline) {
                if (sent ? status >= 500 : err->code != ENOTCONN) /* the server may have acted on it */
                    thread_lost_answer = TRUE;
                g_debug("retrying %s %s in %" G_GINT64_FORMAT " ms (%s)", method, path, wait / 1000,
                        sent ? "server busy" : err->message);
                g_clear_error(&err);
                abfs_http_response_clear(&resp);
                /* wait in slices, so that Ctrl-C ends the wait too */
                gboolean stopped = FALSE;
                for (gint64 end = g_get_monotonic_time() + wait; !stopped && g_get_monotonic_time() < end;) {
                    g_usleep((gulong)MIN(100000, MAX(end - g_get_monotonic_time(), 0)));
                    stopped = client->cancelled && client->cancelled();
                }
                if (stopped) {
                    g_set_error(error, ABFS_ERROR, EINTR, "%s %s: interrupted", method, path);
                    break;
                }
                continue;
            }
        }
        if (!sent) {
            g_propagate_error(error, err);
            break;
        }
        if (status < 200 || status >= 300) {
            abfs_set_http_error(error, status, resp.body->str, resp.body->len);
            break;
        }
        ok = TRUE;
        if (raw)
            *raw = resp.body ? g_steal_pointer(&resp.body) : g_string_new(NULL);
        break;
    }
    abfs_http_response_clear(&resp);
    g_free(url);
    abfs_client_deadline_end(saved_deadline);
    return ok;
}

gboolean abfs_client_call(AbfsClient *client, AbfsApi api, const char *method, const char *path, json_object *body,
                          AbfsCallFlags flags, json_object **out, GError **error)
{
    if (out)
        *out = NULL;
    GString *raw = NULL;
    if (!call(client, api, method, path, body, flags, out ? &raw : NULL, error))
        return FALSE;
    gboolean ok = TRUE;
    if (raw && raw->len > 0) {
        json_tokener *tok = json_tokener_new_ex(ABFS_JSON_PARSE_DEPTH);
        *out = json_tokener_parse_ex(tok, raw->str, (int)raw->len);
        enum json_tokener_error jerr = json_tokener_get_error(tok);
        if (!*out || jerr != json_tokener_success || !only_blanks(raw->str + json_tokener_get_parse_end(tok))) {
            g_set_error(error, ABFS_ERROR, EIO, "%s %s: the server's answer is not valid JSON (%s)", method, path,
                        json_tokener_error_desc(jerr));
            json_object_put(*out);
            *out = NULL;
            ok = FALSE;
        }
        json_tokener_free(tok);
    }
    if (raw)
        g_string_free(raw, TRUE);
    return ok;
}

gboolean abfs_client_call_text(AbfsClient *client, AbfsApi api, const char *method, const char *path,
                               json_object *body, AbfsCallFlags flags, GString **text, GError **error)
{
    *text = NULL;
    return call(client, api, method, path, body, flags, text, error);
}
