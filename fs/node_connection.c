/* node_connection.c — connections/ and each connection's directory with its setting files (one
 * per row of core's connection_files table), its source/destination links and its deletion;
 * settings/ with one settings.json per connection for GitOps. All render from the store. */
#include "node.h"
#include "handles.h"
#include "pagecache.h"

#include <errno.h>
#include <string.h>

#include "commit.h"
#include "connection_files.h"
#include "error.h"
#include "resources.h"
#include "text.h"

static gint64 entry_newest_mtime(AbfsEntry *entry)
{
    guint n;
    abfs_connection_files(&n);
    gint64 newest = 0;
    for (guint i = 0; i < n; i++)
        newest = MAX(newest, abfs_entry_mtime(entry, i));
    return newest;
}

static void stat_connection_file(AbfsEntry *entry, guint file, struct stat *st)
{
    guint n;
    const AbfsConnectionFile *files = abfs_connection_files(&n);
    abfs_stat_file(st, files[file].parse ? 0644 : 0444, abfs_entry_size(entry, file), abfs_entry_mtime(entry, file));
}

/* The attributes of a listing's entry, at path: the kernel takes them (readdirplus), so they go
 * through abfs_pagecache_tell_stat as a getattr's do. */
static void stat_listed_file(AbfsEntry *entry, guint file, const char *dir, const char *name, struct stat *st)
{
    stat_connection_file(entry, file, st);
    char *path = g_strconcat(dir, "/", name, NULL);
    abfs_pagecache_tell_stat(path, st);
    g_free(path);
}

/* ---- connections/ ---- */

static int connections_getattr(const AbfsNode *node, struct stat *st, GError **error)
{
    (void)node;
    (void)error;
    /* writable so that rmdir of a connection reaches airbytefs (which decides) for any user */
    abfs_stat_dir(st, 0755, abfs_fs()->mount_time);
    return 0;
}

static int connections_readdir(const AbfsNode *node, AbfsDir *dir, GError **error)
{
    (void)node;
    AbfsSnapshot *snap = abfs_store_snapshot(abfs_fs()->store, error);
    if (!snap)
        return -EIO;
    struct stat st;
    for (guint i = 0; i < abfs_snapshot_count(snap); i++) {
        if (abfs_dir_skip(dir))
            continue;
        const char *id = abfs_snapshot_id(snap, i);
        abfs_stat_dir(&st, 0755, entry_newest_mtime(abfs_snapshot_lookup(snap, id)));
        if (abfs_dir_add(dir, id, &st))
            break;
    }
    abfs_snapshot_unref(snap);
    return 0;
}

/* mkdir connections/<name>: a connection needs a source, a destination and its settings, which
 * a directory cannot carry; it is made from a file (settings/<name>.json). */
static int connections_mkdir(const AbfsNode *dir, const char *name, mode_t mode, GError **error)
{
    (void)dir;
    (void)mode;
    char *shown = g_strdup(name);
    abfs_text_replace_controls(shown, '?'); /* a name in a message never breaks its line */
    g_set_error(error, ABFS_ERROR, EPERM,
                "a connection is created from a file: write settings/%s.json with its sourceId (or source) and "
                "destinationId (or destination); see docs/gitops.md",
                shown);
    g_free(shown);
    return -EPERM;
}

const AbfsNodeType abfs_node_connections = {
    .getattr = connections_getattr,
    .readdir = connections_readdir,
    .mkdir = connections_mkdir,
};

/* ---- connections/<id>/ ---- */

static int connection_getattr(const AbfsNode *node, struct stat *st, GError **error)
{
    AbfsEntry *entry = abfs_store_entry(abfs_fs()->store, node->id, error);
    if (!entry)
        return -ENOENT;
    abfs_stat_dir(st, 0755, entry_newest_mtime(entry));
    abfs_entry_unref(entry);
    return 0;
}

