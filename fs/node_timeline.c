/* node_timeline.c — connections/<id>/timeline and timeline.json: what happened to the connection,
 * newest first (core's timeline.h). Read-only; fetched when stat'ed or opened (one request serves
 * both files for a second), never with a listing. */
#include "node.h"
#include "handles.h"

#include <errno.h>
#include <string.h>

#include "timeline.h"

static int timeline_read_text(const AbfsNode *node, char **text, GError **error)
{
    int rc = abfs_node_connection_exists(node, error);
    if (rc < 0)
        return rc;
    *text = abfs_timeline_read(abfs_fs()->timeline, node->id, node->file == 1, error);
    return *text ? 0 : -EIO;
}

static int timeline_getattr(const AbfsNode *node, struct stat *st, GError **error)
{
    int rc = abfs_node_connection_exists(node, error);
    if (rc < 0)
        return rc;
    /* Sized by reading it; if the Config API cannot say, the file still lists (size 0) and
     * opening it reports why (as state.json does). */
    char *text = NULL;
    timeline_read_text(node, &text, NULL);
    abfs_stat_file(st, 0444, text ? strlen(text) : 0, abfs_fs()->mount_time);
    g_free(text);
    return 0;
}

static int timeline_open(const AbfsNode *node, int flags, AbfsHandle **handle, GError **error)
{
    int rc = abfs_handle_open_text(node, flags, handle, error);
    if (rc == 0)
        abfs_handle_set_direct_io(*handle); /* it grows as things happen */
    return rc;
}

const AbfsNodeType abfs_node_timeline = {
    .getattr = timeline_getattr,
    .open = timeline_open,
    .read_text = timeline_read_text,
};
