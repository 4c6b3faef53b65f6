/* replace.c — tools that replace a file by unlinking it and creating it again: install, cp
 * --remove-destination, mv from another filesystem (rename gives EXDEV, so mv unlinks the target
 * and copies), git checkout (unlink, then open(O_CREAT|O_EXCL)). A file the API backs cannot be
 * deleted, so airbytefs reads such an unlink as the first half of a replace:
 *
 *   unlink of a writable API-backed file   nothing is sent; the path is recorded as unlinked
 *                                          (for ABFS_REPLACE_WINDOW_S) and unlink returns 0;
 *   while recorded                         stat gives ENOENT and listings skip the name, so the
 *                                          kernel sends the create (O_EXCL succeeds);
 *   create of a recorded path              the record ends and the file is opened for rewriting
 *                                          (the inner open with O_TRUNC): its close commits the
 *                                          new content like any write (validation, no-op
 *                                          detection, ESTALE), and a refusal fails write or close;
 *   rename onto a recorded path            the record ends (the rename commits, as without it);
 *   no create within the window            the record lapses and the file is back with the
 *                                          server's value: nothing was changed.
 *
 * The window is checked when the path is next looked at; nothing needs invalidating when it
 * lapses, because the kernel dropped the dentry when unlink returned 0 and does not cache
 * negative lookups (negative_timeout=0, main.c), so the next lookup reaches getattr here.
 *
 * Read-only files, control files, links and directories go to the inner unlink (EPERM, EISDIR).
 *
 * Once a name is removed while a file is open (the unlink above, a scratch file's), libfuse
 * hands the operations on that open file a NULL path (hard_remove, nullpath_ok=0); the inner
 * table parses every path, so those operations get the path the file was opened with. */
#include "replace.h"
#include "node.h"
#include "handles.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>

static const struct fuse_operations *inner;
static struct fuse_operations wrapped;

static GMutex lock;
static GHashTable *unlinked; /* path -> gint64 *: monotonic µs when the record lapses; under lock */

/* Whether path names a file the API backs and a write can change: what an unlink may replace. */
static gboolean replaceable(const char *path)
{
    AbfsNode node;
    if (!path || !abfs_tree_parse(path, &node))
        return FALSE;
    const AbfsNodeType *type = abfs_node_type(node.kind);
    return type->writable && type->writable(&node);
}

/* Drops the records whose window passed. Under lock. */
static void sweep_locked(gint64 now)
{
    GHashTableIter it;
    gpointer key, value;
    g_hash_table_iter_init(&it, unlinked);
    while (g_hash_table_iter_next(&it, &key, &value))
        if (*(gint64 *)value <= now)
            g_hash_table_iter_remove(&it);
}

static void record(const char *path)
{
    gint64 now = g_get_monotonic_time();
    gint64 *until = g_new(gint64, 1);
    *until = now + (gint64)ABFS_REPLACE_WINDOW_S * G_USEC_PER_SEC;
    g_mutex_lock(&lock);
    sweep_locked(now);
    g_hash_table_replace(unlinked, g_strdup(path), until);
    g_mutex_unlock(&lock);
}

/* Whether path is recorded as unlinked now (a lapsed record is dropped). */
static gboolean is_unlinked(const char *path)
{
    if (!path)
        return FALSE;
    gboolean found = FALSE;
    g_mutex_lock(&lock);
    if (g_hash_table_size(unlinked) > 0) {
        gint64 *until = g_hash_table_lookup(unlinked, path);
        if (until && *until > g_get_monotonic_time())
            found = TRUE;
        else if (until)
            g_hash_table_remove(unlinked, path);
    }
    g_mutex_unlock(&lock);
    return found;
}

/* Ends path's record; TRUE if it was recorded (and had not lapsed). */
static gboolean end_record(const char *path)
{
    if (!path)
        return FALSE;
    g_mutex_lock(&lock);
    gint64 *until = g_hash_table_lookup(unlinked, path);
    gboolean live = until && *until > g_get_monotonic_time();
    if (until)
        g_hash_table_remove(unlinked, path);
    g_mutex_unlock(&lock);
    return live;
}

/* The path to hand the inner operations: path, or for an open file whose name was removed (NULL),
 * a copy of the path it was opened with in *copy (free it). NULL if there is none. */
static const char *path_of(const char *path, struct fuse_file_info *fi, char **copy)
{
    *copy = NULL;
    if (path)
        return path;
    AbfsHandle *h = abfs_handle_of(fi);
    if (!h)
        return NULL;
    *copy = g_strdup(abfs_handle_path(h));
    return *copy;
}

/* ---- the operations ---- */

static int replace_unlink(const char *path)
{
    if (!replaceable(path))
        return inner->unlink(path);
    struct stat st;
    int rc = inner->getattr(path, &st, NULL); /* the connection or source is still there */
    if (rc < 0)
        return rc;
    record(path);
    g_debug("%s: unlinked; a create within %d s replaces it, else it stays as it is", path, ABFS_REPLACE_WINDOW_S);
    return 0;
}

static int replace_create(const char *path, mode_t mode, struct fuse_file_info *fi)
{
    if (!end_record(path))
        return inner->create(path, mode, fi);
    /* The file exists on the server: this is a rewrite of it. The inner open makes the writer's
     * buffer (empty: O_TRUNC) whose close commits; state.json and catalog.json and an actor's name
     * have no create of their own. */
    int flags = fi->flags;
    fi->flags = (flags & ~(O_CREAT | O_EXCL)) | O_TRUNC;
    int rc = inner->open(path, fi);
    fi->flags = flags;
    if (rc < 0 && rc != -ENOENT)
        record(path); /* e.g. the API is unreachable: a retry within the window may still replace */
    return rc;
}

