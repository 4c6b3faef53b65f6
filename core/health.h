/* health.h — how each connection of a workspace is doing: one word (healthy, failed, running, ...),
 * its last success, last and active job and the failure's reason, and the workspace's summary;
 * what connections/<id>/health*, status/ and the root jobs/running|failed render from.
 *
 * A report covers every connection of a store snapshot and costs a bounded number of requests,
 * not one per connection: the Config API's batch call (POST /connections/status, at most
 * ABFS_HEALTH_BATCH ids a request), or, where the Config API is missing (it answers 404, or its
 * root is unknown), the public listing of the workspace's jobs (GET /jobs?workspaceIds=, newest
 * first, at most ABFS_HEALTH_FALLBACK_PAGES pages of 100). A report is trusted for the mount's TTL
 * (cache.h: single flight, served stale while the API cannot be reached).
 *
 * The words, from the API's connectionSyncStatus (the server's precedence: running, failed,
 * paused, incomplete, pending, synced) and the connection's own status:
 *   running     a job is pending or running (an attempt may have failed and be retried)
 *   queued      a job waits to start (QUEUED)
 *   failed      the last sync failed (FAILED: a config error or breaking change, user action
 *               needed; INCOMPLETE: it failed or was cancelled and a retry may succeed)
 *   locked      disabled by the platform (status locked; status_reason says why)
 *   paused      disabled (status inactive)
 *   not_synced  never synced, or the last job was a reset or clear (PENDING)
 *   healthy     the last sync succeeded (SYNCED)
 *   unknown     the API did not say (a connection created after the report; in the fallback, an
 *               active connection with no job among the newest jobs read)
 * Reports are immutable and reference counted: any thread may read one. */
#ifndef ABFS_HEALTH_H
#define ABFS_HEALTH_H

#include <glib.h>
#include <json-c/json.h>
#include "client.h"
#include "store.h"

/* Connection ids in one POST /connections/status. The schema sets no maximum; the server reads
 * each connection's jobs one by one, so batches keep each request short. */
#define ABFS_HEALTH_BATCH 100
/* Pages of 100 jobs the fallback reads at most per report. */
#define ABFS_HEALTH_FALLBACK_PAGES 10

typedef struct AbfsHealth AbfsHealth;
typedef struct AbfsHealthReport AbfsHealthReport;

/* The words, in the order status/ and the summary list them (NULL-terminated). */
const char *const *abfs_health_words(void);
/* TRUE if word is one of them. */
gboolean abfs_health_word_exists(const char *word);

/* store and client must outlive it. ttl_ms: how long a report is trusted. */
AbfsHealth *abfs_health_new(AbfsClient *client, AbfsStore *store, guint ttl_ms);
void abfs_health_free(AbfsHealth *health);
/* The next report is computed afresh (SIGHUP, .refresh). A mount that found the Config API
 * missing keeps using the fallback. */
void abfs_health_invalidate(AbfsHealth *health);

/* The current report (a new reference), computed first when older than the TTL. */
AbfsHealthReport *abfs_health_report(AbfsHealth *health, GError **error);

AbfsHealthReport *abfs_health_report_ref(AbfsHealthReport *report);
void abfs_health_report_unref(AbfsHealthReport *report);

/* The word of a connection ("unknown" when the report does not cover it). */
const char *abfs_health_of(AbfsHealthReport *report, const char *connection_id);
/* health.json of a connection: pretty JSON with a final newline, newly allocated. Members:
 * connection_id, health, sync_status (the API's connectionSyncStatus, or the fallback's own),
 * last_success (ISO 8601 or null), last_job ({id, status} or null), active_job ({id, status,
 * type} or null), failure ({origin, type, message, retryable} or null; message: the external
 * one), status_reason (or null), from ("config_api" or "jobs"), computed_at (ISO 8601). */
char *abfs_health_json_text(AbfsHealthReport *report, const char *connection_id);
/* last_success: ISO 8601 and a newline, or just "\n". */
char *abfs_health_last_success_text(AbfsHealthReport *report, const char *connection_id);
/* status/summary: "<word> <count>" for every word, then "computed_at <ISO 8601>" and
 * "from <config_api|jobs>", one a line. */
char *abfs_health_summary_text(AbfsHealthReport *report);
/* Wall-clock seconds when the report was computed. */
gint64 abfs_health_computed_at(AbfsHealthReport *report);

/* A job the report names: the active job of each connection (running), or the failed last sync
 * of each connection whose last sync failed (failed). Job id → connection id, both borrowed from
 * the report (valid while it is referenced). */
GHashTable *abfs_health_jobs(AbfsHealthReport *report, gboolean failed);

/* ---- the computation, exposed for tests ---- */

/* What the report needs of a connection from the listing. */
typedef struct {
    const char *id;
    const char *status;        /* active, inactive, locked, ... */
    const char *status_reason; /* or NULL */
} AbfsHealthConnection;

/* A report from ConnectionStatusRead items (statuses: an array, borrowed) for conns[0..n). */
AbfsHealthReport *abfs_health_from_statuses(const AbfsHealthConnection *conns, guint n, json_object *statuses,
                                            gint64 now_s);
/* A report from JobResponses of the workspace, newest first (jobs: an array, borrowed); complete:
 * the listing ended (every job was seen), so a connection without a job never ran one. */
AbfsHealthReport *abfs_health_from_jobs(const AbfsHealthConnection *conns, guint n, json_object *jobs,
                                        gboolean complete, gint64 now_s);

#endif
