/* workspace_ops.c — the workspace-wide part of the tree: workspace.json and url at the root,
 * by-name/ links, sources/ and destinations/ with their files and the links between actors and
 * connections (tree.h). */
#include "fs.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "actors.h"
#include "json_util.h"
#include "names.h"
#include "resources.h"

char *abfs_workspace_url_text(void)
{
    AbfsFs *fs = abfs_fs();
    return g_strdup_printf("%s/workspaces/%s\n", fs->cfg->web_root, fs->cfg->workspace_id);
}

/* The connection id a by-name link stands for, or NULL. */
static char *by_name_lookup(const char *link, int *rc, const char *path)
{
    GError *err = NULL;
    AbfsSnapshot *snap = abfs_store_snapshot(abfs_fs()->store, &err);
    if (!snap) {
        *rc = abfs_fs_fail(err, path);
        return NULL;
    }
    char *id = g_strdup(g_hash_table_lookup(abfs_snapshot_by_name(snap), link));
    abfs_snapshot_unref(snap);
    *rc = id ? 0 : -ENOENT;
    return id;
}

/* The id of the source (file 0) or destination (1) of a connection, or NULL. */
static char *connection_actor(const char *connection_id, int which, int *rc, const char *path)
{
    GError *err = NULL;
    AbfsEntry *e = abfs_store_entry(abfs_fs()->store, connection_id, &err);
    if (!e) {
        *rc = abfs_fs_fail(err, path);
        return NULL;
    }
    char *id = g_strdup(abfs_entry_field(e, which == 0 ? ABFS_ENTRY_SOURCE_ID : ABFS_ENTRY_DESTINATION_ID));
    abfs_entry_unref(e);
    *rc = id ? 0 : -ENOENT;
    return id;
}

/* Connections that use actor id (newly allocated list of ids). */
static GPtrArray *connections_of_actor(AbfsActorKind kind, const char *id, int *rc, const char *path)
{
    GError *err = NULL;
    AbfsSnapshot *snap = abfs_store_snapshot(abfs_fs()->store, &err);
    if (!snap) {
        *rc = abfs_fs_fail(err, path);
        return NULL;
    }
    GPtrArray *ids = g_ptr_array_new_with_free_func(g_free);
    AbfsEntryField key = kind == ABFS_ACTOR_SOURCE ? ABFS_ENTRY_SOURCE_ID : ABFS_ENTRY_DESTINATION_ID;
    for (guint i = 0; i < abfs_snapshot_count(snap); i++) {
        const char *cid = abfs_snapshot_id(snap, i);
        if (g_strcmp0(abfs_entry_field(abfs_snapshot_lookup(snap, cid), key), id) == 0)
            g_ptr_array_add(ids, g_strdup(cid));
    }
    abfs_snapshot_unref(snap);
    *rc = 0;
    return ids;
}

char *abfs_link_target(const char *path, const AbfsNode *node, int *rc)
{
    char *id, *target = NULL;
    switch (node->kind) {
    case ABFS_NODE_BY_NAME_LINK:
        if ((id = by_name_lookup(node->leaf, rc, path)))
            target = g_strconcat("../connections/", id, NULL);
        break;
    case ABFS_NODE_CONNECTION_LINK:
        if ((id = connection_actor(node->id, node->file, rc, path)))
            target = g_strconcat(node->file == 0 ? "../../sources/" : "../../destinations/", id, NULL);
        break;
    case ABFS_NODE_ACTOR_CONNECTION_LINK: {
        id = NULL;
        GPtrArray *ids = connections_of_actor((AbfsActorKind)node->file, node->id, rc, path);
        gboolean found = FALSE;
        for (guint i = 0; ids && i < ids->len; i++)
            found = found || strcmp(g_ptr_array_index(ids, i), node->leaf) == 0;
        if (ids)
            g_ptr_array_free(ids, TRUE);
        if (found)
            target = g_strconcat("../../../connections/", node->leaf, NULL);
        else if (*rc == 0)
            *rc = -ENOENT;
        break;
    }
    default:
        *rc = -EINVAL;
        return NULL;
    }
    g_free(id);
    return target;
}

char *abfs_tree_content(const char *path, const AbfsNode *node, int *rc)
{
    AbfsFs *fs = abfs_fs();
    *rc = 0;
    if (node->kind == ABFS_NODE_WORKSPACE_JSON)
        return abfs_json_pretty(fs->workspace);
    if (node->kind == ABFS_NODE_WORKSPACE_URL)
        return abfs_workspace_url_text();
    GError *err = NULL;
    char *text = abfs_actor_file(fs->actors, (AbfsActorKind)node->file, node->id, node->leaf, &err);
    if (!text)
        *rc = abfs_fs_fail(err, path);
    return text;
}

