/* node_jobs.c — the jobs part of a connection directory: `run` (write: start a job), `jobs/`
 * (recent jobs newest first, `latest`, `url`), and each job's files, among them `cancel` (write)
 * and `wait` (blocks until the job ends), over core's jobs module (jobs.h). */
#include "node.h"
#include "handles.h"

#include <errno.h>
#include <string.h>

#include "connection_files.h"
#include "error.h"
#include "health.h"
#include "jobs.h"
#include "text.h"
#include "weburl.h"

static int jobs_url_text(const AbfsNode *node, char **text, GError **error)
{
    int rc = abfs_node_connection_exists(node, error);
    if (rc < 0)
        return rc;
    const AbfsRenderContext *ctx = abfs_store_render_context(abfs_fs()->store);
    char *url = abfs_web_url(ctx->web_root, ctx->workspace_id, ABFS_WEB_CONNECTION_TIMELINE, node->id);
    *text = abfs_text_line(url);
    g_free(url);
    return 0;
}

/* The newest job id of a connection (ENOENT when there is none). */
static int latest_job(const AbfsNode *node, char **id, GError **error)
{
    GPtrArray *ids = abfs_jobs_recent(abfs_fs()->jobs, node->id, error);
    if (!ids)
        return -EIO;
    *id = ids->len ? g_strdup(g_ptr_array_index(ids, 0)) : NULL;
    g_ptr_array_free(ids, TRUE);
    return *id ? 0 : -ENOENT;
}

/* After a job was started or cancelled: the kernel forgets jobs/ and latest, and the health
 * report is computed afresh at its next read (it says running at once, not after cache_ttl). */
static void jobs_changed(const char *connection_id)
{
    char *jobs_dir = g_strdup_printf("/connections/%s/jobs", connection_id);
    char *latest = g_strconcat(jobs_dir, "/latest", NULL);
    abfs_invalidate_later(jobs_dir);
    abfs_invalidate_later(latest);
    g_free(latest);
    g_free(jobs_dir);
    abfs_health_invalidate(abfs_fs()->health);
    guint n;
    const AbfsTreeName *names = abfs_tree_names(ABFS_NODE_CONNECTION, &n);
    for (guint i = 0; i < n; i++) {
        if (names[i].kind != ABFS_NODE_HEALTH_FILE)
            continue;
        char *path = g_strdup_printf("/connections/%s/%s", connection_id, names[i].name);
        abfs_invalidate_later(path);
        g_free(path);
    }
    abfs_invalidate_later("/status");
}

/* ---- run ---- */

static int run_getattr(const AbfsNode *node, struct stat *st, GError **error)
{
    int rc = abfs_node_connection_exists(node, error);
    if (rc == 0)
        abfs_stat_file(st, 0600, 0, abfs_fs()->mount_time);
    return rc;
}

static int run_open(const AbfsNode *node, int flags, AbfsHandle **handle, GError **error)
{
    int rc = abfs_node_connection_exists(node, error);
    return rc < 0 ? rc : abfs_handle_open_control(node, flags, handle, error);
}

static int run_act(const AbfsNode *node, const char *text, gsize len, GError **error)
{
    (void)len;
    if (!abfs_jobs_run(abfs_fs()->jobs, node->id, text, NULL, error))
        return -EIO;
    jobs_changed(node->id);
    return 0;
}

const AbfsNodeType abfs_node_run = {
    .getattr = run_getattr,
    .open = run_open,
    .act = run_act,
};

/* ---- jobs/ ---- */

static int jobs_getattr(const AbfsNode *node, struct stat *st, GError **error)
{
    int rc = abfs_node_connection_exists(node, error);
    if (rc == 0)
        abfs_stat_dir(st, 0555, abfs_fs()->mount_time);
    return rc;
}

static int jobs_readdir(const AbfsNode *node, AbfsDir *dir, GError **error)
{
    int rc = abfs_node_connection_exists(node, error);
    if (rc < 0)
        return rc;
    GPtrArray *ids = abfs_jobs_recent(abfs_fs()->jobs, node->id, error);
    if (!ids)
        return -EIO;
    guint n;
    const AbfsTreeName *fixed = abfs_tree_names(ABFS_NODE_JOBS, &n);
    for (guint i = 0; i < n; i++)
        if (fixed[i].kind != ABFS_NODE_JOBS_LATEST || ids->len > 0)
            abfs_dir_add_kind(dir, fixed[i].name, fixed[i].kind);
    abfs_dir_add_ids(dir, ids, ABFS_NODE_JOB);
    return 0;
}

const AbfsNodeType abfs_node_jobs = {
    .getattr = jobs_getattr,
    .readdir = jobs_readdir,
};

/* ---- jobs/latest, jobs/url ---- */

static int latest_readlink(const AbfsNode *node, char **target, GError **error)
{
    int rc = abfs_node_connection_exists(node, error);
    return rc < 0 ? rc : latest_job(node, target, error);
}

const AbfsNodeType abfs_node_jobs_latest = {
    .getattr = abfs_node_getattr_link,
    .readlink = latest_readlink,
};

static int jobs_url_open(const AbfsNode *node, int flags, AbfsHandle **handle, GError **error)
{
    int rc = abfs_handle_open_text(node, flags, handle, error);
    if (rc == 0)
        abfs_handle_set_direct_io(*handle);
    return rc;
}

const AbfsNodeType abfs_node_jobs_url = {
    .getattr = abfs_node_getattr_text,
    .open = jobs_url_open,
    .read_text = jobs_url_text,
};

/* ---- jobs/<job>/ ---- */

