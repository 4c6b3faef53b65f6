/* jobs_ops.c — the jobs part of a connection directory: `run`, `jobs/` (recent jobs, `latest`,
 * `url`) and each job's files, over core's jobs module (jobs.h). */
#include "fs.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "connection_files.h"
#include "jobs.h"

char *abfs_jobs_url_text(const char *connection_id)
{
    char *url = abfs_connection_url(abfs_store_render_context(abfs_fs()->store), connection_id);
    char *text = g_strconcat(url, "/timeline\n", NULL);
    g_free(url);
    return text;
}

/* The newest job id of a connection, or NULL (ENOENT when there is none). */
static char *latest_job(const char *path, const char *connection_id, int *rc)
{
    GError *err = NULL;
    GPtrArray *ids = abfs_jobs_recent(abfs_fs()->jobs, connection_id, &err);
    if (!ids) {
        *rc = abfs_fs_fail(err, path);
        return NULL;
    }
    char *id = ids->len ? g_strdup(g_ptr_array_index(ids, 0)) : NULL;
    g_ptr_array_free(ids, TRUE);
    *rc = id ? 0 : -ENOENT;
    return id;
}

char *abfs_job_node_content(const char *path, const AbfsNode *node, int *rc)
{
    GError *err = NULL;
    char *text = abfs_job_file(abfs_fs()->jobs, node->id, node->job, node->job_file, &err);
    *rc = text ? 0 : abfs_fs_fail(err, path);
    return text;
}

int abfs_jobs_getattr(const char *path, const AbfsNode *node, struct stat *st)
{
    AbfsFs *fs = abfs_fs();
    if (!abfs_fs_parent_exists(node))
        return -ENOENT;
    int rc = 0;
    switch (node->kind) {
    case ABFS_NODE_RUN:
        abfs_fill_stat(st, S_IFREG | 0200, 0, fs->mount_time);
        return 0;
    case ABFS_NODE_JOBS:
        abfs_fill_stat(st, S_IFDIR | 0555, 0, fs->mount_time);
        return 0;
    case ABFS_NODE_JOBS_URL: {
        char *text = abfs_jobs_url_text(node->id);
        abfs_fill_stat(st, S_IFREG | 0444, strlen(text), fs->mount_time);
        g_free(text);
        return 0;
    }
    case ABFS_NODE_JOBS_LATEST: {
        char *id = latest_job(path, node->id, &rc);
        if (id)
            abfs_fill_stat(st, S_IFLNK | 0777, strlen(id), fs->mount_time);
        g_free(id);
        return rc;
    }
    case ABFS_NODE_JOB: {
        GError *err = NULL;
        char *json = abfs_job_json_text(fs->jobs, node->id, node->job, &err);
        if (!json)
            return abfs_fs_fail(err, path);
        g_free(json);
        abfs_fill_stat(st, S_IFDIR | 0555, 0, fs->mount_time);
        return 0;
    }
    case ABFS_NODE_JOB_FILE:
        if (strcmp(node->job_file, "cancel") == 0 || strcmp(node->job_file, "wait") == 0) {
            GError *err = NULL;
            char *json = abfs_job_json_text(fs->jobs, node->id, node->job, &err);
            if (!json)
                return abfs_fs_fail(err, path);
            g_free(json);
            /* wait's size is unknown until the job ends: it is read with direct I/O. */
            abfs_fill_stat(st, S_IFREG | (node->job_file[0] == 'c' ? 0200 : 0444), 0, fs->mount_time);
            return 0;
        } else {
            char *text = abfs_job_node_content(path, node, &rc);
            if (text)
                abfs_fill_stat(st, S_IFREG | 0444, strlen(text), fs->mount_time);
            g_free(text);
            return rc;
        }
    default:
        return -ENOENT;
    }
}

int abfs_jobs_readdir(const char *path, const AbfsNode *node, void *buf, fuse_fill_dir_t fill)
{
    if (!abfs_fs_parent_exists(node))
        return -ENOENT;
    if (node->kind == ABFS_NODE_JOB) {
        static const char *const files[] = {"status", "type", "started_at", "updated_at", "duration",
                                            "bytes_synced", "rows_synced", "job.json", "log", "cancel", "wait"};
        for (gsize i = 0; i < G_N_ELEMENTS(files); i++)
            fill(buf, files[i], NULL, 0, 0);
        return 0;
    }
    GError *err = NULL;
    GPtrArray *ids = abfs_jobs_recent(abfs_fs()->jobs, node->id, &err);
    if (!ids)
        return abfs_fs_fail(err, path);
    fill(buf, "url", NULL, 0, 0);
    if (ids->len)
        fill(buf, "latest", NULL, 0, 0);
    for (guint i = 0; i < ids->len; i++)
        fill(buf, g_ptr_array_index(ids, i), NULL, 0, 0);
    g_ptr_array_free(ids, TRUE);
    return 0;
}

int abfs_op_readlink(const char *path, char *buf, size_t size)
{
    AbfsNode node;
    if (!abfs_tree_parse(path, &node))
        return -ENOENT;
    int rc;
    if (node.kind != ABFS_NODE_JOBS_LATEST) {
        if (node.kind == ABFS_NODE_CONNECTION_LINK && !abfs_fs_parent_exists(&node))
            return -ENOENT;
        char *target = abfs_link_target(path, &node, &rc);
        if (!target)
            return rc;
        g_strlcpy(buf, target, size);
        g_free(target);
        return 0;
    }
    char *id = latest_job(path, node.id, &rc);
    if (!id)
        return rc;
    g_strlcpy(buf, id, size);
    g_free(id);
    return 0;
}
