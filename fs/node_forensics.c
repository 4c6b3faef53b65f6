/* node_forensics.c — jobs/<job>/attempts/ and each attempt's directory and files (status,
 * failure, stats.json, log): why a job failed, attempt by attempt, over core's jobs and forensics
 * modules (jobs.h, forensics.h). The attempts come from the job's JobInfoRead, read once for a
 * final job; an attempt's log from its own request. Listings name files without reading them. */
#include "node.h"
#include "handles.h"

#include <errno.h>
#include <string.h>

#include "error.h"
#include "forensics.h"
#include "jobs.h"

/* The job's JobInfoRead (a new reference), after checking the connection. */
static int job_info(const AbfsNode *node, json_object **info, GError **error)
{
    int rc = abfs_node_connection_exists(node, error);
    if (rc < 0)
        return rc;
    *info = abfs_job_info(abfs_fs()->jobs, node->id, node->job, error);
    return *info ? 0 : -EIO;
}

/* ---- attempts/ ---- */

static int attempts_getattr(const AbfsNode *node, struct stat *st, GError **error)
{
    int rc = abfs_node_connection_exists(node, error);
    if (rc < 0)
        return rc;
    char *json = abfs_job_json_text(abfs_fs()->jobs, node->id, node->job, error);
    if (!json)
        return -ENOENT;
    g_free(json);
    abfs_stat_dir(st, 0555, abfs_fs()->mount_time);
    return 0;
}

static int attempts_readdir(const AbfsNode *node, AbfsDir *dir, GError **error)
{
    json_object *info = NULL;
    int rc = job_info(node, &info, error);
    if (rc < 0)
        return rc;
    abfs_dir_add_ids(dir, abfs_job_attempt_numbers(info), ABFS_NODE_JOB_ATTEMPT);
    json_object_put(info);
    return 0;
}

const AbfsNodeType abfs_node_job_attempts = {
    .getattr = attempts_getattr,
    .readdir = attempts_readdir,
};

/* ---- attempts/<n>/ ---- */

/* The attempt's AttemptRead (a new reference); ENOENT when the job has no such attempt. */
static int attempt_of(const AbfsNode *node, json_object **attempt, GError **error)
{
    json_object *info = NULL;
    int rc = job_info(node, &info, error);
    if (rc < 0)
        return rc;
    json_object *a = abfs_job_attempt(info, node->file);
    *attempt = a ? json_object_get(a) : NULL;
    json_object_put(info);
    if (!*attempt) {
        g_set_error(error, ABFS_ERROR, ENOENT, "job %s has no attempt %d", node->job, node->file);
        return -ENOENT;
    }
    return 0;
}

static int attempt_getattr(const AbfsNode *node, struct stat *st, GError **error)
{
    json_object *attempt = NULL;
    int rc = attempt_of(node, &attempt, error);
    json_object_put(attempt);
    if (rc == 0)
        abfs_stat_dir(st, 0555, abfs_fs()->mount_time);
    return rc;
}

static int attempt_readdir(const AbfsNode *node, AbfsDir *dir, GError **error)
{
    int rc = abfs_node_connection_exists(node, error);
    if (rc < 0)
        return rc;
    for (const char *const *f = abfs_attempt_file_names(); *f; f++)
        abfs_dir_add_kind(dir, *f, ABFS_NODE_JOB_ATTEMPT_FILE);
    return 0;
}

const AbfsNodeType abfs_node_job_attempt = {
    .getattr = attempt_getattr,
    .readdir = attempt_readdir,
};

/* ---- attempts/<n>/<file> ---- */

static gboolean is_log(const AbfsNode *node)
{
    return strcmp(node->job_file, "log") == 0;
}

static int attempt_file_read_text(const AbfsNode *node, char **text, GError **error)
{
    json_object *attempt = NULL;
    int rc = attempt_of(node, &attempt, error);
    if (rc < 0)
        return rc;
    *text = is_log(node) ? abfs_job_attempt_log(abfs_fs()->jobs, node->id, node->job, node->file, error)
                         : abfs_attempt_file(attempt, node->job_file);
    json_object_put(attempt);
    return *text ? 0 : -EIO;
}

static int attempt_file_open(const AbfsNode *node, int flags, AbfsHandle **handle, GError **error)
{
    if (abfs_open_wants_write(flags))
        return -EACCES;
    char *text = NULL;
    int rc = attempt_file_read_text(node, &text, error);
    if (rc < 0)
        return rc;
    /* a running attempt's log is read again at its end, so that tail -f sees new lines */
    *handle = abfs_handle_text(node->path, node, text, is_log(node));
    abfs_handle_set_direct_io(*handle); /* a running attempt's files grow and change */
    return 0;
}

const AbfsNodeType abfs_node_job_attempt_file = {
    .getattr = abfs_node_getattr_text,
    .open = attempt_file_open,
    .read_text = attempt_file_read_text,
};
