/* wsjobs.h — the workspace's most recent jobs, newest first, for the root jobs/: one public
 * listing (GET /jobs?workspaceIds=, orderBy createdAt DESC, limit keep), trusted for a TTL and
 * served stale while the API cannot be reached. Each job read is also kept in the jobs cache
 * (jobs.h), so that following a link to it costs nothing more. Thread-safe. */
#ifndef ABFS_WSJOBS_H
#define ABFS_WSJOBS_H

#include <glib.h>
#include "client.h"
#include "jobs.h"

typedef struct AbfsWsJobs AbfsWsJobs;

/* A job of the listing. */
typedef struct {
    char job[24];        /* its id, decimal */
    char connection[40]; /* its connection's id */
} AbfsWsJob;

/* client and jobs must outlive it. keep: how many jobs (1..100). */
AbfsWsJobs *abfs_wsjobs_new(AbfsClient *client, AbfsJobs *jobs, const char *workspace_id, guint keep, guint ttl_ms);
void abfs_wsjobs_free(AbfsWsJobs *wsjobs);
/* The next listing reads again. */
void abfs_wsjobs_invalidate(AbfsWsJobs *wsjobs);

/* The newest jobs of the workspace, newest first: a new reference to an immutable array of
 * AbfsWsJob (g_ptr_array_unref when done), or NULL with *error. */
GPtrArray *abfs_wsjobs_recent(AbfsWsJobs *wsjobs, GError **error);

/* The connection of job_id if it is among the newest jobs (newly allocated), else NULL with
 * ENOENT (or the listing's error). */
char *abfs_wsjobs_connection_of(AbfsWsJobs *wsjobs, const char *job_id, GError **error);

#endif
