/* events.h — the event stream of a workspace: jobs that start and end, connections that appear,
 * go, change, are enabled or disabled, found by comparing successive looks at the API.
 *
 * Two pure parts, unit-tested alone: the diff of two connection snapshots (store.h) into events,
 * and a job watch that turns successive job listings into transitions. And a poller over them: a
 * reader (one per open `events` file) gets every event found from the moment it opened, in its
 * own queue; the first reader's open takes the baseline (one listing of each) and starts a
 * background thread that looks again every interval; the thread ends when the last reader leaves,
 * so nothing is asked of the API while nobody reads.
 *
 * Lines (ABFS_EVENTS_TEXT), one per event, fields separated by one space:
 *   TIME EVENT CONNECTION_ID "NAME" [key=value ...]
 * TIME is when airbytefs saw it (ISO 8601 UTC, seconds); NAME is the connection's name in double
 * quotes with \" \\ and control characters escaped (\n, \t, \xHH); keys: job=ID type=TYPE for job
 * events, members=a,b for connection.changed. ABFS_EVENTS_JSON: the same as one JSON object a line,
 * {"time","event","connectionId","name"[,"jobId","jobType"][,"members"]}. */
#ifndef ABFS_EVENTS_H
#define ABFS_EVENTS_H

#include <glib.h>
#include <json-c/json.h>
#include "client.h"
#include "store.h"

/* The events, as the EVENT field spells them. */
#define ABFS_EVENT_JOB_STARTED "job.started"
#define ABFS_EVENT_JOB_SUCCEEDED "job.succeeded"
#define ABFS_EVENT_JOB_FAILED "job.failed"
#define ABFS_EVENT_JOB_CANCELLED "job.cancelled"
#define ABFS_EVENT_CREATED "connection.created"
#define ABFS_EVENT_DELETED "connection.deleted"
#define ABFS_EVENT_CHANGED "connection.changed"
#define ABFS_EVENT_ENABLED "connection.enabled"
#define ABFS_EVENT_DISABLED "connection.disabled"
#define ABFS_EVENT_LOST "events.lost" /* a reader fell behind: count=N events were dropped */

/* How far back each job listing reaches before the previous look (seconds): the overlap that
 * keeps a job updated between two looks, or a small clock difference with the server, from being
 * missed. */
#define ABFS_EVENTS_JOB_MARGIN_S 60

typedef struct {
    const char *event;   /* one of the ABFS_EVENT_* (static) */
    gint64 time;         /* wall-clock seconds when found */
    char *connection_id; /* never NULL */
    char *name;          /* the connection's name, or NULL when unknown */
    gint64 job_id;       /* job events; -1 otherwise */
    char *job_type;      /* job events (may be NULL) */
    GStrv members;       /* connection.changed: the top-level members that changed, sorted */
    guint count;         /* events.lost */
} AbfsEvent;

void abfs_event_free(AbfsEvent *e);

typedef enum { ABFS_EVENTS_TEXT, ABFS_EVENTS_JSON } AbfsEventFormat;

/* One line (ending with "\n") for the event, newly allocated. */
char *abfs_event_format(const AbfsEvent *e, AbfsEventFormat format);

/* The events between two snapshots (before may be NULL: no events), in connection id order, as a
 * GPtrArray of AbfsEvent (freed with it). created / deleted (a connection gone from the listing,
 * or whose status became deprecated) / enabled / disabled (status active <-> inactive) / changed
 * (any other top-level member that differs, listed). now_s: the events' time. */
GPtrArray *abfs_events_diff(AbfsSnapshot *before, AbfsSnapshot *after, gint64 now_s);

/* What is known of the workspace's jobs between two listings. */
typedef struct AbfsJobWatch AbfsJobWatch;

/* since_s: wall-clock seconds of the baseline (what came before it is never told). */
AbfsJobWatch *abfs_job_watch_new(gint64 since_s);
void abfs_job_watch_free(AbfsJobWatch *w);

/* The jobs (JobResponse json_objects, borrowed) listed at the baseline: remembered, no events. */
void abfs_job_watch_baseline(AbfsJobWatch *w, GPtrArray *jobs);

/* A later listing: appends to events (AbfsEvent, names NULL) what changed since the last one.
 * A job not seen before that started after the baseline gives job.started, then its end if it is
 * already final; a job seen before that became final gives its end; a job not seen before that is
 * already final (it ran since before the baseline) gives its end. Nothing else (pending -> running,
 * a retried attempt) is told. */
void abfs_job_watch_update(AbfsJobWatch *w, GPtrArray *jobs, gint64 now_s, GPtrArray *events);

/* How many jobs the watch remembers (for tests: it stays bounded). */
guint abfs_job_watch_size(AbfsJobWatch *w);

/* ---- the poller ---- */

typedef struct AbfsEvents AbfsEvents;
typedef struct AbfsEventReader AbfsEventReader;

/* Called when a poll of the API failed (errnum, one line), once per outage: the first failure
 * after a success. Runs on the poller's thread with no lock held. */
typedef void (*AbfsEventsFailureHook)(int errnum, const char *message, gpointer data);

/* client and store must outlive the events. interval_ms: the time between two looks. */
AbfsEvents *abfs_events_new(AbfsClient *client, AbfsStore *store, const char *workspace_id, guint interval_ms);
void abfs_events_set_failure_hook(AbfsEvents *ev, AbfsEventsFailureHook hook, gpointer data);

/* Stops the poller at exit: every blocked reader returns the end of the stream, no wake is called
 * from now on, a request the poller has in flight is cancelled (abfs_events_thread_stopping), and
 * no new reader may open. FALSE if the poller has not ended within timeout_ms (then nothing it uses
 * may be freed). */
gboolean abfs_events_stop(AbfsEvents *ev, guint timeout_ms);
/* Frees a stopped (or never started) events; every reader must have been closed. */
void abfs_events_free(AbfsEvents *ev);

/* TRUE on the poller's thread once abfs_events_stop() was called: the HTTP client's cancel check. */
gboolean abfs_events_thread_stopping(void);

/* Polls made so far, the baselines included (for tests). */
guint abfs_events_polls(AbfsEvents *ev);

/* A new reader of the events found from now on, in format. wake(data) is called when its queue
 * goes from empty to holding something (a poll(2) waiting on it): with the events' lock held, so
 * it must be short and never call back into the events. The first reader's open takes the
 * baseline here (a listing of connections and one of jobs; it fails with their error) and starts
 * the poller. */
AbfsEventReader *abfs_events_open(AbfsEvents *ev, AbfsEventFormat format, void (*wake)(gpointer data),
                                  gpointer data, GError **error);
/* Closes a reader; the last one makes the poller end after the poll it is in, if any. No wake of
 * it is called after this returns. */
void abfs_events_close(AbfsEventReader *r);

/* Takes up to size bytes of the reader's pending lines (a line may be split across reads).
 * Nothing pending: EAGAIN unless block; blocking, waits until something is, the events are
 * stopped (0: the end of the stream), or should_stop() (asked every 100 ms; may be NULL) says so
 * (EINTR). Returns the number of bytes, or -errno with *error set for EAGAIN. */
gssize abfs_event_reader_read(AbfsEventReader *r, char *buf, gsize size, gboolean block,
                              gboolean (*should_stop)(void), GError **error);

/* TRUE when a read would not block (something is pending, or the events stopped). */
gboolean abfs_event_reader_ready(AbfsEventReader *r);

#endif
