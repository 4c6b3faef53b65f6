/* http.c — libcurl easy-handle pool, share handle, timeouts and body bounds (see http.h). */
#include "http.h"
#include "error.h"

#include <curl/curl.h>
#include <errno.h>
#include <string.h>

struct AbfsHttp {
    AbfsHttpOptions opts;
    char *ca_file;
    CURLSH *share;
    GMutex share_locks[CURL_LOCK_DATA_LAST];
    GMutex pool_lock;
    GPtrArray *pool; /* idle CURL* handles */
    guint64 total_requests, total_bytes, total_millis;
};

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access access, void *user)
{
    (void)h;
    (void)access;
    AbfsHttp *http = user;
    g_mutex_lock(&http->share_locks[data]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *user)
{
    (void)h;
    AbfsHttp *http = user;
    g_mutex_unlock(&http->share_locks[data]);
}

void abfs_http_global_init(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

void abfs_http_global_cleanup(void)
{
    curl_global_cleanup();
}

AbfsHttp *abfs_http_new(const AbfsHttpOptions *options)
{
    AbfsHttp *http = g_new0(AbfsHttp, 1);
    http->opts = *options;
    http->ca_file = g_strdup(options->ca_file);
    http->opts.ca_file = http->ca_file;
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        g_mutex_init(&http->share_locks[i]);
    g_mutex_init(&http->pool_lock);
    http->pool = g_ptr_array_new();
    http->share = curl_share_init();
    curl_share_setopt(http->share, CURLSHOPT_LOCKFUNC, share_lock);
    curl_share_setopt(http->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
    curl_share_setopt(http->share, CURLSHOPT_USERDATA, http);
    curl_share_setopt(http->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(http->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    curl_share_setopt(http->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
    return http;
}

void abfs_http_free(AbfsHttp *http)
{
    if (!http)
        return;
    for (guint i = 0; i < http->pool->len; i++)
        curl_easy_cleanup(g_ptr_array_index(http->pool, i));
    g_ptr_array_free(http->pool, TRUE);
    curl_share_cleanup(http->share);
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        g_mutex_clear(&http->share_locks[i]);
    g_mutex_clear(&http->pool_lock);
    g_free(http->ca_file);
    g_free(http);
}

static int progress_check(void *user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    AbfsHttp *http = user;
    return http->opts.cancelled() ? 1 : 0;
}

static CURL *handle_take(AbfsHttp *http)
{
    CURL *h = NULL;
    g_mutex_lock(&http->pool_lock);
    if (http->pool->len > 0)
        h = g_ptr_array_steal_index_fast(http->pool, http->pool->len - 1);
    g_mutex_unlock(&http->pool_lock);
    if (!h) {
        h = curl_easy_init();
        if (!h)
            return NULL;
    }
    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_SHARE, http->share);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, http->opts.insecure ? 0L : 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, http->opts.insecure ? 0L : 2L);
    if (http->opts.cancelled) {
        curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, progress_check);
        curl_easy_setopt(h, CURLOPT_XFERINFODATA, http);
        curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    }
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_USERAGENT, "airbytefs/" ABFS_VERSION);
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    if (http->opts.ca_file)
        curl_easy_setopt(h, CURLOPT_CAINFO, http->opts.ca_file);
    return h;
}

static void handle_return(AbfsHttp *http, CURL *h)
{
    g_mutex_lock(&http->pool_lock);
    g_ptr_array_add(http->pool, h);
    g_mutex_unlock(&http->pool_lock);
}

typedef struct {
    GString *body;
    gsize max;
    gboolean too_big;
} Sink;

static size_t sink_write(char *data, size_t size, size_t nmemb, void *user)
{
    Sink *sink = user;
    size_t n = size * nmemb;
    if (sink->body->len + n > sink->max) {
        sink->too_big = TRUE;
        return 0; /* aborts the transfer */
    }
    g_string_append_len(sink->body, data, (gssize)n);
    return n;
}

static size_t header_line(char *data, size_t size, size_t nmemb, void *user)
{
    size_t n = size * nmemb;
    gint64 *retry_after = user;
    if (n > 12 && g_ascii_strncasecmp(data, "Retry-After:", 12) == 0) {
        char *value = g_strndup(data + 12, n - 12);
        g_strstrip(value);
        char *end;
        gint64 s = g_ascii_strtoll(value, &end, 10);
        if (end != value && *end == '\0' && s >= 0)             /* seconds; an HTTP date is ignored */
            *retry_after = MIN(s, ABFS_HTTP_RETRY_AFTER_MAX_S); /* no overflow in µs arithmetic */
        g_free(value);
    }
    return n;
}

static int errno_for_curl(CURLcode rc)
{
    switch (rc) {
    case CURLE_OPERATION_TIMEDOUT: return ETIMEDOUT;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT: return ENOTCONN;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE: return EACCES;
    case CURLE_ABORTED_BY_CALLBACK: return EINTR; /* the caller's request was interrupted (Ctrl-C) */
    default: return EIO;
    }
}

/* The path of a URL (with its query) for trace and error lines: never the scheme and host. */
static const char *url_path(const char *url)
{
    const char *p = strstr(url, "://");
    p = p ? strchr(p + 3, '/') : NULL;
    return p ? p : url;
}

/* Frees a header list after wiping its text: one of them carries the token. */
static void headers_free(struct curl_slist *list)
{
    for (struct curl_slist *l = list; l; l = l->next)
        memset(l->data, 0, strlen(l->data));
    curl_slist_free_all(list);
}

gboolean abfs_http_request(AbfsHttp *http, const char *method, const char *url, const char *const *headers,
                           const char *body, AbfsHttpResponse *response, GError **error)
{
    return abfs_http_call(http, NULL, method, url, headers, body, response, error);
}

gboolean abfs_http_call(AbfsHttp *http, const AbfsHttpCall *call, const char *method, const char *url,
                        const char *const *headers, const char *body, AbfsHttpResponse *response, GError **error)
{
    memset(response, 0, sizeof *response);
    response->retry_after_s = -1;
    gint64 timeout_ms = (gint64)http->opts.request_timeout_s * 1000;
    if (call && call->deadline_us) {
        gint64 left_ms = (call->deadline_us - g_get_monotonic_time()) / 1000;
        if (left_ms <= 0) {
            g_set_error(error, ABFS_ERROR, ETIMEDOUT, "%s %s: no time left within the timeout", method, url_path(url));
            return FALSE;
        }
        timeout_ms = MIN(timeout_ms, left_ms);
    }
    CURL *h = handle_take(http);
    if (!h) {
        g_set_error(error, ABFS_ERROR, ENOMEM, "cannot create an HTTP handle");
        return FALSE;
    }
    struct curl_slist *list = NULL;
    for (const char *const *hd = headers; hd && *hd; hd++)
        list = curl_slist_append(list, *hd);
    if (body)
        list = curl_slist_append(list, "Content-Type: application/json");
    list = curl_slist_append(list, "Accept: application/json");
    list = curl_slist_append(list, "Expect:");

    Sink sink = {g_string_sized_new(4096), http->opts.max_body_bytes, FALSE};
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    if (strcmp(method, "GET") == 0)
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    if (body) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
    gint64 retry_after = -1;
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, header_line);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &retry_after);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)MAX(timeout_ms, 1));
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                     (long)MAX(MIN((gint64)http->opts.connect_timeout_s * 1000, timeout_ms), 1));
    if (call && call->once)
        curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L);

    gint64 start = g_get_monotonic_time();
    CURLcode rc = curl_easy_perform(h);
    gint64 millis = (g_get_monotonic_time() - start) / 1000;
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    headers_free(list);
    handle_return(http, h);

    __atomic_add_fetch(&http->total_requests, 1, __ATOMIC_RELAXED);
    __atomic_add_fetch(&http->total_bytes, sink.body->len, __ATOMIC_RELAXED);
    __atomic_add_fetch(&http->total_millis, (guint64)millis, __ATOMIC_RELAXED);
    if (http->opts.trace)
        g_message("api: %s %s -> %ld, %zu bytes, %" G_GINT64_FORMAT " ms%s%s", method, url_path(url), status,
                  sink.body->len, millis, rc == CURLE_OK ? "" : ", ", rc == CURLE_OK ? "" : curl_easy_strerror(rc));

    if (sink.too_big) {
        g_set_error(error, ABFS_ERROR, EFBIG, "response from %s is larger than %zu bytes", url_path(url),
                    http->opts.max_body_bytes);
        g_string_free(sink.body, TRUE);
        return FALSE;
    }
    /* The status line of a refusal arrived and then the connection broke: the refusal is the
     * answer (a 409 stays a 409: nothing was done), whatever part of its body came. */
    gboolean refused_in_full = rc != CURLE_OK && status >= 400 && rc != CURLE_ABORTED_BY_CALLBACK;
    if (rc != CURLE_OK && !refused_in_full) {
        g_set_error(error, ABFS_ERROR, errno_for_curl(rc), "%s %s: %s%s", method, url_path(url), curl_easy_strerror(rc),
                    status >= 200 && status < 300 ? " (the answer was cut)" : "");
        g_string_free(sink.body, TRUE);
        return FALSE;
    }
    response->status = status;
    response->body = sink.body;
    response->retry_after_s = retry_after;
    return TRUE;
}

void abfs_http_response_clear(AbfsHttpResponse *response)
{
    if (response->body)
        g_string_free(response->body, TRUE);
    response->body = NULL;
    response->status = 0;
}

void abfs_http_totals(AbfsHttp *http, guint64 *requests, guint64 *bytes, guint64 *millis)
{
    *requests = __atomic_load_n(&http->total_requests, __ATOMIC_RELAXED);
    *bytes = __atomic_load_n(&http->total_bytes, __ATOMIC_RELAXED);
    *millis = __atomic_load_n(&http->total_millis, __ATOMIC_RELAXED);
}
