/* fs.h — what the FUSE layer shares between its files: the mounted filesystem's state and the
 * operations each file implements. */
#ifndef ABFS_FS_H
#define ABFS_FS_H

#define FUSE_USE_VERSION 314
#include <fuse.h>

#include <glib.h>
#include <sys/types.h>
#include <json-c/json.h>

#include "client.h"
#include "errlog.h"
#include "store.h"
#include "tree.h"
#include "jobs.h"
#include "actors.h"
#include "tags.h"
#include "artifacts.h"
#include "stream_actions.h"
#include "timeline.h"
#include "events.h"

typedef struct {
    AbfsClient *client;
    AbfsStore *store;
    AbfsErrlog *errlog;
    const AbfsConfig *cfg;
    json_object *workspace; /* GET /workspaces/{id} at mount time */
    uid_t uid;
    gid_t gid;
    gint64 mount_time; /* wall-clock seconds */
    struct AbfsJobs *jobs;
    struct AbfsActors *actors;
    struct AbfsTags *tags;
    struct AbfsArtifacts *artifacts; /* state.json and catalog.json, kept for the TTL */
    struct AbfsStreams *streams; /* each stream's state and last sync (stream_actions.h) */
    struct AbfsTimeline *timeline; /* each connection's events (timeline.h) */
    struct AbfsHealth *health;   /* connections' health, status/, jobs/running|failed */
    struct AbfsWsJobs *wsjobs;   /* the root jobs/ */
    struct AbfsRunLog *runlog;   /* jobs/running.log */
    gboolean allow_delete;  /* -o allow_delete: rmdir connections/<id> deletes it */
    gboolean delete_source; /* -o delete_source: ... and its source, if no other connection uses it */
    gboolean delete_destination;
    guint wait_timeout_s; /* bound on reading a job's `wait` */
    guint max_waiters;    /* readers of `wait` or `events` that may block at once (the others get EAGAIN) */
    gint waiters;         /* readers of `wait` and `events` blocked now (atomic) */
    AbfsEvents *events;   /* what `events` readers get (polls the API only while one is open) */
    GMutex created_lock;
    GPtrArray *created; /* "<id> <draft file name>" per connection created (settings/.last-created) */
} AbfsFs;

/* The FUSE operations table (ops.c). */
const struct fuse_operations *abfs_fs_operations(void);

/* The mounted filesystem of the calling FUSE request (its private data; node.c). */
AbfsFs *abfs_fs(void);
/* Frees the open files the kernel never released (call after the session ended; handles.c). */
void abfs_handles_cleanup(void);

/* Asks the kernel to forget what it cached of path, from the invalidation thread (never from a
 * request handler, where it could deadlock). */
void abfs_invalidate_later(const char *path);
void abfs_invalidator_start(struct fuse *fuse, AbfsFs *fs);
/* Drops every cache (listing, jobs, sources and destinations) and the kernel's: SIGHUP, .refresh. */
void abfs_refresh_all(AbfsFs *fs);
/* The store's change hook (store.h): queues the changed paths for invalidation. */
void abfs_fs_on_change(const char *connection_id, int file, gpointer data);
/* The store's stale hook: the API is unreachable and old values are served; say so in errors. */
void abfs_fs_on_stale(int errnum, const char *message, gpointer data);
/* At exit, once the session stopped answering: stops notifying the kernel. FALSE if a notification
 * is still in the kernel after timeout_ms (closing the session's fd will not end the connection). */
gboolean abfs_invalidator_quiesce(guint timeout_ms);
/* After the session's fd is closed: joins the thread; FALSE if it did not end within timeout_ms. */
gboolean abfs_invalidator_stop(guint timeout_ms);
/* Invalidates path's attributes in the kernel now, touching no page: safe from a request handler
 * (pagecache.c, at open). Nothing once the session is ending. */
void abfs_invalidate_attrs_now(const char *path);
/* At exit, before the session's fd is closed: no poll(2) of `events` is notified from now on
 * (node_events.c). */
void abfs_fs_streams_quiesce(void);
/* The events' failure hook: a failed poll of the API goes to `errors`, once per outage. */
void abfs_fs_on_events_failure(int errnum, const char *message, gpointer data);

/* Whether a blocking reader (a job's `wait`) should give up: its request was interrupted, or the
 * session is ending (main.c). */
gboolean abfs_fs_wait_should_stop(void);

#endif
