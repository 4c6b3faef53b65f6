/* node_scratch.c — scratch files: the names editors and tools create beside API-backed files
 * (sed's sedXXXXXX, vim's 4913 and swap files, rsync's .name.XXXXXX, gedit's .goutputstream-*),
 * kept in memory (scratch.h) and never sent, and rename(2), whose only movable things they are:
 * a scratch renamed onto an API-backed file commits its content through that file's node. */
#include "node.h"
#include "handles.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "actors.h"

/* What a tool saw when it created a scratch file: the values its rename will be judged against
 * (ESTALE), however often the kernel retries that rename. In a connection's directory, that
 * connection's entry; in settings/, the listing. */
typedef struct {
    AbfsEntry *entry;
    AbfsSnapshot *snap;
} Origin;

static void origin_free(gpointer p)
{
    Origin *o = p;
    if (o->entry)
        abfs_entry_unref(o->entry);
    abfs_snapshot_unref(o->snap);
    g_free(o);
}

static Origin *origin_now(const AbfsNode *node)
{
    AbfsStore *store = abfs_fs()->store;
    Origin *o = g_new0(Origin, 1);
    if (g_str_has_prefix(node->parent, "/connections/"))
        o->entry = abfs_store_entry(store, node->id, NULL);
    else if (strcmp(node->parent, "/settings") == 0)
        o->snap = abfs_store_snapshot(store, NULL);
    return o;
}

/* The entry of connection id that the scratch's creator saw (a new reference), or NULL. */
static AbfsEntry *origin_entry(Scratch *s, const char *id)
{
    Origin *o = abfs_scratch_origin(s);
    AbfsEntry *e = NULL;
    if (o && o->entry && g_strcmp0(abfs_entry_field(o->entry, ABFS_ENTRY_ID), id) == 0)
        e = o->entry;
    else if (o && o->snap)
        e = abfs_snapshot_lookup(o->snap, id);
    return e ? abfs_entry_ref(e) : NULL;
}

/* ENOENT unless the directory the scratch is in exists (settings/ and staging/ always do). */
static int parent_exists(const AbfsNode *node, GError **error)
{
    if (strcmp(node->parent, "/settings") == 0 || strcmp(node->parent, "/staging") == 0)
        return 0;
    if (!g_str_has_prefix(node->parent, "/connections/"))
        return abfs_actor_exists(abfs_fs()->actors, (AbfsActorKind)node->file, node->id, error) ? 0 : -ENOENT;
    return abfs_node_connection_exists(node, error);
}

static int scratch_getattr(const AbfsNode *node, struct stat *st, GError **error)
{
    (void)error;
    Scratch *s = abfs_scratch_lookup(node->path);
    if (!s)
        return -ENOENT;
    mode_t mode;
    off_t size;
    gint64 mtime;
    abfs_scratch_stat(s, &mode, &size, &mtime);
    abfs_scratch_unref(s);
    abfs_stat_file(st, mode, (gsize)size, mtime);
    return 0;
}

static int scratch_open(const AbfsNode *node, int flags, AbfsHandle **handle, GError **error)
{
    (void)error;
    Scratch *s = abfs_scratch_lookup(node->path);
    if (!s)
        return -ENOENT;
    if (flags & O_TRUNC)
        abfs_scratch_truncate(s, 0);
    *handle = abfs_handle_scratch(node->path, node, s);
    return 0;
}

static int scratch_create(const AbfsNode *node, mode_t mode, int flags, AbfsHandle **handle, GError **error)
{
    (void)flags;
    int rc = parent_exists(node, error);
    if (rc < 0)
        return rc;
    Scratch *s = NULL;
    rc = abfs_scratch_create(node->path, mode, &s);
    if (rc == 0) {
        abfs_scratch_set_origin(s, origin_now(node), origin_free);
        *handle = abfs_handle_scratch(node->path, node, s);
    }
    return rc;
}

static int scratch_read_text(const AbfsNode *node, char **text, GError **error)
{
    (void)error;
    Scratch *s = abfs_scratch_lookup(node->path);
    if (!s)
        return -ENOENT;
    *text = abfs_scratch_content(s, NULL);
    abfs_scratch_unref(s);
    return 0;
}

