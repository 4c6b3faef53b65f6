/* node_wsjobs.c — jobs/ at the mount's root: the workspace's newest jobs as links into their
 * connection's jobs/ (core's wsjobs.h), running/ and failed/ (links to the active job of each
 * connection and to each connection's failed last sync, from the health report), and running.log:
 * the logs of every running job, each line prefixed with its connection's name (runlog.h), which
 * `tail -f` follows and a plain read reads to its end without ever waiting for a job. */
#include "node.h"
#include "handles.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "health.h"
#include "runlog.h"
#include "wsjobs.h"

static int dir_getattr(const AbfsNode *node, struct stat *st, GError **error)
{
    (void)node;
    (void)error;
    abfs_stat_dir(st, 0555, abfs_fs()->mount_time);
    return 0;
}

/* ---- jobs/ ---- */

static int wsjobs_readdir(const AbfsNode *node, AbfsDir *dir, GError **error)
{
    (void)node;
    AbfsFs *fs = abfs_fs();
    GPtrArray *jobs = abfs_wsjobs_recent(fs->wsjobs, error);
    if (!jobs)
        return -EIO;
    AbfsSnapshot *snap = abfs_store_snapshot(fs->store, error);
    if (!snap) {
        g_ptr_array_unref(jobs);
        return -EIO;
    }
    guint n;
    const AbfsTreeName *fixed = abfs_tree_names(ABFS_NODE_WSJOBS, &n);
    gboolean full = FALSE;
    for (guint i = 0; i < n && !full; i++)
        full = abfs_dir_add_kind(dir, fixed[i].name, fixed[i].kind);
    for (guint i = 0; i < jobs->len && !full; i++) {
        AbfsWsJob *job = g_ptr_array_index(jobs, i);
        if (abfs_snapshot_lookup(snap, job->connection)) /* a deleted connection's job has no directory */
            full = abfs_dir_add_kind(dir, job->job, ABFS_NODE_WSJOBS_LINK);
    }
    abfs_snapshot_unref(snap);
    g_ptr_array_unref(jobs);
    return 0;
}

const AbfsNodeType abfs_node_wsjobs = {
    .getattr = dir_getattr,
    .readdir = wsjobs_readdir,
};

/* ---- jobs/<job> ---- */

static int wsjob_readlink(const AbfsNode *node, char **target, GError **error)
{
    char *connection = abfs_wsjobs_connection_of(abfs_fs()->wsjobs, node->job, error);
    if (!connection)
        return error && *error && (*error)->code > 0 ? -(*error)->code : -ENOENT;
    *target = g_strdup_printf("../connections/%s/jobs/%s", connection, node->job);
    g_free(connection);
    return 0;
}

const AbfsNodeType abfs_node_wsjobs_link = {
    .getattr = abfs_node_getattr_link,
    .readlink = wsjob_readlink,
};

/* ---- jobs/running/, jobs/failed/ ---- */

static gint newest_first(gconstpointer a, gconstpointer b)
{
    gint64 x = g_ascii_strtoll(a, NULL, 10), y = g_ascii_strtoll(b, NULL, 10);
    return x < y ? 1 : x > y ? -1 : 0;
}

static int set_readdir(const AbfsNode *node, AbfsDir *dir, GError **error)
{
    AbfsHealthReport *report = abfs_health_report(abfs_fs()->health, error);
    if (!report)
        return -EIO;
    GList *ids = g_list_sort(g_hash_table_get_keys(abfs_health_jobs(report, node->file == 1)), newest_first);
    for (GList *l = ids; l; l = l->next)
        if (abfs_dir_add_kind(dir, l->data, ABFS_NODE_WSJOBS_SET_LINK))
            break;
    g_list_free(ids);
    abfs_health_report_unref(report);
    return 0;
}

const AbfsNodeType abfs_node_wsjobs_set = {
    .getattr = dir_getattr,
    .readdir = set_readdir,
};

static int set_link_readlink(const AbfsNode *node, char **target, GError **error)
{
    AbfsHealthReport *report = abfs_health_report(abfs_fs()->health, error);
    if (!report)
        return -EIO;
    const char *connection = g_hash_table_lookup(abfs_health_jobs(report, node->file == 1), node->job);
    if (connection)
        *target = g_strdup_printf("../../connections/%s/jobs/%s", connection, node->job);
    abfs_health_report_unref(report);
    return connection ? 0 : -ENOENT;
}

const AbfsNodeType abfs_node_wsjobs_set_link = {
    .getattr = abfs_node_getattr_link,
    .readlink = set_link_readlink,
};

/* ---- jobs/running.log ---- */

static char *read_job_log(const char *connection_id, const char *job_id, gpointer data, GError **error)
{
    (void)data;
    return abfs_job_file(abfs_fs()->jobs, connection_id, job_id, "log", error);
}

static int running_log_read_text(const AbfsNode *node, char **text, GError **error)
{
    (void)node;
    AbfsFs *fs = abfs_fs();
    AbfsHealthReport *report = abfs_health_report(fs->health, error);
    if (!report)
        return -EIO;
    AbfsSnapshot *snap = abfs_store_snapshot(fs->store, NULL); /* without it, ids name the lines */
    GHashTable *running = abfs_health_jobs(report, FALSE);
    GArray *jobs = g_array_new(FALSE, TRUE, sizeof(AbfsRunLogJob));
    GHashTableIter it;
    gpointer job, connection;
    g_hash_table_iter_init(&it, running);
    while (g_hash_table_iter_next(&it, &job, &connection)) {
        AbfsEntry *entry = snap ? abfs_snapshot_lookup(snap, connection) : NULL;
        AbfsRunLogJob j = {job, connection, entry ? abfs_entry_field(entry, ABFS_ENTRY_NAME) : NULL};
        g_array_append_val(jobs, j);
    }
    *text = abfs_runlog_update(fs->runlog, (AbfsRunLogJob *)(void *)jobs->data, jobs->len, read_job_log, NULL);
    g_array_unref(jobs);
    if (snap)
        abfs_snapshot_unref(snap);
    abfs_health_report_unref(report);
    return 0;
}

static int running_log_open(const AbfsNode *node, int flags, AbfsHandle **handle, GError **error)
{
    if (abfs_open_wants_write(flags))
        return -EACCES;
    char *text = NULL;
    int rc = running_log_read_text(node, &text, error);
    if (rc < 0)
        return rc;
    *handle = abfs_handle_text(node->path, node, text, TRUE); /* read again at its end: tail -f */
    abfs_handle_set_direct_io(*handle);
    return 0;
}

const AbfsNodeType abfs_node_running_log = {
    .getattr = abfs_node_getattr_text,
    .open = running_log_open,
    .read_text = running_log_read_text,
};
