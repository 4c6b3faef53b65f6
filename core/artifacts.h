/* artifacts.h — what Airbyte keeps for a connection besides its settings, through the Config API:
 * its state (state.json: POST /state/get, written with /state/create_or_update_safe) and its
 * catalog (catalog.json: the syncCatalog of /web_backend/connections/get, written with
 * /web_backend/connections/update and skipReset). Where the Config API is missing, every call
 * fails with a message that says so. */
#ifndef ABFS_ARTIFACTS_H
#define ABFS_ARTIFACTS_H

#include <glib.h>
#include "client.h"

typedef enum { ABFS_ARTIFACT_STATE, ABFS_ARTIFACT_CATALOG } AbfsArtifact;

/* The file's text: pretty JSON with a final newline. */
char *abfs_artifact_read(AbfsClient *client, const char *connection_id, AbfsArtifact kind, GError **error);

/* The checks abfs_artifact_write() makes before any request: text (NUL-terminated at len) is one
 * JSON object, a ConnectionState with a known stateType (and an array streamState), or a catalog
 * with a streams array of {stream, config} objects. FALSE with an EINVAL error otherwise. */
gboolean abfs_artifact_validate(AbfsArtifact kind, const char *text, gsize len, GError **error);

/* Validates text (one JSON object: a ConnectionState with stateType, or a catalog with a streams
 * array), sends nothing when it equals the current value, otherwise replaces it. A state write
 * while a sync runs (423) is EBUSY and changes nothing. */
gboolean abfs_artifact_write(AbfsClient *client, const char *connection_id, AbfsArtifact kind, const char *text,
                             gsize len, GError **error);

/* ---- the cache: what stat, du, ls -l and open see ----
 * Each connection's state.json and catalog.json text, or the Config API's ENOTSUP (it is missing),
 * is kept for ttl_ms, so that sizing a file (stat) and then reading it costs one request, and a
 * walker going over the tree twice within the TTL costs none. Concurrent readers of one file share
 * one request (cache.h). A write through abfs_artifacts_write() and the end of one of the
 * connection's jobs (abfs_artifacts_forget()) drop what was kept. */
typedef struct AbfsArtifacts AbfsArtifacts;

AbfsArtifacts *abfs_artifacts_new(AbfsClient *client, guint ttl_ms);
void abfs_artifacts_free(AbfsArtifacts *artifacts);

/* The file's text (as abfs_artifact_read()), from the cache when fresh; newly allocated. */
char *abfs_artifacts_text(AbfsArtifacts *artifacts, const char *connection_id, AbfsArtifact kind, GError **error);

/* abfs_artifact_write(), then drops the kept text of the file. */
gboolean abfs_artifacts_write(AbfsArtifacts *artifacts, const char *connection_id, AbfsArtifact kind,
                              const char *text, gsize len, GError **error);

/* Drops what is kept of one connection's files (a job of it ended or started). */
void abfs_artifacts_forget(AbfsArtifacts *artifacts, const char *connection_id);

/* Makes every next read fetch again (SIGHUP, .refresh). */
void abfs_artifacts_invalidate(AbfsArtifacts *artifacts);

#endif
