/* forensics.h — why a job failed, as data: the files of a job and of each of its attempts that
 * are rendered from the Config API's JobInfoRead (POST /jobs/get, which jobs.h already reads for
 * the log) and AttemptInfoRead (POST /attempt/get_for_job, one attempt's log). No I/O here.
 *
 * A failure is one line of four tab-separated fields:
 *     <origin> TAB <type> TAB <retryable> TAB <external message> NL
 * origin and type are the API's FailureOrigin and FailureType words (source, config_error, ...),
 * retryable is true, false or unknown, and the message has its control characters turned into
 * spaces. A missing origin or type reads "unknown". Only the first failure of an attempt's
 * failureSummary is shown (the one the web UI shows). */
#ifndef ABFS_FORENSICS_H
#define ABFS_FORENSICS_H

#include <glib.h>
#include <json-c/json.h>

/* The failure line of an AttemptRead (its failureSummary), or "" when it has none. */
char *abfs_attempt_failure_line(json_object *attempt);

/* jobs/<id>/failure of a JobInfoRead: "" when the job succeeded or no attempt failed yet; else
 * the failure of the newest attempt that has one. */
char *abfs_job_failure_text(json_object *info);

/* jobs/<id>/streams.tsv of a JobInfoRead: one line per stream of job.streamAggregatedStats,
 *     <stream> TAB <records committed> TAB <bytes committed> NL
 * with streams named as streams.d names them (stream_names.h); "" when there are no stats. */
char *abfs_job_streams_tsv(json_object *info);

/* The attempt numbers of a JobInfoRead (each attempt's `id`), in order: a newly allocated array
 * of newly allocated decimal strings. */
GPtrArray *abfs_job_attempt_numbers(json_object *info);

/* The AttemptRead numbered number in a JobInfoRead, or NULL (borrowed). */
json_object *abfs_job_attempt(json_object *info, gint64 number);

/* TRUE if name is a file of an attempt directory. The files, in listing order (NULL-terminated). */
gboolean abfs_attempt_file_exists(const char *name);
const char *const *abfs_attempt_file_names(void);

/* An attempt file rendered from its AttemptRead: status (a line), failure (as above), stats.json
 * (pretty JSON of its counts: bytesSynced, recordsSynced, createdAt, endedAt, totalStats,
 * streamStats, those it has). Newly allocated; NULL for another name (log is read apart). */
char *abfs_attempt_file(json_object *attempt, const char *name);

/* Appends the log of one AttemptInfoRead's `logs` as PyAirbyte prints it: structured events as
 * "[<timestamp>] <level>: <message>" lines, formatted logs line by line. */
void abfs_attempt_log_append(GString *out, json_object *logs);

#endif