/* ENOENT unless the job exists and belongs to the connection. */
static int job_exists(const AbfsNode *node, GError **error)
{
    int rc = abfs_node_connection_exists(node, error);
    if (rc < 0)
        return rc;
    char *json = abfs_job_json_text(abfs_fs()->jobs, node->id, node->job, error);
    if (!json)
        return -ENOENT;
    g_free(json);
    return 0;
}

static int job_getattr(const AbfsNode *node, struct stat *st, GError **error)
{
    int rc = job_exists(node, error);
    if (rc == 0)
        abfs_stat_dir(st, 0555, abfs_fs()->mount_time);
    return rc;
}

static int job_readdir(const AbfsNode *node, AbfsDir *dir, GError **error)
{
    int rc = abfs_node_connection_exists(node, error);
    if (rc < 0)
        return rc;
    /* `wait` blocks until the job ends: it is reached by its name only, never listed, so that no
     * tree walker (grep -r, cp -r, rsync, diff -r, tar, a file manager) opens it and hangs */
    for (const char *const *f = abfs_job_file_names(); *f; f++)
        if (strcmp(*f, "wait") != 0)
            abfs_dir_add_kind(dir, *f, ABFS_NODE_JOB_FILE);
    /* attempts/ is not listed either: listing it reads the job's JobInfoRead (logs included), and
     * find, cp -r or a file manager would read that of every job of every connection */
    return 0;
}

const AbfsNodeType abfs_node_job = {
    .getattr = job_getattr,
    .readdir = job_readdir,
};

/* ---- jobs/<job>/<file> ---- */

static gboolean is_cancel(const AbfsNode *node)
{
    return strcmp(node->job_file, "cancel") == 0;
}

static gboolean is_wait(const AbfsNode *node)
{
    return strcmp(node->job_file, "wait") == 0;
}

static int job_file_read_text(const AbfsNode *node, char **text, GError **error)
{
    *text = abfs_job_file(abfs_fs()->jobs, node->id, node->job, node->job_file, error);
    return *text ? 0 : -EIO;
}

static int job_file_getattr(const AbfsNode *node, struct stat *st, GError **error)
{
    int rc = abfs_node_connection_exists(node, error);
    if (rc < 0)
        return rc;
    if (is_cancel(node) || is_wait(node)) {
        rc = job_exists(node, error);
        /* wait's size is unknown until the job ends: it is read with direct I/O. */
        if (rc == 0)
            abfs_stat_file(st, is_cancel(node) ? 0600 : 0444, 0, abfs_fs()->mount_time);
        return rc;
    }
    char *text = NULL;
    rc = job_file_read_text(node, &text, error);
    if (rc == 0)
        abfs_stat_file(st, 0444, strlen(text), abfs_fs()->mount_time);
    g_free(text);
    return rc;
}

/* Blocks until the job ends and returns its status. Each blocked reader holds a FUSE worker
 * thread: past max_waiters, EAGAIN at once, so that some threads always answer the other files. */
static int wait_for_job(const AbfsNode *node, char **text, GError **error)
{
    AbfsFs *fs = abfs_fs();
    char *status = NULL;
    if ((guint)g_atomic_int_add(&fs->waiters, 1) >= fs->max_waiters)
        g_set_error(error, ABFS_ERROR, EAGAIN,
                    "%u readers already wait for jobs (bounded by max_threads); "
                    "try again when one ends",
                    fs->max_waiters);
    else
        status = abfs_jobs_wait(fs->jobs, node->id, node->job, fs->wait_timeout_s, abfs_fs_wait_should_stop, error);
    g_atomic_int_add(&fs->waiters, -1);
    if (!status && error && *error && (*error)->code == EINTR) {
        g_clear_error(error); /* the reader stopped waiting: nothing to record */
        return -EINTR;
    }
    if (!status)
        return -EIO;
    *text = abfs_text_line(status);
    g_free(status);
    return 0;
}

static int job_file_open(const AbfsNode *node, int flags, AbfsHandle **handle, GError **error)
{
    int rc = abfs_node_connection_exists(node, error);
    if (rc < 0)
        return rc;
    if (is_cancel(node))
        return abfs_handle_open_control(node, flags, handle, error);
    if (abfs_open_wants_write(flags))
        return -EACCES;
    char *text = NULL;
    rc = is_wait(node) ? wait_for_job(node, &text, error) : job_file_read_text(node, &text, error);
    if (rc < 0)
        return rc;
    gboolean failed = is_wait(node) && strcmp(text, "failed\n") == 0;
    gboolean cancelled = is_wait(node) && strcmp(text, "cancelled\n") == 0;
    /* a log is read again at its end, so that tail -f sees new lines */
    *handle = abfs_handle_text(node->path, node, text, strcmp(node->job_file, "log") == 0);
    abfs_handle_set_direct_io(*handle); /* sizes of job files move while a job runs */
    /* wait tells success by the reader's exit status, as PyAirbyte's run_sync(wait=True) raises */
    if (failed || cancelled)
        abfs_handle_set_end_error(*handle, failed ? EIO : ECANCELED);
    return 0;
}

static int cancel_act(const AbfsNode *node, const char *text, gsize len, GError **error)
{
    (void)text;
    (void)len;
    if (!abfs_jobs_cancel(abfs_fs()->jobs, node->id, node->job, error))
        return -EIO;
    jobs_changed(node->id);
    return 0;
}

const AbfsNodeType abfs_node_job_file = {
    .getattr = job_file_getattr,
    .open = job_file_open,
    .read_text = job_file_read_text,
    .act = cancel_act,
};
