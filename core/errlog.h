/* errlog.h — the recent failures a shell user can read in the mount's `errors` file.
 *
 * A bounded, thread-safe list of one-line records, oldest first:
 *   2026-11-25T15:04:05Z connections/<id>/schedule: EINVAL: HTTP 400: <server's message>
 * Each record is also written to the daemon's log (g_warning). */
#ifndef ABFS_ERRLOG_H
#define ABFS_ERRLOG_H

#include <glib.h>

typedef struct AbfsErrlog AbfsErrlog;

AbfsErrlog *abfs_errlog_new(guint max_records);
void abfs_errlog_free(AbfsErrlog *log);

/* Records a failure of path (shown without the leading "/") with its errno and message. */
void abfs_errlog_add(AbfsErrlog *log, const char *path, int errnum, const char *message);

/* The whole text (every record and its newline) and the time of the newest record (0 if none). */
char *abfs_errlog_text(AbfsErrlog *log, gint64 *newest);

/* The symbolic name of an errno ("EINVAL"), or "E<number>". */
const char *abfs_errno_name(int errnum);

#endif
