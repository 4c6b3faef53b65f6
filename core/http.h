/* http.h — a thread-safe HTTP client over libcurl for the Airbyte API.
 *
 * One AbfsHttp serves every thread of the filesystem: easy handles are pooled and reused (so
 * connections stay alive), DNS, TLS sessions and connections are shared through a curl share
 * handle, CURLOPT_NOSIGNAL is set, connect and total times are bounded, and bodies larger than
 * a bound are refused. Transport failures become ABFS_ERROR GErrors: ETIMEDOUT for a timeout,
 * ENOTCONN when the server cannot be reached, EFBIG for an oversized body, EIO otherwise. HTTP
 * error statuses are NOT errors here: the caller gets the status and body. */
#ifndef ABFS_HTTP_H
#define ABFS_HTTP_H

#include <glib.h>

typedef struct AbfsHttp AbfsHttp;

typedef struct {
    guint connect_timeout_s;
    guint request_timeout_s;
    gsize max_body_bytes;
    const char *ca_file; /* NULL: the system's CA store */
    gboolean trace;      /* log one line per request (method, path, status, bytes, ms) */
    gboolean insecure;   /* skip TLS verification (only when the user asked, loudly) */
    /* Asked while a request runs (every ~100 ms and on progress): TRUE aborts it with EINTR.
     * Called on the thread that makes the request. May be NULL. */
    gboolean (*cancelled)(void);
} AbfsHttpOptions;

/* A Retry-After larger than this many seconds counts as this many. */
#define ABFS_HTTP_RETRY_AFTER_MAX_S (24 * 3600)

typedef struct {
    long status;
    GString *body;
    gint64 retry_after_s; /* the Retry-After header in seconds, or -1 */
} AbfsHttpResponse;

AbfsHttp *abfs_http_new(const AbfsHttpOptions *options);
void abfs_http_free(AbfsHttp *http);

/* How one request is made. */
typedef struct {
    /* Monotonic µs by which the request must have ended, connecting included (0: request_timeout_s
     * from now). A deadline already past fails at once with ETIMEDOUT, sending nothing. */
    gint64 deadline_us;
    /* Sent at most once: on a connection of its own. On a reused keep-alive connection that the
     * server closed without answering, libcurl sends the request again by itself, which for
     * POST /jobs starts a second sync and for a DELETE answers 404 about what it just deleted. */
    gboolean once;
} AbfsHttpCall;

/* Performs one request. headers: NULL-terminated "Name: value" strings (may be NULL); body: sent
 * as is when not NULL. On success fills *response (free with abfs_http_response_clear). An error
 * status whose body was cut short is still an answer (the status says what happened; the body is
 * what arrived); a 2xx whose body was cut is an EIO error: the server acted, the answer is lost.
 * call may be NULL (defaults). Header values are wiped from memory after use (tokens). */
gboolean abfs_http_call(AbfsHttp *http, const AbfsHttpCall *call, const char *method, const char *url,
                        const char *const *headers, const char *body, AbfsHttpResponse *response, GError **error);
/* abfs_http_call() with the defaults. */
gboolean abfs_http_request(AbfsHttp *http, const char *method, const char *url, const char *const *headers,
                           const char *body, AbfsHttpResponse *response, GError **error);
void abfs_http_response_clear(AbfsHttpResponse *response);

/* Totals since creation, for the unmount summary of -d. */
void abfs_http_totals(AbfsHttp *http, guint64 *requests, guint64 *bytes, guint64 *millis);

/* Call once at program start, before any thread exists. */
void abfs_http_global_init(void);
void abfs_http_global_cleanup(void);

#endif
