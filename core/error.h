/* error.h — how airbytefs reports failures of the Airbyte API.
 *
 * Every failure in core/ is a GError in the ABFS_ERROR domain whose code is the errno the
 * filesystem returns for it, and whose message is one line a user can act on (for HTTP failures:
 * "HTTP <status>: <the server's own message>"). The HTTP status is kept beside it in the message
 * so it reaches the `errors` file and the daemon's log. This is the one table from HTTP status to
 * errno; nothing else in airbytefs decides it. */
#ifndef ABFS_ERROR_H
#define ABFS_ERROR_H

#include <glib.h>

#define ABFS_ERROR (abfs_error_quark())
GQuark abfs_error_quark(void);

/* The errno for an HTTP status of a request that was not retried further:
 * 400/422 EINVAL, 401 EACCES, 403 EPERM, 404/410 ENOENT, 405/501 ENOTSUP, 408/504 ETIMEDOUT,
 * 409/423 EBUSY, 413 EFBIG, 429 EAGAIN, other 5xx EIO, other 4xx EINVAL. 2xx/3xx: 0. */
int abfs_errno_for_http_status(long status);

/* The server's message in an error body: problem JSON `detail` (or `title`), Config API
 * `message`, Micronaut `_embedded.errors[0].message`, or the body's first line when it is not
 * JSON. Newly allocated; never NULL (falls back to the status's reason phrase). */
char *abfs_server_message(long status, const char *body, gsize len);

/* Sets *error (if error is not NULL) for an HTTP error response. */
void abfs_set_http_error(GError **error, long status, const char *body, gsize len);

/* TRUE when a request failed in a way that leaves its outcome unknown: the server may have acted
 * on it but the answer was lost (transport error, cut answer, 5xx, timeout, interrupt). Not for
 * ENOTCONN: the server was never reached. */
gboolean abfs_error_outcome_unknown(const GError *error);

/* TRUE when a request failed because the API could not be reached or answer in time (ENOTCONN,
 * ETIMEDOUT, EIO, EAGAIN): what a cache may cover by serving its last value (cache.h). */
gboolean abfs_error_unreachable(const GError *error);

/* The errno of a write whose outcome is unknown: its answer was lost and the check that follows
 * could not tell whether the server acted ("Remote I/O error"). */
#define ABFS_EUNKNOWN EREMOTEIO

/* Sets *error to an ABFS_EUNKNOWN error for `what` (e.g. "PATCH of name"): the answer was lost
 * (lost: taken) and why the check could not tell (reason, one line). A lost answer after Ctrl-C
 * stays EINTR: the user stopped the check too. */
void abfs_error_set_unknown(GError **error, GError *lost, const char *what, const char *reason);

/* TRUE when error is a timeout: the server held the request past the deadline and may still act
 * on it after a check saw nothing (so "not done" cannot be said, only "unknown"). */
gboolean abfs_error_may_act_later(const GError *error);
#define ABFS_MAY_ACT_LATER "the server held it past the timeout and may still act on it"

/* The HTTP status recorded in an ABFS_ERROR message ("HTTP 409: ..."), or 0 if none. */
long abfs_error_http_status(const GError *error);

#endif
