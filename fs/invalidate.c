/* invalidate.c — a thread that tells the kernel to drop cached attributes and pages of paths whose
 * content changed (after a commit, a job start or cancel, or a new line in `errors`). Request handlers
 * only queue paths: calling into the kernel from inside a handler can deadlock.
 *
 * The kernel drops a file's pages with the page lock of each, and a page being read stays locked
 * until the daemon answers the read. Once the session stops answering (SIGTERM, a crash), an
 * invalidation waiting on such a page never returns, and the thread holding /dev/fuse in a write
 * keeps the connection alive: clients hang in D state. So the files the API backs are opened with
 * direct_io: they have no pages, and invalidating one never waits. The setting files that keep
 * pages (pagecache.h) are invalidated for their attributes only, which touches no page either. */
#include "fs.h"

#include <signal.h>
#include <string.h>

#include "connection_files.h"
#include "health.h"
#include "init_dirops.h"
#include "pagecache.h"
#include "wsjobs.h"

static GAsyncQueue *queue;
static volatile sig_atomic_t hangup;
static GThread *thread;
static struct fuse *the_fuse;
static char stop_marker[] = "";
/* Held by the thread while it calls into the kernel; stopping is set under it, after which the
 * session's fd is never written again (it is about to be closed and its number reused). */
static GMutex notify_lock;
static gboolean stopping; /* protected by notify_lock */
static gboolean finished; /* protected by finish_lock: the thread returned */
static GMutex finish_lock;
static GCond finish_cond;

/* One invalidation of path, unless the session is ending. Attributes only: no page is touched. */
static void notify(const char *path, gboolean attrs_only)
{
    g_mutex_lock(&notify_lock);
    if (!stopping && the_fuse) {
        abfs_io_attrs_only(attrs_only);
        fuse_invalidate_path(the_fuse, path);
        abfs_io_attrs_only(false);
    }
    g_mutex_unlock(&notify_lock);
}

void abfs_invalidate_attrs_now(const char *path)
{
    notify(path, TRUE);
}

static gpointer run(gpointer data)
{
    for (;;) {
        char *path = g_async_queue_timeout_pop(queue, 200 * 1000);
        if (hangup) {
            hangup = 0;
            g_message("SIGHUP: dropping every cache");
            abfs_refresh_all(data);
        }
        if (!path)
            continue;
        if (path == stop_marker)
            break;
        notify(path, abfs_pagecache_attrs_only(path));
        g_free(path);
    }
    g_mutex_lock(&finish_lock);
    finished = TRUE;
    g_cond_signal(&finish_cond);
    g_mutex_unlock(&finish_lock);
    return NULL;
}

void abfs_invalidate_later(const char *path)
{
    if (queue)
        g_async_queue_push(queue, g_strdup(path));
}

static void on_interrupt_signal(int sig)
{
    (void)sig;
}

static void on_hangup(int sig)
{
    (void)sig;
    hangup = 1;
}

void abfs_invalidator_start(struct fuse *fuse, AbfsFs *fs)
{
    the_fuse = fuse;
    queue = g_async_queue_new();
    thread = g_thread_new("invalidate", run, fs);
    /* libfuse's handlers end the session on SIGHUP; ours drops the caches instead. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_hangup;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGHUP, &sa, NULL);
    /* With fuse_config.intr, libfuse wakes a worker whose request was interrupted with SIGUSR1; it
     * only needs to interrupt a blocking call (set in init, after libfuse would install it). */
    sa.sa_handler = on_interrupt_signal;
    sa.sa_flags = 0;
    sigaction(SIGUSR1, &sa, NULL);
}

void abfs_refresh_all(AbfsFs *fs)
{
    abfs_store_invalidate(fs->store);
    abfs_jobs_invalidate(fs->jobs);
    abfs_actors_invalidate(fs->actors);
    abfs_tags_invalidate(fs->tags);
    abfs_artifacts_invalidate(fs->artifacts);
    abfs_streams_invalidate(fs->streams);
    abfs_timeline_invalidate(fs->timeline);
    abfs_health_invalidate(fs->health);
    abfs_wsjobs_invalidate(fs->wsjobs);
    static const char *const roots[] = {"/connections", "/settings", "/by-name", "/sources", "/destinations", "/status",
                                        "/jobs", "/tags"};
    for (gsize i = 0; i < G_N_ELEMENTS(roots); i++)
        abfs_invalidate_later(roots[i]);
    abfs_pagecache_invalidate_kept(); /* their sizes were kept longer than the roots' */
}

void abfs_fs_on_stale(int errnum, const char *message, gpointer data)
{
    AbfsFs *fs = data;
    abfs_errlog_add(fs->errlog, "connections", errnum, message);
    abfs_invalidate_later("/errors");
}

void abfs_fs_on_events_failure(int errnum, const char *message, gpointer data)
{
    AbfsFs *fs = data;
    abfs_errlog_add(fs->errlog, "events", errnum, message);
    abfs_invalidate_later("/errors");
}

void abfs_fs_on_change(const char *connection_id, int file, gpointer data)
{
    (void)data;
    if (!connection_id) {
        abfs_invalidate_later("/connections");
        abfs_invalidate_later("/settings");
        abfs_invalidate_later("/by-name");
        return;
    }
    char *path;
    if (file < 0) {
        path = g_strdup_printf("/connections/%s", connection_id);
    } else {
        guint n;
        const AbfsConnectionFile *files = abfs_connection_files(&n);
        path = g_strdup_printf("/connections/%s/%s", connection_id, files[file].name);
        if (strcmp(files[file].name, "settings.json") == 0) {
            char *settings = g_strdup_printf("/settings/%s.json", connection_id);
            abfs_invalidate_later(settings);
            g_free(settings);
        } else if (strcmp(files[file].name, "name") == 0)
            abfs_invalidate_later("/by-name");
    }
    abfs_invalidate_later(path);
    g_free(path);
}

gboolean abfs_invalidator_quiesce(guint timeout_ms)
{
    if (!queue)
        return TRUE;
    g_async_queue_push(queue, stop_marker);
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    while (!g_mutex_trylock(&notify_lock)) {
        if (g_get_monotonic_time() >= deadline)
            return FALSE;
        g_usleep(10 * 1000);
    }
    stopping = TRUE;
    g_mutex_unlock(&notify_lock);
    return TRUE;
}

gboolean abfs_invalidator_stop(guint timeout_ms)
{
    if (!queue)
        return TRUE;
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    g_mutex_lock(&finish_lock);
    while (!finished && g_cond_wait_until(&finish_cond, &finish_lock, deadline))
        ;
    gboolean done = finished;
    g_mutex_unlock(&finish_lock);
    if (!done)
        return FALSE; /* left running: nothing it uses may be freed */
    g_thread_join(thread);
    char *path;
    while ((path = g_async_queue_try_pop(queue)))
        g_free(path);
    g_async_queue_unref(queue);
    queue = NULL;
    return TRUE;
}
