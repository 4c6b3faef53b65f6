/* jobs.h — sync jobs of a connection: start, list, read, cancel, wait, and their log text.
 *
 * Jobs come from the public API (JobResponse); logs from the Config API (/jobs/get, attempt by
 * attempt). A job in a final state (succeeded, failed, cancelled) never changes, so it is cached
 * for good; the list and running jobs are re-read after a short TTL. */
#ifndef ABFS_JOBS_H
#define ABFS_JOBS_H

#include <glib.h>
#include <json-c/json.h>
#include "client.h"

typedef struct AbfsJobs AbfsJobs;

/* keep: how many recent jobs a connection's jobs/ shows; ttl_ms: how long a list or a running
 * job is trusted. */
AbfsJobs *abfs_jobs_new(AbfsClient *client, guint keep, guint ttl_ms);
void abfs_jobs_free(AbfsJobs *jobs);

/* Calls hook(connection id, data) when a job is first seen final (read from the API in a final state
 * after being seen running, or for the first time): what the job changed (a connection's state)
 * may be read again. Called from the reading thread with no lock held; set before any read. */
void abfs_jobs_set_end_hook(AbfsJobs *jobs, void (*hook)(const char *connection_id, gpointer data), gpointer data);
/* The next listing of the connection's jobs is read anew (a job was started elsewhere than run). */
void abfs_jobs_forget(AbfsJobs *jobs, const char *connection_id);

/* Drops the cached lists and unfinished jobs (finished jobs and their logs never change). */
void abfs_jobs_invalidate(AbfsJobs *jobs);

/* TRUE for succeeded, failed and cancelled (incomplete and queued are not final). */
gboolean abfs_job_status_is_final(const char *status);

/* Keeps job (a JobResponse read just now by another listing, e.g. the workspace's; borrowed) as
 * if it had been read alone, so that its files cost no request of their own. */
void abfs_jobs_remember(AbfsJobs *jobs, json_object *job);

/* The most recent jobs of a connection, newest first: a newly allocated array of job-id strings. */
GPtrArray *abfs_jobs_recent(AbfsJobs *jobs, const char *connection_id, GError **error);

/* One job (JobResponse), as a pretty JSON string (newly allocated); NULL with ENOENT if the job does
 * not belong to connection_id. */
char *abfs_job_json_text(AbfsJobs *jobs, const char *connection_id, const char *job_id, GError **error);

/* The content of a job file: status, type, started_at, updated_at, duration, bytes_synced,
 * rows_synced, job.json (from the public API's JobResponse), log, failure, streams.tsv (from the
 * Config API's JobInfoRead, forensics.h). Newly allocated, ends with a newline (log, failure and
 * streams.tsv: may be empty). */
char *abfs_job_file(AbfsJobs *jobs, const char *connection_id, const char *job_id, const char *file, GError **error);
/* TRUE if name is one of the files above (or a control file: cancel, wait). */
gboolean abfs_job_file_exists(const char *name);
/* The files of a job directory, in listing order: those above, then cancel and wait
 * (NULL-terminated; the one list of them). */
const char *const *abfs_job_file_names(void);

/* The Config API's JobInfoRead of a job (POST /jobs/get; a new reference): read once for good
 * when the job was final before it was read, else again after the TTL. The log, failure,
 * streams.tsv and the attempts/ directory all render from it. A missing Config API: ENOTSUP. */
json_object *abfs_job_info(AbfsJobs *jobs, const char *connection_id, const char *job_id, GError **error);

/* The log of one attempt, as the job's log prints it without the attempt header; newly
 * allocated, may be empty. It is taken from the job's JobInfoRead (abfs_job_info) when that holds
 * the attempt's logs; a server whose /jobs/get leaves them out is asked POST
 * /attempt/get_for_job for that attempt alone, cached like abfs_job_info. */
char *abfs_job_attempt_log(AbfsJobs *jobs, const char *connection_id, const char *job_id, gint64 attempt,
                           GError **error);

/* Starts a job: text "sync"/""/"1" → sync, "reset", "clear" (public API), "refresh" (Config API).
 * Anything else: EINVAL. On success the new job is already in abfs_jobs_recent(). *job_id: the new
 * id (newly allocated), may be NULL. */
gboolean abfs_jobs_run(AbfsJobs *jobs, const char *connection_id, const char *text, char **job_id, GError **error);

/* DELETE /jobs/{id}; a job that is not running: EBUSY. */
gboolean abfs_jobs_cancel(AbfsJobs *jobs, const char *connection_id, const char *job_id, GError **error);

/* Polls the job until it is final, then returns its status (newly allocated). interrupted() is
 * asked between polls: TRUE aborts with EINTR. timeout_s bounds the wait (ETIMEDOUT). */
char *abfs_jobs_wait(AbfsJobs *jobs, const char *connection_id, const char *job_id, guint timeout_s,
                     gboolean (*interrupted)(void), GError **error);

/* ISO 8601 UTC ("2024-05-01T12:00:00Z") from the API's lenient times ("2024-05-01T12:00Z",
 * fractions, offsets). NULL if unparsable. */
char *abfs_time_iso(const char *text);
/* ISO 8601 UTC of an epoch time the API gives (seconds, or milliseconds when it is past year
 * 5138 as seconds); newly allocated. */
char *abfs_epoch_iso(gint64 t);
/* Seconds of an ISO 8601 duration ("PT8M31S", "P1DT2H"); -1 if unparsable. */
gint64 abfs_duration_seconds(const char *text);

/* PyAirbyte's full log text from a Config API JobInfoRead: every attempt in order, each under a
 * "==== attempt N ====" line (append-only while the job runs), each line of structured events as "[<timestamp>] <level>: <message>", formatted logs line by line. */
char *abfs_job_log_text(json_object *job_info);

#endif
