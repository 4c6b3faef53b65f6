/* node_tags.c — tags/: one directory per tag of the workspace (core's tags.h). mkdir creates a tag,
 * rmdir deletes one no connection carries, mv renames one; tags/<name>/color is its color (one
 * line, read/write) and tags/<name>/connections/ links to the connections that carry it, named as
 * in by-name/. A connection's own tags are its `tags` file and the "tags" of its settings.json. */
#include "node.h"
#include "handles.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "json_util.h"
#include "names.h"
#include "text.h"

/* The tag whose listed (safe) name is leaf: a new reference, or NULL with ENOENT. */
static json_object *tag_listed_as(const char *leaf, GError **error)
{
    GHashTable *tags = abfs_tags_by_name(abfs_fs()->tags, error);
    if (!tags)
        return NULL;
    json_object *found = NULL;
    GHashTableIter it;
    gpointer name, tag;
    g_hash_table_iter_init(&it, tags);
    while (!found && g_hash_table_iter_next(&it, &name, &tag)) {
        char *safe = abfs_safe_name(name);
        if (strcmp(safe, leaf) == 0)
            found = json_object_get(tag);
        g_free(safe);
    }
    g_hash_table_destroy(tags);
    if (!found)
        g_set_error(error, ABFS_ERROR, ENOENT, "no tag named %s", leaf);
    return found;
}

/* Whether the entry's connection carries tag_id. */
static gboolean carries(AbfsEntry *e, const char *tag_id)
{
    char **ids = g_strsplit(abfs_entry_field(e, ABFS_ENTRY_TAG_IDS), " ", -1);
    gboolean found = g_strv_contains((const char *const *)ids, tag_id);
    g_strfreev(ids);
    return found;
}

/* What changed after a tag changed: the tags, and how every connection shows its tags. */
static void tags_changed(void)
{
    abfs_store_invalidate(abfs_fs()->store);
    abfs_invalidate_later("/tags");
    abfs_invalidate_later("/connections");
    abfs_invalidate_later("/settings");
}

static gint compare_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int dir_getattr(const AbfsNode *node, struct stat *st, GError **error)
{
    (void)node;
    (void)error;
    /* writable so that mkdir, rmdir and mv of a tag reach airbytefs */
    abfs_stat_dir(st, 0755, abfs_fs()->mount_time);
    return 0;
}

/* ---- tags/ ---- */

static int tags_readdir(const AbfsNode *node, AbfsDir *dir, GError **error)
{
    (void)node;
    GHashTable *tags = abfs_tags_by_name(abfs_fs()->tags, error);
    if (!tags)
        return -EIO;
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    GHashTableIter it;
    gpointer name;
    g_hash_table_iter_init(&it, tags);
    while (g_hash_table_iter_next(&it, &name, NULL))
        g_ptr_array_add(names, abfs_safe_name(name));
    g_hash_table_destroy(tags);
    g_ptr_array_sort(names, compare_names);
    abfs_dir_add_ids(dir, names, ABFS_NODE_TAG);
    return 0;
}

static int tags_mkdir(const AbfsNode *dir, const char *name, mode_t mode, GError **error)
{
    (void)dir;
    (void)mode;
    if (!abfs_tag_create(abfs_fs()->tags, name, ABFS_TAG_DEFAULT_COLOR, error))
        return -EIO;
    abfs_invalidate_later("/tags");
    return 0;
}

const AbfsNodeType abfs_node_tags = {
    .getattr = dir_getattr,
    .readdir = tags_readdir,
    .mkdir = tags_mkdir,
};

/* ---- tags/<name>/ ---- */

static int tag_getattr(const AbfsNode *node, struct stat *st, GError **error)
{
    json_object *tag = tag_listed_as(node->leaf, error);
    if (!tag)
        return -ENOENT;
    json_object_put(tag);
    return dir_getattr(node, st, error);
}

