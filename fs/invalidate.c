/* invalidate.c — a thread that tells the kernel to drop cached attributes and pages of paths whose
 * content changed (after a commit, a job start or cancel, or a new line in `errors`). Request handlers
 * only queue paths: calling into the kernel from inside a handler can deadlock. */
#include "fs.h"

static GAsyncQueue *queue;
static GThread *thread;
static struct fuse *the_fuse;
static char stop_marker[] = "";

static gpointer run(gpointer data)
{
    (void)data;
    for (;;) {
        char *path = g_async_queue_pop(queue);
        if (path == stop_marker)
            break;
        fuse_invalidate_path(the_fuse, path);
        g_free(path);
    }
    return NULL;
}

void abfs_invalidate_later(const char *path)
{
    if (queue)
        g_async_queue_push(queue, g_strdup(path));
}

void abfs_invalidator_start(struct fuse *fuse)
{
    the_fuse = fuse;
    queue = g_async_queue_new();
    thread = g_thread_new("invalidate", run, NULL);
}

void abfs_invalidator_stop(void)
{
    if (!queue)
        return;
    g_async_queue_push(queue, stop_marker);
    g_thread_join(thread);
    char *path;
    while ((path = g_async_queue_try_pop(queue)))
        g_free(path);
    g_async_queue_unref(queue);
    queue = NULL;
}