int abfs_workspace_getattr(const char *path, const AbfsNode *node, struct stat *st)
{
    AbfsFs *fs = abfs_fs();
    int rc = 0;
    GError *err = NULL;
    switch (node->kind) {
    case ABFS_NODE_BY_NAME:
    case ABFS_NODE_ACTORS:
        abfs_fill_stat(st, S_IFDIR | 0555, 0, abfs_fs()->mount_time);
        return 0;
    case ABFS_NODE_ACTOR:
    case ABFS_NODE_ACTOR_CONNECTIONS:
        if (!abfs_actor_exists(fs->actors, (AbfsActorKind)node->file, node->id, &err))
            return abfs_fs_fail(err, path);
        /* an actor's directory takes editors' temporary files (sed -i on `name`) */
        abfs_fill_stat(st, S_IFDIR | (node->kind == ABFS_NODE_ACTOR ? 0755 : 0555), 0, abfs_fs()->mount_time);
        return 0;
    case ABFS_NODE_WORKSPACE_JSON:
    case ABFS_NODE_WORKSPACE_URL:
    case ABFS_NODE_ACTOR_FILE: {
        char *text = abfs_tree_content(path, node, &rc);
        if (text)
            abfs_fill_stat(st, S_IFREG | (node->kind == ABFS_NODE_ACTOR_FILE && abfs_actor_file_writable(node->leaf) ? 0644 : 0444),
                      strlen(text), abfs_fs()->mount_time);
        g_free(text);
        return rc;
    }
    case ABFS_NODE_BY_NAME_LINK:
    case ABFS_NODE_CONNECTION_LINK:
    case ABFS_NODE_ACTOR_CONNECTION_LINK: {
        char *target = abfs_link_target(path, node, &rc);
        if (target)
            abfs_fill_stat(st, S_IFLNK | 0777, strlen(target), abfs_fs()->mount_time);
        g_free(target);
        return rc;
    }
    default:
        return -ENOENT;
    }
}

int abfs_workspace_readdir(const char *path, const AbfsNode *node, void *buf, fuse_fill_dir_t fill)
{
    AbfsFs *fs = abfs_fs();
    GError *err = NULL;
    int rc = 0;
    switch (node->kind) {
    case ABFS_NODE_BY_NAME: {
        AbfsSnapshot *snap = abfs_store_snapshot(fs->store, &err);
        if (!snap)
            return abfs_fs_fail(err, path);
        GList *names = g_list_sort(g_hash_table_get_keys(abfs_snapshot_by_name(snap)), (GCompareFunc)strcmp);
        for (GList *l = names; l; l = l->next)
            fill(buf, l->data, NULL, 0, 0);
        g_list_free(names);
        abfs_snapshot_unref(snap);
        return 0;
    }
    case ABFS_NODE_ACTORS: {
        GPtrArray *ids = abfs_actors_list(fs->actors, (AbfsActorKind)node->file, &err);
        if (!ids)
            return abfs_fs_fail(err, path);
        for (guint i = 0; i < ids->len; i++)
            fill(buf, g_ptr_array_index(ids, i), NULL, 0, 0);
        g_ptr_array_free(ids, TRUE);
        return 0;
    }
    case ABFS_NODE_ACTOR:
        if (!abfs_actor_exists(fs->actors, (AbfsActorKind)node->file, node->id, &err))
            return abfs_fs_fail(err, path);
        for (const char *const *f = abfs_actor_files(); *f; f++)
            fill(buf, *f, NULL, 0, 0);
        fill(buf, "connections", NULL, 0, 0);
        abfs_fill_scratches(path, buf, fill);
        return 0;
    case ABFS_NODE_ACTOR_CONNECTIONS: {
        if (!abfs_actor_exists(fs->actors, (AbfsActorKind)node->file, node->id, &err))
            return abfs_fs_fail(err, path);
        GPtrArray *ids = connections_of_actor((AbfsActorKind)node->file, node->id, &rc, path);
        for (guint i = 0; ids && i < ids->len; i++)
            fill(buf, g_ptr_array_index(ids, i), NULL, 0, 0);
        if (ids)
            g_ptr_array_free(ids, TRUE);
        return rc;
    }
    default:
        return -ENOTDIR;
    }
}

/* Extended attributes: user.airbyte.id and user.airbyte.url on connections and actors. */
static char *xattr_value(const char *path, const AbfsNode *node, const char *name, int *rc)
{
    AbfsFs *fs = abfs_fs();
    *rc = 0;
    gboolean conn = node->kind == ABFS_NODE_CONNECTION;
    gboolean actor = node->kind == ABFS_NODE_ACTOR;
    if (!conn && !actor) {
        *rc = -ENODATA;
        return NULL;
    }
    GError *err = NULL;
    if (conn && !abfs_fs_parent_exists(node)) {
        *rc = -ENOENT;
        return NULL;
    }
    if (actor && !abfs_actor_exists(fs->actors, (AbfsActorKind)node->file, node->id, &err)) {
        *rc = abfs_fs_fail(err, path);
        return NULL;
    }
    if (strcmp(name, "user.airbyte.id") == 0)
        return g_strdup(node->id);
    if (strcmp(name, "user.airbyte.url") == 0)
        return conn ? abfs_connection_url(abfs_store_render_context(fs->store), node->id)
                    : abfs_actor_url(fs->actors, (AbfsActorKind)node->file, node->id);
    *rc = -ENODATA;
    return NULL;
}

int abfs_op_getxattr(const char *path, const char *name, char *value, size_t size)
{
    AbfsNode node;
    if (!abfs_tree_parse(path, &node))
        return -ENOENT;
    int rc;
    char *v = xattr_value(path, &node, name, &rc);
    if (!v)
        return rc;
    size_t n = strlen(v);
    if (size > 0 && size < n)
        rc = -ERANGE;
    else {
        if (size > 0)
            memcpy(value, v, n);
        rc = (int)n;
    }
    g_free(v);
    return rc;
}

int abfs_op_listxattr(const char *path, char *list, size_t size)
{
    AbfsNode node;
    if (!abfs_tree_parse(path, &node))
        return -ENOENT;
    if (node.kind != ABFS_NODE_CONNECTION && node.kind != ABFS_NODE_ACTOR)
        return 0;
    static const char names[] = "user.airbyte.id\0user.airbyte.url"; /* + the final NUL */
    if (size == 0)
        return sizeof names;
    if (size < sizeof names)
        return -ERANGE;
    memcpy(list, names, sizeof names);
    return sizeof names;
}