static int tag_readdir(const AbfsNode *node, AbfsDir *dir, GError **error)
{
    json_object *tag = tag_listed_as(node->leaf, error);
    if (!tag)
        return -ENOENT;
    json_object_put(tag);
    if (!abfs_dir_add_kind(dir, "color", ABFS_NODE_TAG_COLOR))
        abfs_dir_add_kind(dir, "connections", ABFS_NODE_TAG_CONNECTIONS);
    return 0;
}

/* rmdir: deletes the tag, unless a connection carries it (a fresh listing says). */
static int tag_rmdir(const AbfsNode *node, GError **error)
{
    AbfsFs *fs = abfs_fs();
    json_object *tag = tag_listed_as(node->leaf, error);
    if (!tag)
        return -ENOENT;
    abfs_store_invalidate(fs->store);
    AbfsSnapshot *snap = abfs_store_snapshot(fs->store, error);
    int rc = snap ? 0 : -EIO;
    guint users = 0;
    for (guint i = 0; snap && i < abfs_snapshot_count(snap); i++)
        users += carries(abfs_snapshot_lookup(snap, abfs_snapshot_id(snap, i)), abfs_json_string(tag, "tagId"));
    if (snap)
        abfs_snapshot_unref(snap);
    if (rc == 0 && users > 0) {
        g_set_error(error, ABFS_ERROR, ENOTEMPTY,
                    "tag %s is on %u connection%s (tags/%s/connections/): take it off them first", node->leaf, users,
                    users == 1 ? "" : "s", node->leaf);
        rc = -ENOTEMPTY;
    } else if (rc == 0 && !abfs_tag_delete(fs->tags, abfs_json_string(tag, "name"), error))
        rc = -EIO;
    json_object_put(tag);
    if (rc == 0)
        tags_changed();
    return rc;
}

/* mv tags/A tags/B: renames the tag. */
static int tag_rename(const AbfsNode *src, const AbfsNode *dst, unsigned int flags, GError **error)
{
    if (dst->kind != ABFS_NODE_TAG || (flags & RENAME_EXCHANGE))
        return -EPERM;
    json_object *tag = tag_listed_as(src->leaf, error);
    if (!tag)
        return -ENOENT;
    int rc = abfs_tag_update(abfs_fs()->tags, abfs_json_string(tag, "name"), dst->leaf, NULL, error) ? 0 : -EIO;
    json_object_put(tag);
    if (rc == 0)
        tags_changed();
    return rc;
}

const AbfsNodeType abfs_node_tag = {
    .getattr = tag_getattr,
    .readdir = tag_readdir,
    .rmdir = tag_rmdir,
    .rename = tag_rename,
};

/* ---- tags/<name>/color ---- */

static int color_read_text(const AbfsNode *node, char **text, GError **error)
{
    json_object *tag = tag_listed_as(node->leaf, error);
    if (!tag)
        return -ENOENT;
    *text = abfs_text_line(abfs_json_string(tag, "color"));
    json_object_put(tag);
    return 0;
}

static int color_getattr(const AbfsNode *node, struct stat *st, GError **error)
{
    char *text = NULL;
    int rc = color_read_text(node, &text, error);
    if (rc == 0)
        abfs_stat_file(st, 0644, strlen(text), abfs_fs()->mount_time);
    g_free(text);
    return rc;
}

static int color_open(const AbfsNode *node, int flags, AbfsHandle **handle, GError **error)
{
    char *text = NULL;
    int rc = color_read_text(node, &text, error);
    if (rc < 0)
        return rc;
    if (abfs_open_wants_write(flags)) {
        *handle = abfs_handle_buffer(node->path, node, (flags & O_TRUNC) ? NULL : text, NULL);
        g_free(text);
    } else
        *handle = abfs_handle_text(node->path, node, text, FALSE);
    return 0;
}

