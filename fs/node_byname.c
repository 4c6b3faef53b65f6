/* node_byname.c — by-name/: one symbolic link per connection, named after it (safe and distinct
 * names, names.h), pointing to connections/<id>. */
#include "node.h"

#include <errno.h>
#include <string.h>

static int by_name_getattr(const AbfsNode *node, struct stat *st, GError **error)
{
    (void)node;
    (void)error;
    abfs_stat_dir(st, 0555, abfs_fs()->mount_time);
    return 0;
}

static int by_name_readdir(const AbfsNode *node, AbfsDir *dir, GError **error)
{
    (void)node;
    AbfsSnapshot *snap = abfs_store_snapshot(abfs_fs()->store, error);
    if (!snap)
        return -EIO;
    GList *names = g_list_sort(g_hash_table_get_keys(abfs_snapshot_by_name(snap)), (GCompareFunc)strcmp);
    for (GList *l = names; l; l = l->next)
        abfs_dir_add_kind(dir, l->data, ABFS_NODE_BY_NAME_LINK);
    g_list_free(names);
    abfs_snapshot_unref(snap);
    return 0;
}

const AbfsNodeType abfs_node_by_name = {
    .getattr = by_name_getattr,
    .readdir = by_name_readdir,
};

static int link_readlink(const AbfsNode *node, char **target, GError **error)
{
    AbfsSnapshot *snap = abfs_store_snapshot(abfs_fs()->store, error);
    if (!snap)
        return -EIO;
    const char *id = g_hash_table_lookup(abfs_snapshot_by_name(snap), node->leaf);
    if (id)
        *target = g_strconcat("../connections/", id, NULL);
    abfs_snapshot_unref(snap);
    return id ? 0 : -ENOENT;
}

const AbfsNodeType abfs_node_by_name_link = {
    .getattr = abfs_node_getattr_link,
    .readlink = link_readlink,
};
