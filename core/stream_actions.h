/* stream_actions.h — what the Config API does for one stream of a connection: its state (the
 * stream's part of the connection state, read with POST /state/get and written back whole with
 * POST /state/create_or_update_safe, which refuses while a sync runs), its last sync
 * (POST /connections/last_job_per_stream), a refresh of it (POST /connections/refresh) and a
 * clear of it (POST /connections/clear/stream).
 *
 * Each takes the connection (the public API's ConnectionResponse, to find the stream's name and
 * namespace from its label, stream_names.h). Where the Config API is missing they fail with
 * ENOTSUP and a message that says so; a stream the connection does not select is ENOENT.
 *
 * Both reads answer for every stream of a connection at once, so each connection's answer is kept
 * for the TTL (single flight, cache.h): reading state.json and last_sync of every stream of a
 * connection (grep -r, cp -r) costs one request of each per TTL, not one per stream and file. The
 * state is the one the connection's state.json keeps (artifacts.h): both files cost one request.
 * A write, a refresh and a clear drop the connection's kept answers. */
#ifndef ABFS_STREAM_ACTIONS_H
#define ABFS_STREAM_ACTIONS_H

#include <glib.h>
#include <json-c/json.h>
#include "artifacts.h"
#include "client.h"

typedef struct AbfsStreams AbfsStreams;

/* client and artifacts (whose kept state it shares) must outlive it; ttl_ms: how long one
 * connection's last jobs are trusted. */
AbfsStreams *abfs_streams_new(AbfsClient *client, AbfsArtifacts *artifacts, guint ttl_ms);
void abfs_streams_free(AbfsStreams *streams);
/* Drops the kept answers of one connection (its job ended). */
void abfs_streams_forget(AbfsStreams *streams, const char *connection_id);
/* Drops every kept answer (.refresh). */
void abfs_streams_invalidate(AbfsStreams *streams);

/* The stream's state, pretty JSON: the streamState object of its entry in a per-stream or global
 * connection state, or {} when it has none. A legacy state (one blob for every stream): ENOTSUP. */
char *abfs_stream_state_read(AbfsStreams *streams, json_object *conn, const char *label, GError **error);

/* Checks text (NUL-terminated at len) is one JSON object, reads the connection state, and unless
 * the stream's part already equals it (nothing is sent) writes the whole state back with only
 * that part replaced ({} removes the stream's entry): every other stream's state is sent as read.
 * A write while a sync runs (HTTP 423) is EBUSY and changes nothing. */
gboolean abfs_stream_state_write(AbfsStreams *streams, json_object *conn, const char *label, const char *text,
                                 gsize len, GError **error);

/* The stream's last completed job as one line,
 *     <status> TAB <records committed> TAB <bytes committed> TAB <ended at, ISO 8601 UTC> TAB <job id> NL
 * or "" when no job has synced it yet. */
char *abfs_stream_last_sync(AbfsStreams *streams, json_object *conn, const char *label, GError **error);

/* Starts a refresh of the stream alone: text "merge" (or an empty line) keeps the destination's
 * records, "truncate" removes them first; anything else EINVAL, nothing sent. While a job runs:
 * EBUSY. Sent once. */
gboolean abfs_stream_refresh(AbfsStreams *streams, json_object *conn, const char *label, const char *text,
                             GError **error);

/* Starts a clear of the stream alone (its records in the destination and its state). While a
 * job runs: EBUSY. Sent once. */
gboolean abfs_stream_clear(AbfsStreams *streams, json_object *conn, const char *label, GError **error);

#endif