static int color_create(const AbfsNode *node, mode_t mode, int flags, AbfsHandle **handle, GError **error)
{
    (void)mode;
    return color_open(node, flags | O_TRUNC, handle, error); /* the file exists: a rewrite */
}

static int color_commit(const AbfsNode *node, AbfsEntry *base, const char *text, gsize len, GError **error)
{
    (void)base;
    char *value = g_strndup(text, len);
    gsize n = len;
    abfs_strip_one_newline(value, &n);
    g_strstrip(value);
    json_object *tag = tag_listed_as(node->leaf, error);
    int rc = tag ? 0 : -ENOENT;
    if (tag && !abfs_tag_update(abfs_fs()->tags, abfs_json_string(tag, "name"), NULL, value, error))
        rc = -EIO;
    json_object_put(tag);
    g_free(value);
    if (rc == 0) {
        abfs_invalidate_later(node->path);
        abfs_store_invalidate(abfs_fs()->store); /* connection.json shows the tag's color */
    }
    return rc;
}

static gboolean color_yes(const AbfsNode *node)
{
    (void)node;
    return TRUE;
}

static int color_truncate(const AbfsNode *node, off_t size, GError **error)
{
    (void)node;
    (void)size;
    (void)error;
    return 0; /* without an open file there is nothing to commit */
}

const AbfsNodeType abfs_node_tag_color = {
    .getattr = color_getattr,
    .open = color_open,
    .create = color_create,
    .read_text = color_read_text,
    .commit = color_commit,
    .one_line = color_yes,
    .writable = color_yes,
    .truncate = color_truncate,
};

/* ---- tags/<name>/connections/ ---- */

static int tag_connections_readdir(const AbfsNode *node, AbfsDir *dir, GError **error)
{
    json_object *tag = tag_listed_as(node->leaf, error);
    if (!tag)
        return -ENOENT;
    AbfsSnapshot *snap = abfs_store_snapshot(abfs_fs()->store, error);
    if (!snap) {
        json_object_put(tag);
        return -EIO;
    }
    GHashTable *by_name = abfs_snapshot_by_name(snap);
    GPtrArray *links = g_ptr_array_new_with_free_func(g_free);
    GHashTableIter it;
    gpointer link, id;
    g_hash_table_iter_init(&it, by_name);
    while (g_hash_table_iter_next(&it, &link, &id)) {
        AbfsEntry *e = abfs_snapshot_lookup(snap, id);
        if (e && carries(e, abfs_json_string(tag, "tagId")))
            g_ptr_array_add(links, g_strdup(link));
    }
    g_ptr_array_sort(links, compare_names);
    abfs_dir_add_ids(dir, links, ABFS_NODE_TAG_CONNECTION_LINK);
    abfs_snapshot_unref(snap);
    json_object_put(tag);
    return 0;
}

const AbfsNodeType abfs_node_tag_connections = {
    .getattr = dir_getattr,
    .readdir = tag_connections_readdir,
};

static int tag_link_readlink(const AbfsNode *node, char **target, GError **error)
{
    json_object *tag = tag_listed_as(node->leaf, error);
    if (!tag)
        return -ENOENT;
    AbfsSnapshot *snap = abfs_store_snapshot(abfs_fs()->store, error);
    int rc = -ENOENT;
    if (snap) {
        const char *id = g_hash_table_lookup(abfs_snapshot_by_name(snap), node->sub);
        AbfsEntry *e = id ? abfs_snapshot_lookup(snap, id) : NULL;
        if (e && carries(e, abfs_json_string(tag, "tagId"))) {
            *target = g_strconcat("../../../connections/", id, NULL);
            rc = 0;
        }
        abfs_snapshot_unref(snap);
    } else
        rc = -EIO;
    json_object_put(tag);
    return rc;
}

const AbfsNodeType abfs_node_tag_connection_link = {
    .getattr = abfs_node_getattr_link,
    .readlink = tag_link_readlink,
};