static int connection_readdir(const AbfsNode *node, AbfsDir *dir, GError **error)
{
    AbfsSnapshot *snap = abfs_store_snapshot(abfs_fs()->store, error);
    if (!snap)
        return -EIO;
    AbfsEntry *entry = abfs_snapshot_lookup(snap, node->id);
    if (!entry) {
        abfs_snapshot_unref(snap);
        return -ENOENT;
    }
    guint nfiles, nfixed;
    const AbfsConnectionFile *files = abfs_connection_files(&nfiles);
    struct stat st;
    gboolean full = FALSE;
    for (guint i = 0; i < nfiles && !full; i++) {
        stat_listed_file(entry, i, node->path, files[i].name, &st);
        full = abfs_dir_add(dir, files[i].name, &st);
    }
    const AbfsTreeName *fixed = abfs_tree_names(ABFS_NODE_CONNECTION, &nfixed);
    for (guint i = 0; i < nfixed && !full; i++)
        full = abfs_dir_add_kind(dir, fixed[i].name, fixed[i].kind);
    if (!full)
        abfs_dir_add_scratches(dir, node->path);
    abfs_snapshot_unref(snap);
    return 0;
}

/* Deletes an actor after its connection went, unless another connection still uses it. A kept
 * actor, or a failed delete, is a note in `errors`: the connection itself is gone (rmdir
 * succeeded). */
static void cascade(AbfsActorKind kind, const char *actor_id, const char *path)
{
    AbfsFs *fs = abfs_fs();
    GError *err = NULL;
    AbfsSnapshot *snap = abfs_store_snapshot(fs->store, &err);
    gboolean used = FALSE;
    if (snap) {
        AbfsEntryField key = kind == ABFS_ACTOR_SOURCE ? ABFS_ENTRY_SOURCE_ID : ABFS_ENTRY_DESTINATION_ID;
        for (guint i = 0; i < abfs_snapshot_count(snap) && !used; i++)
            used =
                g_strcmp0(abfs_entry_field(abfs_snapshot_lookup(snap, abfs_snapshot_id(snap, i)), key), actor_id) == 0;
        abfs_snapshot_unref(snap);
    }
    if (used)
        g_set_error(&err, ABFS_ERROR, EBUSY,
                    kind == ABFS_ACTOR_SOURCE ? "source kept: another connection uses it"
                                              : "destination kept: another connection uses it");
    else if (snap)
        abfs_actor_delete(fs->actors, kind, actor_id, &err);
    if (err) {
        abfs_errlog_add(fs->errlog, path, err->code, err->message);
        abfs_invalidate_later("/errors");
        g_error_free(err);
    }
}

/* rmdir connections/<id>: PyAirbyte's permanently_delete, only with -o allow_delete. */
static int connection_rmdir(const AbfsNode *node, GError **error)
{
    AbfsFs *fs = abfs_fs();
    AbfsEntry *e = abfs_store_entry(fs->store, node->id, error);
    if (!e)
        return -ENOENT;
    char *source = g_strdup(abfs_entry_field(e, ABFS_ENTRY_SOURCE_ID));
    char *destination = g_strdup(abfs_entry_field(e, ABFS_ENTRY_DESTINATION_ID));
    abfs_entry_unref(e);
    int rc = 0;
    if (!fs->allow_delete) {
        g_set_error(error, ABFS_ERROR, EPERM,
                    "deleting a connection needs the mount option allow_delete (see airbytefs(1))");
        rc = -EPERM;
    } else if (!abfs_connection_delete(fs->client, node->id, error)) {
        rc = -EIO;
        if (error && *error && (*error)->code == ENOENT) { /* gone already: not listed again */
            abfs_store_invalidate(fs->store);
            abfs_invalidate_later("/connections");
        }
    } else {
        abfs_store_invalidate(fs->store);
        abfs_scratch_forget_under(node->path);
        if (fs->delete_source)
            cascade(ABFS_ACTOR_SOURCE, source, node->path);
        if (fs->delete_destination)
            cascade(ABFS_ACTOR_DESTINATION, destination, node->path);
        abfs_invalidate_later("/connections");
    }
    g_free(source);
    g_free(destination);
    return rc;
}

