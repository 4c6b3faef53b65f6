/* node_artifact.c — connections/<id>/state.json and catalog.json: what Airbyte keeps for a
 * connection besides its settings, read and written through the Config API (artifacts.h). Their
 * content is fetched when they are stat'ed or opened, never with the listing, and kept for the
 * TTL (a stat then an open, or a second walk, cost one request). */
#include "node.h"
#include "handles.h"

#include <errno.h>
#include <string.h>

#include "artifacts.h"

static int artifact_read_text(const AbfsNode *node, char **text, GError **error)
{
    int rc = abfs_node_connection_exists(node, error);
    if (rc < 0)
        return rc;
    *text = abfs_artifacts_text(abfs_fs()->artifacts, node->id, (AbfsArtifact)node->file, error);
    return *text ? 0 : -EIO;
}

static int artifact_getattr(const AbfsNode *node, struct stat *st, GError **error)
{
    int rc = abfs_node_connection_exists(node, error);
    if (rc < 0)
        return rc;
    /* Sized by reading it; if the Config API cannot say, the file still lists (size 0) and
     * opening it reports why. */
    char *text = abfs_artifacts_text(abfs_fs()->artifacts, node->id, (AbfsArtifact)node->file, NULL);
    abfs_stat_file(st, 0644, text ? strlen(text) : 0, abfs_fs()->mount_time);
    g_free(text);
    return 0;
}

static int artifact_open(const AbfsNode *node, int flags, AbfsHandle **handle, GError **error)
{
    int rc = abfs_node_connection_exists(node, error);
    if (rc < 0)
        return rc;
    if (!abfs_open_wants_write(flags)) {
        char *text = NULL;
        rc = artifact_read_text(node, &text, error);
        if (rc == 0) {
            *handle = abfs_handle_text(node->path, node, text, FALSE);
            abfs_handle_set_direct_io(*handle);
        }
        return rc;
    }
    /* A writer that does not truncate starts from the current text, when it can be read. */
    char *text =
        (flags & O_TRUNC) ? NULL : abfs_artifacts_text(abfs_fs()->artifacts, node->id, (AbfsArtifact)node->file, NULL);
    *handle = abfs_handle_buffer(node->path, node, text, NULL);
    g_free(text);
    abfs_handle_set_direct_io(*handle);
    return 0;
}

static int artifact_commit(const AbfsNode *node, AbfsEntry *base, const char *text, gsize len, GError **error)
{
    (void)base;
    AbfsFs *fs = abfs_fs();
    if (!abfs_artifacts_write(fs->artifacts, node->id, (AbfsArtifact)node->file, text, len, error))
        return -EIO;
    if (node->file == ABFS_ARTIFACT_CATALOG)
        abfs_store_invalidate(fs->store); /* the catalog is the connection's streams */
    abfs_invalidate_later(node->path);
    return 0;
}

static gboolean artifact_writable(const AbfsNode *node)
{
    (void)node;
    return TRUE;
}

static int artifact_truncate(const AbfsNode *node, off_t size, GError **error)
{
    (void)node;
    (void)size;
    (void)error;
    return 0; /* as for settings: a truncate alone is never sent */
}

const AbfsNodeType abfs_node_artifact = {
    .getattr = artifact_getattr,
    .open = artifact_open,
    .read_text = artifact_read_text,
    .commit = artifact_commit,
    .writable = artifact_writable,
    .truncate = artifact_truncate,
};
