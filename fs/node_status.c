/* node_status.c — status/: one directory per health word (health.h) holding a link per connection
 * in that state, named as in by-name/ (names.h) and pointing to connections/<id>, and `summary`
 * (how many are in each state, and when that was computed). Everything comes from one health
 * report, so listing every directory costs one report per TTL. */
#include "node.h"
#include "handles.h"

#include <errno.h>
#include <string.h>

#include "health.h"

static const char *word_of(const AbfsNode *node)
{
    return abfs_health_words()[node->file];
}

static int dir_getattr(const AbfsNode *node, struct stat *st, GError **error)
{
    (void)node;
    (void)error;
    abfs_stat_dir(st, 0555, abfs_fs()->mount_time);
    return 0;
}

/* ---- status/ ---- */

static int status_readdir(const AbfsNode *node, AbfsDir *dir, GError **error)
{
    (void)node;
    (void)error;
    guint n;
    const AbfsTreeName *fixed = abfs_tree_names(ABFS_NODE_STATUS, &n);
    for (guint i = 0; i < n; i++)
        abfs_dir_add_kind(dir, fixed[i].name, fixed[i].kind);
    for (const char *const *w = abfs_health_words(); *w; w++)
        if (abfs_dir_add_kind(dir, *w, ABFS_NODE_STATUS_DIR))
            break;
    return 0;
}

const AbfsNodeType abfs_node_status = {
    .getattr = dir_getattr,
    .readdir = status_readdir,
};

/* ---- status/summary ---- */

static int summary_read_text(const AbfsNode *node, char **text, GError **error)
{
    (void)node;
    AbfsHealthReport *report = abfs_health_report(abfs_fs()->health, error);
    if (!report)
        return -EIO;
    *text = abfs_health_summary_text(report);
    abfs_health_report_unref(report);
    return 0;
}

static int summary_open(const AbfsNode *node, int flags, AbfsHandle **handle, GError **error)
{
    int rc = abfs_handle_open_text(node, flags, handle, error);
    if (rc == 0)
        abfs_handle_set_direct_io(*handle);
    return rc;
}

const AbfsNodeType abfs_node_status_summary = {
    .getattr = abfs_node_getattr_text,
    .open = summary_open,
    .read_text = summary_read_text,
};

/* ---- status/<word>/ ---- */

static int word_readdir(const AbfsNode *node, AbfsDir *dir, GError **error)
{
    AbfsFs *fs = abfs_fs();
    AbfsHealthReport *report = abfs_health_report(fs->health, error);
    if (!report)
        return -EIO;
    AbfsSnapshot *snap = abfs_store_snapshot(fs->store, error);
    if (!snap) {
        abfs_health_report_unref(report);
        return -EIO;
    }
    GHashTable *by_name = abfs_snapshot_by_name(snap);
    GList *names = g_list_sort(g_hash_table_get_keys(by_name), (GCompareFunc)strcmp);
    for (GList *l = names; l; l = l->next)
        if (strcmp(abfs_health_of(report, g_hash_table_lookup(by_name, l->data)), word_of(node)) == 0 &&
            abfs_dir_add_kind(dir, l->data, ABFS_NODE_STATUS_LINK))
            break;
    g_list_free(names);
    abfs_snapshot_unref(snap);
    abfs_health_report_unref(report);
    return 0;
}

const AbfsNodeType abfs_node_status_dir = {
    .getattr = dir_getattr,
    .readdir = word_readdir,
};

/* ---- status/<word>/<name> ---- */

static int link_readlink(const AbfsNode *node, char **target, GError **error)
{
    AbfsFs *fs = abfs_fs();
    AbfsHealthReport *report = abfs_health_report(fs->health, error);
    if (!report)
        return -EIO;
    AbfsSnapshot *snap = abfs_store_snapshot(fs->store, error);
    if (!snap) {
        abfs_health_report_unref(report);
        return -EIO;
    }
    const char *id = g_hash_table_lookup(abfs_snapshot_by_name(snap), node->leaf);
    gboolean here = id && strcmp(abfs_health_of(report, id), word_of(node)) == 0;
    if (here)
        *target = g_strconcat("../../connections/", id, NULL);
    abfs_snapshot_unref(snap);
    abfs_health_report_unref(report);
    return here ? 0 : -ENOENT;
}

const AbfsNodeType abfs_node_status_link = {
    .getattr = abfs_node_getattr_link,
    .readlink = link_readlink,
};
