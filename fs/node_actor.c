/* node_actor.c — sources/ and destinations/: one directory per actor with its files (`name` is
 * writable, the rest read-only, see actors.h) and `connections/`, links to the connections that use
 * it. The node's `file` says which kind (AbfsActorKind). */
#include "node.h"
#include "handles.h"

#include <errno.h>
#include <string.h>

#include "actors.h"

static AbfsActorKind kind_of(const AbfsNode *node)
{
    return (AbfsActorKind)node->file;
}

static int actor_exists(const AbfsNode *node, GError **error)
{
    return abfs_actor_exists(abfs_fs()->actors, kind_of(node), node->id, error) ? 0 : -ENOENT;
}

/* Connections that use the actor (newly allocated list of ids). */
static GPtrArray *connections_of(const AbfsNode *node, GError **error)
{
    AbfsSnapshot *snap = abfs_store_snapshot(abfs_fs()->store, error);
    if (!snap)
        return NULL;
    GPtrArray *ids = g_ptr_array_new_with_free_func(g_free);
    AbfsEntryField key = kind_of(node) == ABFS_ACTOR_SOURCE ? ABFS_ENTRY_SOURCE_ID : ABFS_ENTRY_DESTINATION_ID;
    for (guint i = 0; i < abfs_snapshot_count(snap); i++) {
        const char *cid = abfs_snapshot_id(snap, i);
        if (g_strcmp0(abfs_entry_field(abfs_snapshot_lookup(snap, cid), key), node->id) == 0)
            g_ptr_array_add(ids, g_strdup(cid));
    }
    abfs_snapshot_unref(snap);
    return ids;
}

/* ---- sources/, destinations/ ---- */

static int actors_getattr(const AbfsNode *node, struct stat *st, GError **error)
{
    (void)node;
    (void)error;
    abfs_stat_dir(st, 0555, abfs_fs()->mount_time);
    return 0;
}

static int actors_readdir(const AbfsNode *node, AbfsDir *dir, GError **error)
{
    GPtrArray *ids = abfs_actors_list(abfs_fs()->actors, kind_of(node), error);
    if (!ids)
        return -EIO;
    abfs_dir_add_ids(dir, ids, ABFS_NODE_ACTOR);
    return 0;
}

const AbfsNodeType abfs_node_actors = {
    .getattr = actors_getattr,
    .readdir = actors_readdir,
};

/* ---- sources/<id>/ ---- */

static int actor_getattr(const AbfsNode *node, struct stat *st, GError **error)
{
    int rc = actor_exists(node, error);
    /* an actor's directory takes editors' temporary files (sed -i on `name`) */
    if (rc == 0)
        abfs_stat_dir(st, node->kind == ABFS_NODE_ACTOR ? 0755 : 0555, abfs_fs()->mount_time);
    return rc;
}

static int actor_readdir(const AbfsNode *node, AbfsDir *dir, GError **error)
{
    int rc = actor_exists(node, error);
    if (rc < 0)
        return rc;
    for (const char *const *f = abfs_actor_files(); *f; f++)
        abfs_dir_add_kind(dir, *f, ABFS_NODE_ACTOR_FILE);
    abfs_dir_add_kind(dir, "connections", ABFS_NODE_ACTOR_CONNECTIONS);
    abfs_dir_add_scratches(dir, node->path);
    return 0;
}

static int actor_getxattr(const AbfsNode *node, const char *name, char **value, GError **error)
{
    int rc = actor_exists(node, error);
    return rc < 0 ? rc
                  : abfs_node_id_url_xattr(name, node->id, abfs_actor_url(abfs_fs()->actors, kind_of(node), node->id),
                                           value);
}

const AbfsNodeType abfs_node_actor = {
    .getattr = actor_getattr,
    .readdir = actor_readdir,
    .getxattr = actor_getxattr,
};

/* ---- sources/<id>/<file> ---- */

static int file_read_text(const AbfsNode *node, char **text, GError **error)
{
    *text = abfs_actor_file(abfs_fs()->actors, kind_of(node), node->id, node->leaf, error);
    return *text ? 0 : -ENOENT;
}

static int file_getattr(const AbfsNode *node, struct stat *st, GError **error)
{
    char *text = NULL;
    int rc = file_read_text(node, &text, error);
    if (rc == 0)
        abfs_stat_file(st, abfs_actor_file_writable(node->leaf) ? 0644 : 0444, strlen(text), abfs_fs()->mount_time);
    g_free(text);
    return rc;
}

static int file_open(const AbfsNode *node, int flags, AbfsHandle **handle, GError **error)
{
    gboolean write = abfs_open_wants_write(flags);
    if (write && !abfs_actor_file_writable(node->leaf))
        return -EACCES;
    char *text = NULL;
    int rc = file_read_text(node, &text, error);
    if (rc < 0)
        return rc;
    if (write) {
        *handle = abfs_handle_buffer(node->path, node, (flags & O_TRUNC) ? NULL : text, NULL);
        g_free(text);
    } else
        *handle = abfs_handle_text(node->path, node, text, FALSE);
    return 0;
}

static int file_commit(const AbfsNode *node, AbfsEntry *base, const char *text, gsize len, GError **error)
{
    (void)base;
    if (!abfs_actor_file_writable(node->leaf))
        return -EACCES;
    if (!abfs_actor_rename(abfs_fs()->actors, kind_of(node), node->id, text, len, error))
        return -EIO;
    abfs_invalidate_later(node->path);
    return 0;
}

static gboolean file_writable(const AbfsNode *node)
{
    return abfs_actor_file_writable(node->leaf); /* name */
}

static int file_truncate(const AbfsNode *node, off_t size, GError **error)
{
    (void)size;
    (void)error;
    return abfs_actor_file_writable(node->leaf) ? 0 : -EACCES; /* a truncate alone is never sent */
}

const AbfsNodeType abfs_node_actor_file = {
    .getattr = file_getattr,
    .open = file_open,
    .read_text = file_read_text,
    .commit = file_commit,
    .one_line = file_writable, /* the only writable file, name, is one line */
    .writable = file_writable,
    .truncate = file_truncate,
};

/* ---- sources/<id>/connections/ and its links ---- */

static int actor_connections_readdir(const AbfsNode *node, AbfsDir *dir, GError **error)
{
    int rc = actor_exists(node, error);
    if (rc < 0)
        return rc;
    GPtrArray *ids = connections_of(node, error);
    if (!ids)
        return -EIO;
    abfs_dir_add_ids(dir, ids, ABFS_NODE_ACTOR_CONNECTION_LINK);
    return 0;
}

const AbfsNodeType abfs_node_actor_connections = {
    .getattr = actor_getattr,
    .readdir = actor_connections_readdir,
};

static int link_readlink(const AbfsNode *node, char **target, GError **error)
{
    GPtrArray *ids = connections_of(node, error);
    if (!ids)
        return -EIO;
    gboolean found = FALSE;
    for (guint i = 0; i < ids->len && !found; i++)
        found = strcmp(g_ptr_array_index(ids, i), node->leaf) == 0;
    g_ptr_array_free(ids, TRUE);
    if (!found)
        return -ENOENT;
    *target = g_strconcat("../../../connections/", node->leaf, NULL);
    return 0;
}

const AbfsNodeType abfs_node_actor_connection_link = {
    .getattr = abfs_node_getattr_link,
    .readlink = link_readlink,
};
