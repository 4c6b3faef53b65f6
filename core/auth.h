/* auth.h — access tokens for the Airbyte API.
 *
 * With a bearer token, that token is used as given. With client credentials, a token is fetched
 * from POST {api_root}/applications/token, kept until 60 s before it runs out (the earlier of
 * `expires_in` and the JWT's `exp`), and fetched again when the client reports a 401.
 * Thread-safe: concurrent callers share one fetch. Secrets never appear in errors or logs. */
#ifndef ABFS_AUTH_H
#define ABFS_AUTH_H

#include <glib.h>
#include "config.h"
#include "http.h"

typedef struct AbfsAuth AbfsAuth;

/* cfg and http must outlive the AbfsAuth. */
AbfsAuth *abfs_auth_new(const AbfsConfig *cfg, AbfsHttp *http);
void abfs_auth_free(AbfsAuth *auth);

/* "Authorization: Bearer <token>", newly allocated, fetching a token if needed. */
char *abfs_auth_header(AbfsAuth *auth, GError **error);

/* Forgets the token named in header (as returned by abfs_auth_header) after a 401, unless a newer
 * one was fetched meanwhile. Returns FALSE when there is nothing to refresh (a fixed bearer token). */
gboolean abfs_auth_invalidate(AbfsAuth *auth, const char *header);

/* Seconds until the JWT `exp` claim of token, or -1 when token is not a JWT with one. */
gint64 abfs_auth_jwt_seconds_left(const char *token, gint64 now_s);

#endif