static int replace_rename(const char *from, const char *to, unsigned int flags)
{
    int rc = inner->rename(from, to, flags);
    if (rc == 0)
        end_record(to);
    return rc;
}

static int replace_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
    char *copy;
    path = path_of(path, fi, &copy);
    if (!path)
        return -ESTALE;
    /* With fi, the caller holds an open file: the file it opened is still there. */
    int rc = !fi && is_unlinked(path) ? -ENOENT : inner->getattr(path, st, fi);
    g_free(copy);
    return rc;
}

/* A listing that leaves out the names recorded as unlinked. */
typedef struct {
    void *buf;
    fuse_fill_dir_t fill;
    GPtrArray *hidden; /* names */
} Filter;

static int filter_fill(void *buf, const char *name, const struct stat *st, off_t off, enum fuse_fill_dir_flags flags)
{
    Filter *f = buf;
    for (guint i = 0; i < f->hidden->len; i++)
        if (strcmp(name, g_ptr_array_index(f->hidden, i)) == 0)
            return 0;
    return f->fill(f->buf, name, st, off, flags);
}

/* The names in directory dir recorded as unlinked, or NULL if none. */
static GPtrArray *hidden_in(const char *dir)
{
    GPtrArray *names = NULL;
    gsize len = strlen(dir);
    gint64 now = g_get_monotonic_time();
    g_mutex_lock(&lock);
    if (g_hash_table_size(unlinked) > 0) {
        sweep_locked(now);
        GHashTableIter it;
        gpointer key, value;
        g_hash_table_iter_init(&it, unlinked);
        while (g_hash_table_iter_next(&it, &key, &value)) {
            const char *p = key;
            if (strncmp(p, dir, len) == 0 && p[len] == '/' && !strchr(p + len + 1, '/')) {
                if (!names)
                    names = g_ptr_array_new_with_free_func(g_free);
                g_ptr_array_add(names, g_strdup(p + len + 1));
            }
        }
    }
    g_mutex_unlock(&lock);
    return names;
}

static int replace_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t offset, struct fuse_file_info *fi,
                           enum fuse_readdir_flags flags)
{
    if (!path) /* a directory removed while open (rmdir of a connection) */
        return -ENOENT;
    GPtrArray *hidden = hidden_in(path);
    if (!hidden)
        return inner->readdir(path, buf, fill, offset, fi, flags);
    Filter f = {buf, fill, hidden};
    int rc = inner->readdir(path, &f, filter_fill, offset, fi, flags);
    g_ptr_array_free(hidden, TRUE);
    return rc;
}

/* ---- an open file whose name was removed: the path it was opened with ---- */

static int replace_read(const char *path, char *buf, size_t size, off_t offset, struct fuse_file_info *fi)
{
    char *copy;
    int rc = inner->read(path_of(path, fi, &copy), buf, size, offset, fi);
    g_free(copy);
    return rc;
}

static int replace_write(const char *path, const char *buf, size_t size, off_t offset, struct fuse_file_info *fi)
{
    char *copy;
    int rc = inner->write(path_of(path, fi, &copy), buf, size, offset, fi);
    g_free(copy);
    return rc;
}

static int replace_flush(const char *path, struct fuse_file_info *fi)
{
    char *copy;
    int rc = inner->flush(path_of(path, fi, &copy), fi);
    g_free(copy);
    return rc;
}

static int replace_fsync(const char *path, int datasync, struct fuse_file_info *fi)
{
    char *copy;
    int rc = inner->fsync(path_of(path, fi, &copy), datasync, fi);
    g_free(copy);
    return rc;
}

static int replace_release(const char *path, struct fuse_file_info *fi)
{
    char *copy; /* a copy: release frees the handle, whose path the inner release still uses */
    int rc = inner->release(path_of(path, fi, &copy), fi);
    g_free(copy);
    return rc;
}

static int replace_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
    char *copy;
    path = path_of(path, fi, &copy);
    int rc = path ? inner->truncate(path, size, fi) : -ESTALE;
    g_free(copy);
    return rc;
}

static int replace_chmod(const char *path, mode_t mode, struct fuse_file_info *fi)
{
    char *copy;
    path = path_of(path, fi, &copy);
    int rc = path ? inner->chmod(path, mode, fi) : 0;
    g_free(copy);
    return rc;
}

static int replace_chown(const char *path, uid_t uid, gid_t gid, struct fuse_file_info *fi)
{
    char *copy;
    path = path_of(path, fi, &copy);
    int rc = path ? inner->chown(path, uid, gid, fi) : 0;
    g_free(copy);
    return rc;
}

static int replace_utimens(const char *path, const struct timespec tv[2], struct fuse_file_info *fi)
{
    char *copy;
    path = path_of(path, fi, &copy);
    int rc = path ? inner->utimens(path, tv, fi) : 0;
    g_free(copy);
    return rc;
}

const struct fuse_operations *abfs_replace_wrap(const struct fuse_operations *ops)
{
    inner = ops;
    unlinked = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    wrapped = *ops;
    wrapped.unlink = replace_unlink;
    wrapped.create = replace_create;
    wrapped.rename = replace_rename;
    wrapped.getattr = replace_getattr;
    wrapped.readdir = replace_readdir;
    wrapped.read = replace_read;
    wrapped.write = replace_write;
    wrapped.flush = replace_flush;
    wrapped.fsync = replace_fsync;
    wrapped.release = replace_release;
    wrapped.truncate = replace_truncate;
    wrapped.chmod = replace_chmod;
    wrapped.chown = replace_chown;
    wrapped.utimens = replace_utimens;
    return &wrapped;
}