/* Extended attributes: user.airbyte.id, user.airbyte.url and user.airbyte.health. */
static int connection_getxattr(const AbfsNode *node, const char *name, char **value, GError **error)
{
    if (strcmp(name, "user.airbyte.health") == 0)
        return abfs_node_health_xattr(node, value, error);
    int rc = abfs_node_connection_exists(node, error);
    return rc < 0 ? rc
                  : abfs_node_id_url_xattr(name, node->id,
                                           abfs_connection_url(abfs_store_render_context(abfs_fs()->store), node->id),
                                           value);
}

const AbfsNodeType abfs_node_connection = {
    .getattr = connection_getattr,
    .readdir = connection_readdir,
    .rmdir = connection_rmdir,
    .getxattr = connection_getxattr,
    .xattr_names = (const char *const[]){"user.airbyte.id", "user.airbyte.url", "user.airbyte.health", NULL},
};

/* ---- a setting file: connections/<id>/<row>, settings/<id>.json ---- */

static gboolean in_settings(const AbfsNode *node)
{
    return g_str_has_prefix(node->path, "/settings/");
}

static const AbfsConnectionFile *row_of(const AbfsNode *node)
{
    guint n;
    return &abfs_connection_files(&n)[node->file];
}

static int file_getattr(const AbfsNode *node, struct stat *st, GError **error)
{
    AbfsEntry *entry = abfs_store_entry(abfs_fs()->store, node->id, error);
    if (!entry)
        return -ENOENT;
    stat_connection_file(entry, (guint)node->file, st);
    abfs_entry_unref(entry);
    return 0;
}

static int file_read_text(const AbfsNode *node, char **text, GError **error)
{
    AbfsEntry *entry = abfs_store_entry(abfs_fs()->store, node->id, error);
    if (!entry)
        return -ENOENT;
    *text = abfs_entry_render(entry, (guint)node->file, NULL);
    abfs_entry_unref(entry);
    return 0;
}

static int file_open(const AbfsNode *node, int flags, AbfsHandle **handle, GError **error)
{
    gboolean write = abfs_open_wants_write(flags);
    if (write && !row_of(node)->parse)
        return -EACCES;
    AbfsEntry *entry = abfs_store_entry(abfs_fs()->store, node->id, error);
    if (!entry)
        return -ENOENT;
    char *text = abfs_entry_render(entry, (guint)node->file, NULL);
    if (write) {
        *handle = abfs_handle_buffer(node->path, node, (flags & O_TRUNC) ? NULL : text, entry);
        g_free(text);
    } else
        *handle = abfs_handle_text(node->path, node, text, FALSE);
    abfs_entry_unref(entry);
    return 0;
}

static int file_create(const AbfsNode *node, mode_t mode, int flags, AbfsHandle **handle, GError **error)
{
    (void)mode;
    return file_open(node, flags | O_TRUNC, handle, error); /* the file exists: this is a rewrite */
}

/* settings.json is written under settings/ only. In a connection's directory each member has its
 * own file, and a directory applied back with rsync would send the edited file and then the
 * unedited settings.json, flipping the value back at every apply; there, settings.json takes back
 * what it shows (a no-op: 0) and refuses a change (EACCES, saying where to write it). 1: neither
 * (not valid: the commit says why). */
