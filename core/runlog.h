/* runlog.h — jobs/running.log: one text that only grows, made of the log lines of every running
 * job, each line prefixed with its connection's name ("<name>: <line>"), so that `tail -f` follows
 * every running sync at once while a plain read gets what is there now and its end.
 *
 * The text starts when it is first read, with what the running jobs logged so far; each update
 * appends the complete lines the jobs logged since. A job that stopped running is read once more
 * (its last lines) for a while (linger), then dropped. Nobody reading it for `idle` starts it
 * afresh; past max_bytes it starts again empty (as a rotated log: tail reports a truncation),
 * so it never holds more than max_bytes. Thread-safe; an update that finds another one under way
 * returns the text as it is instead of waiting for it. */
#ifndef ABFS_RUNLOG_H
#define ABFS_RUNLOG_H

#include <glib.h>

typedef struct AbfsRunLog AbfsRunLog;

/* A job running now. */
typedef struct {
    const char *job;        /* job id */
    const char *connection; /* its connection's id */
    const char *name;       /* the connection's name: each of its lines' prefix */
} AbfsRunLogJob;

/* The whole log text of a job so far (newly allocated), or NULL with *error. */
typedef char *(*AbfsRunLogRead)(const char *connection_id, const char *job_id, gpointer data, GError **error);

AbfsRunLog *abfs_runlog_new(gsize max_bytes, gint64 idle_us, gint64 linger_us);
void abfs_runlog_free(AbfsRunLog *log);

/* Brings the text up to date with the jobs running now (running[0..n)), reading each followed
 * job's log with read(…, data), and returns a copy of it (newly allocated). A log that cannot be
 * read now adds nothing (it is read again next time). */
char *abfs_runlog_update(AbfsRunLog *log, const AbfsRunLogJob *running, guint n, AbfsRunLogRead read, gpointer data);

#endif
