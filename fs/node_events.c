/* node_events.c — `events` and `events.json` at the mount's root: blocking streams of what happens
 * in the workspace (core's events.h), Plan 9 style. Each open file is a reader with its own queue,
 * from the moment it opened; a read takes what is pending and blocks while nothing is (EAGAIN
 * with O_NONBLOCK); poll(2) and select(2) say when a read would not block. Neither is listed by
 * readdir (tree.c), so that no tree walker opens one and waits. */
#include "node.h"
#include "handles.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>

#include "error.h"
#include "events.h"

typedef struct {
    AbfsEventReader *reader;
    struct fuse_pollhandle *ph; /* a poll waiting for the next event; protected by poll_lock */
} Stream;

/* Guards every stream's ph and notifications: once stopped, the session's fd is never written
 * again (it is about to be closed at unmount, and its number reused). */
static GMutex poll_lock;
static gboolean poll_stopped; /* protected by poll_lock */

/* The reader's queue got something: wake a poll(2) waiting on it. Called with the events' lock
 * held (events.h): fuse_notify_poll() only queues a notification in the kernel, it never waits
 * for a request of this daemon. */
static void wake(gpointer data)
{
    Stream *s = data;
    g_mutex_lock(&poll_lock);
    if (s->ph) {
        if (!poll_stopped)
            fuse_notify_poll(s->ph);
        fuse_pollhandle_destroy(s->ph);
        s->ph = NULL;
    }
    g_mutex_unlock(&poll_lock);
}

void abfs_fs_streams_quiesce(void)
{
    g_mutex_lock(&poll_lock);
    poll_stopped = TRUE;
    g_mutex_unlock(&poll_lock);
}

static int events_getattr(const AbfsNode *node, struct stat *st, GError **error)
{
    (void)node;
    (void)error;
    /* size 0, like a FIFO's: its content is what comes next */
    abfs_stat_file(st, 0444, 0, abfs_fs()->mount_time);
    return 0;
}

static int events_open(const AbfsNode *node, int flags, AbfsHandle **handle, GError **error)
{
    if (abfs_open_wants_write(flags))
        return -EACCES;
    Stream *s = g_new0(Stream, 1);
    s->reader = abfs_events_open(abfs_fs()->events, node->file == 1 ? ABFS_EVENTS_JSON : ABFS_EVENTS_TEXT, wake, s,
                                 error);
    if (!s->reader) {
        g_free(s);
        return -EIO;
    }
    *handle = abfs_handle_stream(node->path, node, s);
    return 0;
}

static int events_read(const AbfsNode *node, gpointer stream, char *buf, size_t size, int flags, GError **error)
{
    (void)node;
    Stream *s = stream;
    AbfsFs *fs = abfs_fs();
    gssize n = abfs_event_reader_read(s->reader, buf, size, FALSE, NULL, NULL);
    if (n != -EAGAIN)
        return (int)n;
    if (flags & O_NONBLOCK) /* nothing to record: a non-blocking reader asks again */
        return -EAGAIN;
    /* A blocked reader holds a FUSE worker thread: bounded with the readers of a job's `wait`. */
    if ((guint)g_atomic_int_add(&fs->waiters, 1) >= fs->max_waiters) {
        g_set_error(error, ABFS_ERROR, EAGAIN,
                    "%u readers already block on wait or events (bounded by max_threads); try again when one ends",
                    fs->max_waiters);
        n = -EAGAIN;
    } else
        n = abfs_event_reader_read(s->reader, buf, size, TRUE, abfs_fs_wait_should_stop, NULL);
    g_atomic_int_add(&fs->waiters, -1);
    /* not interrupted but stopped: the session is ending, which reads as the end of the stream
     * (`while read` loops end cleanly) */
    if (n == -EINTR && fuse_interrupted() == 0)
        n = 0;
    return (int)n;
}

static int events_poll(const AbfsNode *node, gpointer stream, struct fuse_pollhandle *ph, unsigned *revents)
{
    (void)node;
    Stream *s = stream;
    if (ph) { /* keep it before looking, so that an event queued in between wakes it */
        g_mutex_lock(&poll_lock);
        if (s->ph)
            fuse_pollhandle_destroy(s->ph);
        s->ph = ph;
        g_mutex_unlock(&poll_lock);
    }
    *revents = abfs_event_reader_ready(s->reader) ? POLLIN | POLLRDNORM : 0;
    return 0;
}

static void events_release(const AbfsNode *node, gpointer stream)
{
    (void)node;
    Stream *s = stream;
    abfs_events_close(s->reader); /* no wake after this */
    g_mutex_lock(&poll_lock);
    if (s->ph)
        fuse_pollhandle_destroy(s->ph);
    g_mutex_unlock(&poll_lock);
    g_free(s);
}

const AbfsNodeType abfs_node_events = {
    .getattr = events_getattr,
    .open = events_open,
    .read_stream = events_read,
    .poll = events_poll,
    .release_stream = events_release,
};