static int refuse_changes_here(const AbfsNode *node, AbfsEntry *base, const char *text, gsize len, GError **error)
{
    AbfsEntry *seen = base ? abfs_entry_ref(base) : abfs_store_entry(abfs_fs()->store, node->id, error);
    if (!seen)
        return -ENOENT;
    json_object *conn = abfs_entry_parse(seen), *patch = NULL;
    char *copy = g_strndup(text, len);
    gsize n = len;
    abfs_strip_one_newline(copy, &n);
    gboolean valid = row_of(node)->parse(copy, n, conn, &patch, NULL);
    g_free(copy);
    json_object_put(conn);
    abfs_entry_unref(seen);
    if (!valid)
        return 1;
    if (!patch)
        return 0;
    json_object_put(patch);
    g_set_error(error, ABFS_ERROR, EACCES,
                "settings.json is written under settings/%s.json; in a connection's "
                "directory each setting has its own file",
                node->id);
    return -EACCES;
}

static int file_commit(const AbfsNode *node, AbfsEntry *base, const char *text, gsize len, GError **error)
{
    if (strcmp(row_of(node)->name, "settings.json") == 0 && !in_settings(node)) {
        int rc = refuse_changes_here(node, base, text, len, error);
        if (rc <= 0)
            return rc;
    }
    char *copy = g_strndup(text, len);
    gboolean ok = abfs_commit_connection_file(abfs_fs()->store, node->id, (guint)node->file, base, copy, len, error);
    g_free(copy);
    if (!ok && error && *error && (*error)->code == ENOENT) {
        /* deleted elsewhere: the next listing must not show it */
        abfs_store_invalidate(abfs_fs()->store);
        abfs_invalidate_later("/connections");
    }
    if (!ok)
        return -EIO;
    abfs_invalidate_later(node->path);
    return 0;
}

static gboolean file_writable(const AbfsNode *node)
{
    return row_of(node)->parse != NULL;
}

static gboolean file_one_line(const AbfsNode *node)
{
    return row_of(node)->single_line;
}

static int file_truncate(const AbfsNode *node, off_t size, GError **error)
{
    (void)size;
    (void)error;
    /* Without an open file there is nothing to commit: a truncate alone never sends a value. */
    return row_of(node)->parse ? 0 : -EACCES;
}

const AbfsNodeType abfs_node_connection_file = {
    .getattr = file_getattr,
    .open = file_open,
    .create = file_create,
    .read_text = file_read_text,
    .commit = file_commit,
    .one_line = file_one_line,
    .writable = file_writable,
    .truncate = file_truncate,
};

/* ---- settings/ ---- */

static int settings_readdir(const AbfsNode *node, AbfsDir *dir, GError **error)
{
    AbfsSnapshot *snap = abfs_store_snapshot(abfs_fs()->store, error);
    if (!snap)
        return -EIO;
    int row = abfs_connection_file_index("settings.json");
    struct stat st;
    gboolean full = FALSE;
    for (guint i = 0; i < abfs_snapshot_count(snap) && !full; i++) {
        const char *id = abfs_snapshot_id(snap, i);
        char *name = abfs_tree_settings_name(id);
        stat_listed_file(abfs_snapshot_lookup(snap, id), (guint)row, node->path, name, &st);
        full = abfs_dir_add(dir, name, &st);
        g_free(name);
    }
    if (!full)
        abfs_dir_add_scratches(dir, node->path);
    abfs_snapshot_unref(snap);
    return 0;
}

const AbfsNodeType abfs_node_settings = {
    .getattr = connections_getattr,
    .readdir = settings_readdir,
};

/* ---- connections/<id>/source, destination ---- */

static int link_readlink(const AbfsNode *node, char **target, GError **error)
{
    AbfsEntry *e = abfs_store_entry(abfs_fs()->store, node->id, error);
    if (!e)
        return -ENOENT;
    const char *id = abfs_entry_field(e, node->file == 0 ? ABFS_ENTRY_SOURCE_ID : ABFS_ENTRY_DESTINATION_ID);
    int rc = id ? 0 : -ENOENT;
    if (id)
        *target = g_strconcat(node->file == 0 ? "../../sources/" : "../../destinations/", id, NULL);
    abfs_entry_unref(e);
    return rc;
}

const AbfsNodeType abfs_node_connection_link = {
    .getattr = abfs_node_getattr_link,
    .readlink = link_readlink,
};
