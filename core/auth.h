/* auth.h — access tokens for the Airbyte API.
 *
 * With a bearer token, that token is used as given. With client credentials, a token is fetched
 * from POST {api_root}/applications/token, kept until 60 s before it runs out (the earlier of
 * `expires_in` and the JWT's `exp`), and fetched again when the client reports a 401.
 * A refused fetch for a busy server (429, 5xx) or a transport failure is tried again with backoff
 * within the caller's deadline. Thread-safe: concurrent callers share one fetch and wait for it no
 * longer than their own deadline; the lock is never held during a request. Secrets never appear
 * in errors or logs, and are wiped from memory once used. */
#ifndef ABFS_AUTH_H
#define ABFS_AUTH_H

#include <glib.h>
#include "config.h"
#include "http.h"

typedef struct AbfsAuth AbfsAuth;

/* cfg and http must outlive the AbfsAuth. */
AbfsAuth *abfs_auth_new(const AbfsConfig *cfg, AbfsHttp *http);
void abfs_auth_free(AbfsAuth *auth);

/* "Authorization: Bearer <token>", newly allocated, fetching a token if needed, by deadline_us
 * (monotonic µs; ETIMEDOUT after it). Free it with abfs_auth_header_free(). */
char *abfs_auth_header(AbfsAuth *auth, gint64 deadline_us, GError **error);
void abfs_auth_header_free(char *header);

/* Forgets the token named in header (as returned by abfs_auth_header) after a 401, unless a newer
 * one was fetched meanwhile. Returns FALSE when there is nothing to refresh (a fixed bearer token). */
gboolean abfs_auth_invalidate(AbfsAuth *auth, const char *header);

/* Seconds until the JWT `exp` claim of token, or -1 when token is not a JWT with one. */
gint64 abfs_auth_jwt_seconds_left(const char *token, gint64 now_s);

#endif
