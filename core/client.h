/* client.h — JSON calls to the Airbyte public API and Config API.
 *
 * AbfsClient owns the configuration, the HTTP client and the token. A call sends an optional
 * JSON body, authenticates (re-fetching the token once on a 401), retries idempotent calls on
 * 429/502/503/504 and transport failures with exponential backoff and jitter within a deadline,
 * and parses the JSON answer. Any non-2xx status becomes an ABFS_ERROR GError (error.h).
 * A call that is not idempotent goes out exactly once, on a connection of its own (http.h).
 *
 * Deadlines: a call ends within -o timeout (cfg->request_timeout_s) from its start, its attempts,
 * the waits between them and the token fetch included; inside an operation's deadline
 * (abfs_client_deadline_begin) it ends by the sooner of the two. */
#ifndef ABFS_CLIENT_H
#define ABFS_CLIENT_H

#include <glib.h>
#include <json-c/json.h>
#include "config.h"
#include "http.h"

typedef struct AbfsClient AbfsClient;

typedef enum {
    ABFS_API_PUBLIC, /* paths relative to cfg->api_root */
    ABFS_API_CONFIG, /* paths relative to cfg->config_api_root */
} AbfsApi;

typedef enum {
    ABFS_CALL_DEFAULT = 0,
    ABFS_CALL_IDEMPOTENT = 1 << 0, /* safe to send again after a failure */
} AbfsCallFlags;

/* Takes ownership of cfg (finished with abfs_config_finish). cancelled: see http.h (may be NULL). */
AbfsClient *abfs_client_new(AbfsConfig *cfg, gboolean trace, gboolean (*cancelled)(void));
void abfs_client_free(AbfsClient *client);
const AbfsConfig *abfs_client_config(const AbfsClient *client);
AbfsHttp *abfs_client_http(AbfsClient *client);

/* Performs method on path (which may carry a query string) of api. *out receives the parsed
 * answer (NULL for an empty body, e.g. 204); pass out = NULL to ignore it. */
gboolean abfs_client_call(AbfsClient *client, AbfsApi api, const char *method, const char *path, json_object *body,
                          AbfsCallFlags flags, json_object **out, GError **error);

/* abfs_client_call() that leaves the answer unparsed: *text receives its body (newly allocated,
 * NUL-terminated; empty for an empty body) on success, NULL otherwise. For answers the caller
 * scans itself (json_scan.h). */
gboolean abfs_client_call_text(AbfsClient *client, AbfsApi api, const char *method, const char *path,
                               json_object *body, AbfsCallFlags flags, GString **text, GError **error);

/* Starts an operation's deadline on the calling thread: every call this thread makes until the
 * matching abfs_client_deadline_end() ends by now + request_timeout_s, so a user's operation made
 * of several requests (read, PATCH, check) is bounded as a whole. Nested: the sooner deadline
 * holds. Returns what abfs_client_deadline_end() restores. */
gint64 abfs_client_deadline_begin(AbfsClient *client);
void abfs_client_deadline_end(gint64 saved);
/* The operation deadline on this thread (monotonic µs, 0: none), and installing one on another
 * thread (a pool thread fetching a page for this one); _set returns the one it replaced. */
gint64 abfs_client_deadline(void);
gint64 abfs_client_deadline_set(gint64 deadline_us);

/* Before a request whose lost answer must be checked: shortens this thread's operation deadline so
 * that a quarter of what is left (up to 5 s) stays for the check. Returns the deadline to put back
 * with abfs_client_deadline_set() once the request is done. */
gint64 abfs_client_deadline_keep_for_check(void);

/* TRUE when the last abfs_client_call() on this thread retried after an attempt whose outcome was
 * left open (a lost answer or a 5xx): its final refusal does not prove that nothing was done. */
gboolean abfs_client_last_call_lost_an_answer(void);

/* Backoff before retry number attempt (0-based): min(cap, base·2^attempt) with full jitter,
 * in microseconds. Exposed for tests. */
gint64 abfs_client_backoff_us(guint attempt, gint64 base_us, gint64 cap_us, GRand *rand);

#endif