static int scratch_truncate(const AbfsNode *node, off_t size, GError **error)
{
    (void)error;
    Scratch *s = abfs_scratch_lookup(node->path);
    if (!s)
        return -ENOENT;
    int rc = abfs_scratch_truncate(s, size);
    abfs_scratch_unref(s);
    return rc;
}

static int scratch_unlink(const AbfsNode *node, GError **error)
{
    (void)error;
    return abfs_scratch_unlink(node->path);
}

static int scratch_chmod(const AbfsNode *node, mode_t mode, GError **error)
{
    (void)error;
    Scratch *s = abfs_scratch_lookup(node->path);
    if (!s)
        return -ENOENT;
    abfs_scratch_set_mode(s, mode);
    abfs_scratch_unref(s);
    return 0;
}

static int scratch_utimens(const AbfsNode *node, const struct timespec tv[2], GError **error)
{
    (void)error;
    Scratch *s = abfs_scratch_lookup(node->path);
    if (!s)
        return -ENOENT;
    gint64 mtime = tv && tv[1].tv_nsec != UTIME_NOW && tv[1].tv_nsec != UTIME_OMIT ? (gint64)tv[1].tv_sec
                                                                                   : g_get_real_time() / G_USEC_PER_SEC;
    if (!tv || tv[1].tv_nsec != UTIME_OMIT)
        abfs_scratch_set_mtime(s, mtime);
    abfs_scratch_unref(s);
    return 0;
}

const AbfsNodeType abfs_node_scratch = {
    .getattr = scratch_getattr,
    .open = scratch_open,
    .create = scratch_create,
    .read_text = scratch_read_text,
    .truncate = scratch_truncate,
    .unlink = scratch_unlink,
    .chmod = scratch_chmod,
    .utimens = scratch_utimens,
};

int abfs_node_rename(const AbfsNode *src, const AbfsNode *dst, unsigned int flags, GError **error)
{
    if (flags & RENAME_EXCHANGE)
        return -EINVAL;
    const AbfsNodeType *to = abfs_node_type(dst->kind);
    if (src->kind == ABFS_NODE_SCRATCH && dst->kind == ABFS_NODE_SCRATCH) {
        int rc = parent_exists(dst, error);
        if (rc < 0)
            return rc;
        Scratch *existing = abfs_scratch_lookup(dst->path);
        if (existing) {
            abfs_scratch_unref(existing);
            if (flags & RENAME_NOREPLACE)
                return -EEXIST;
        }
        return abfs_scratch_rename(src->path, dst->path);
    }
    if (src->kind == ABFS_NODE_SCRATCH && to->read_text && to->open) {
        /* A tool saving through a temporary file: the rename commits its content, validated. */
        if (flags & RENAME_NOREPLACE)
            return -EEXIST;
        if (!to->commit)
            return -EACCES;
        Scratch *s = abfs_scratch_lookup(src->path);
        if (!s)
            return -ENOENT;
        gsize len;
        char *text = abfs_scratch_content(s, &len);
        /* judged against what the tool saw when it made the scratch: a retry of a rename that got
         * ESTALE gets ESTALE again, whatever the first attempt refreshed */
        AbfsEntry *base = dst->kind == ABFS_NODE_CONNECTION_FILE ? origin_entry(s, dst->id) : NULL;
        abfs_scratch_unref(s);
        int rc = to->commit(dst, base, text, len, error);
        if (base)
            abfs_entry_unref(base);
        g_free(text);
        if (rc == 0)
            abfs_scratch_unlink(src->path);
        return rc;
    }
    const AbfsNodeType *from = abfs_node_type(src->kind);
    if (dst->kind == ABFS_NODE_SCRATCH && from->commit && from->read_text) {
        /* An editor's backup-by-rename: the file cannot leave, so the backup gets a copy. */
        char *text = NULL;
        int rc = from->read_text(src, &text, error);
        if (rc < 0)
            return rc;
        Scratch *s = NULL;
        rc = abfs_scratch_create(dst->path, 0644, &s);
        if (rc == 0) {
            abfs_scratch_write(s, text, strlen(text), 0);
            abfs_scratch_unref(s);
        }
        g_free(text);
        return rc;
    }
    return -EPERM;
}
