/* store.h — the cached view of a workspace's connections that every connection file renders from.
 *
 * A snapshot is an immutable, reference-counted picture of one listing (one paginated walk).
 * The store hands out the current snapshot while it is younger than the TTL; an older one is
 * replaced by a new walk, and concurrent callers wait for that single walk instead of starting
 * their own. When a walk fails because the API cannot be reached, the last snapshot keeps serving
 * (and the failure is logged). A connection whose JSON did not change keeps its entry, so each
 * file's mtime moves only when that file's content changes. An entry keeps the connection as
 * compact JSON text (about the bytes the API sent, not a parsed tree) and each file's size once it
 * was asked for; files are rendered when opened. */
#ifndef ABFS_STORE_H
#define ABFS_STORE_H

#include <glib.h>
#include <json-c/json.h>
#include "client.h"
#include "connection_files.h"

typedef struct AbfsStore AbfsStore;
typedef struct AbfsSnapshot AbfsSnapshot;
typedef struct AbfsEntry AbfsEntry;

/* client must outlive the store. ttl_ms = 0: every call walks again. */
AbfsStore *abfs_store_new(AbfsClient *client, const char *workspace_id, const char *web_root, guint ttl_ms);
void abfs_store_free(AbfsStore *store);

/* The current snapshot (a new reference), refreshing it first when it is older than the TTL. */
AbfsSnapshot *abfs_store_snapshot(AbfsStore *store, GError **error);

/* The current snapshot if its walk (or put) is at most max_age_ms old, else a new walk's: how a
 * watcher that looks every max_age_ms shares the walks other readers made meanwhile. */
AbfsSnapshot *abfs_store_snapshot_fresh(AbfsStore *store, guint max_age_ms, GError **error);

/* Makes the next abfs_store_snapshot() walk again. */
void abfs_store_invalidate(AbfsStore *store);

/* Replaces one connection in the current snapshot with conn (e.g. the answer to a PATCH), without a
 * walk. The snapshot keeps its age. A walk or (before the first walk) a read of the connection
 * alone that is in flight meanwhile never brings back an older value: what it installs keeps conn.
 * Takes the caller's reference to conn: do not use conn after. */
void abfs_store_put_connection(AbfsStore *store, json_object *conn);

/* Page requests in flight during a walk (default 1). Call before the store is shared. */
void abfs_store_set_parallel(AbfsStore *store, guint parallel);

/* Called when the store learns that a file's content changed (a walk, or a PATCH answer):
 * connection_id and the file row; file -1 with an id: that connection is gone; id NULL: the set of
 * connections changed. It may run with the store's lock held: it must be short and never block or
 * call back into the store. Used to tell the kernel to drop what it cached. */
typedef void (*AbfsStoreChangeHook)(const char *connection_id, int file, gpointer data);
void abfs_store_set_change_hook(AbfsStore *store, AbfsStoreChangeHook hook, gpointer data);

/* Called when a walk could not show everything: it failed because the API could not be reached and
 * the last snapshot keeps serving, or it dropped a malformed connection (EIO; said once while the
 * connection stays malformed). errnum and a one-line message; without a hook, the message goes to
 * the log. It runs with no lock held, on the thread whose walk or read failed. */
typedef void (*AbfsStoreStaleHook)(int errnum, const char *message, gpointer data);
void abfs_store_set_stale_hook(AbfsStore *store, AbfsStoreStaleHook hook, gpointer data);

/* Number of walks made so far (for tests and -d totals). */
guint abfs_store_walks(AbfsStore *store);

const AbfsRenderContext *abfs_store_render_context(AbfsStore *store);
AbfsClient *abfs_store_client(AbfsStore *store);

/* The workspace's tags, which a commit resolves tag names with (tags.h); NULL until set. Set
 * before the store is shared; tags must outlive the store. */
struct AbfsTags;
void abfs_store_set_tags(AbfsStore *store, struct AbfsTags *tags);
struct AbfsTags *abfs_store_tags(AbfsStore *store);

/* The current entry of a connection (a new reference), from the snapshot (refreshed if old).
 * Before the first walk, a connection is read alone (GET /connections/{id}) rather than walking
 * the whole listing. */
AbfsEntry *abfs_store_entry(AbfsStore *store, const char *connection_id, GError **error);

void abfs_snapshot_unref(AbfsSnapshot *snap);
guint abfs_snapshot_count(AbfsSnapshot *snap);
/* Connection ids in sorted order; i < count. */
const char *abfs_snapshot_id(AbfsSnapshot *snap, guint i);
/* The entry of a connection, or NULL (borrowed: valid while the snapshot is referenced). */
AbfsEntry *abfs_snapshot_lookup(AbfsSnapshot *snap, const char *connection_id);
/* Link name → connection id for by-name/ (names.h), computed once per snapshot; borrowed. */
GHashTable *abfs_snapshot_by_name(AbfsSnapshot *snap);
/* Wall-clock time (seconds) of the walk that made the snapshot. */
gint64 abfs_snapshot_time(AbfsSnapshot *snap);

typedef enum {
    ABFS_ENTRY_ID,
    ABFS_ENTRY_NAME,
    ABFS_ENTRY_SOURCE_ID,
    ABFS_ENTRY_DESTINATION_ID,
    ABFS_ENTRY_TAG_IDS, /* the ids of its tags, separated by spaces ("" without any) */
    ABFS_ENTRY_FIELDS
} AbfsEntryField;

AbfsEntry *abfs_entry_ref(AbfsEntry *entry);
void abfs_entry_unref(AbfsEntry *entry);
/* The connection as the API returned it, parsed anew: the caller owns it (json_object_put). */
json_object *abfs_entry_parse(AbfsEntry *entry);
/* A string member kept beside the text for listings (may be NULL); borrowed. */
const char *abfs_entry_field(AbfsEntry *entry, AbfsEntryField field);
/* The rendering of file row `file` (connection_files.h), newly allocated, and its length. */
char *abfs_entry_render(AbfsEntry *entry, guint file, gsize *len);
/* Its size, without keeping the rendering (computed on first use, then remembered). */
gsize abfs_entry_size(AbfsEntry *entry, guint file);
/* Wall-clock seconds of the last change of that file's content (first seen: createdAt). */
gint64 abfs_entry_mtime(AbfsEntry *entry, guint file);

#endif
