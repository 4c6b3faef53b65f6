/* ops.c — the FUSE operations table. Each operation parses its path (tree.h), calls its node's
 * function from the node table (node.h) or its open file's (handles.h), and maps the result. This
 * is the boundary where a failure is recorded in `errors`, by one rule per operation:
 *   - what the user asked to change or to do (write, close, rename, unlink, rmdir, create, a
 *     control file's action): every failure that has a reason, a 404 (ENOENT) included;
 *   - what only reads (stat, listings, links, opening to read, xattrs): once per outage, so that
 *     `ls -l` or `tail -f log` during an outage adds one line, not one per call; never ENOENT. */
#include "fs.h"
#include "node.h"
#include "handles.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "error.h"

typedef enum {
    REPORT_ALWAYS, /* the user's change or action */
    REPORT_ONCE,   /* a read: the same failure once per outage */
} Report;

/* When each read failure (errno and message) was last recorded: monotonic µs. */
static GMutex quiet_lock;
static GHashTable *quiet; /* protected by quiet_lock */

/* Whether a read failure is new: not recorded within the cache TTL (at least 30 s). */
static gboolean first_of_outage(int code, const char *message)
{
    gint64 now = g_get_monotonic_time();
    gint64 window = MAX((gint64)abfs_fs()->cfg->cache_ttl_s, 30) * G_USEC_PER_SEC;
    char *key = g_strdup_printf("%d %s", code, message);
    g_mutex_lock(&quiet_lock);
    if (!quiet)
        quiet = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    gint64 *last = g_hash_table_lookup(quiet, key);
    gboolean fresh = !last || now - *last >= window;
    if (fresh) {
        if (g_hash_table_size(quiet) > 1000) /* a bound: old keys only matter within the window */
            g_hash_table_remove_all(quiet);
        gint64 *when = g_new(gint64, 1);
        *when = now;
        g_hash_table_replace(quiet, key, when);
        key = NULL;
    }
    g_mutex_unlock(&quiet_lock);
    g_free(key);
    return fresh;
}

/* The operation's result: rc, or the errno of err when there is one, which is recorded under path
 * by the rule of report. Takes err. */
static int finish(int rc, GError *err, const char *path, Report report)
{
    if (rc >= 0 || !err) {
        if (err)
            g_error_free(err);
        return rc;
    }
    int code = err->domain == ABFS_ERROR && err->code > 0 ? err->code : EIO;
    /* a read of a name that is not there is no failure to tell; a change answered 404 is */
    if (report == REPORT_ALWAYS || (code != ENOENT && first_of_outage(code, err->message))) {
        abfs_errlog_add(abfs_fs()->errlog, path, code, err->message);
        abfs_invalidate_later("/errors"); /* its size just changed */
    }
    g_error_free(err);
    return -code;
}

static gboolean is_dir(const AbfsNodeType *type)
{
    return type->readdir != NULL;
}

static int op_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
    (void)fi;
    AbfsNode node;
    if (!abfs_tree_parse(path, &node))
        return -ENOENT;
    GError *err = NULL;
    int rc = abfs_node_type(node.kind)->getattr(&node, st, &err);
    return finish(rc, err, path, REPORT_ONCE);
}

static int op_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t offset, struct fuse_file_info *fi,
                      enum fuse_readdir_flags flags)
{
    (void)fi;
    (void)flags;
    AbfsNode node;
    if (!abfs_tree_parse(path, &node))
        return -ENOENT;
    const AbfsNodeType *type = abfs_node_type(node.kind);
    if (!type->readdir)
        return -ENOTDIR;
    AbfsDir dir = {buf, fill, offset, 0, FALSE};
    abfs_dir_add(&dir, ".", NULL);
    abfs_dir_add(&dir, "..", NULL);
    GError *err = NULL;
    int rc = type->readdir(&node, &dir, &err);
    return finish(rc, err, path, REPORT_ONCE);
}

static int op_readlink(const char *path, char *buf, size_t size)
{
    AbfsNode node;
    if (!abfs_tree_parse(path, &node))
        return -ENOENT;
    const AbfsNodeType *type = abfs_node_type(node.kind);
    if (!type->readlink)
        return -EINVAL;
    GError *err = NULL;
    char *target = NULL;
    int rc = type->readlink(&node, &target, &err);
    if (rc == 0)
        g_strlcpy(buf, target, size);
    g_free(target);
    return finish(rc, err, path, REPORT_ONCE);
}

static int op_open(const char *path, struct fuse_file_info *fi)
{
    AbfsNode node;
    if (!abfs_tree_parse(path, &node))
        return -ENOENT;
    const AbfsNodeType *type = abfs_node_type(node.kind);
    if (!type->open)
        return -EISDIR;
    GError *err = NULL;
    AbfsHandle *h = NULL;
    int rc = type->open(&node, fi->flags, &h, &err);
    if (rc == 0)
        abfs_handle_install(h, fi);
    return finish(rc, err, path, abfs_open_wants_write(fi->flags) ? REPORT_ALWAYS : REPORT_ONCE);
}

static int op_create(const char *path, mode_t mode, struct fuse_file_info *fi)
{
    AbfsNode node;
    if (!abfs_tree_parse(path, &node))
        return -EACCES;
    const AbfsNodeType *type = abfs_node_type(node.kind);
    if (!type->create)
        return -EACCES;
    GError *err = NULL;
    AbfsHandle *h = NULL;
    int rc = type->create(&node, mode, fi->flags, &h, &err);
    if (rc == 0)
        abfs_handle_install(h, fi);
    return finish(rc, err, path, REPORT_ALWAYS);
}

static int op_read(const char *path, char *buf, size_t size, off_t offset, struct fuse_file_info *fi)
{
    AbfsHandle *h = abfs_handle_of(fi);
    if (!h)
        return -EBADF;
    GError *err = NULL;
    int rc = abfs_handle_read(h, buf, size, offset, fi->flags, &err);
    return finish(rc, err, path, REPORT_ONCE);
}

/* poll(2), select(2), epoll: a stream (events) says when a read would not block; any other file
 * is always ready. */
static int op_poll(const char *path, struct fuse_file_info *fi, struct fuse_pollhandle *ph, unsigned *reventsp)
{
    (void)path;
    AbfsHandle *h = abfs_handle_of(fi);
    if (!h) {
        if (ph)
            fuse_pollhandle_destroy(ph);
        return -EBADF;
    }
    return abfs_handle_poll(h, ph, reventsp);
}

static int op_write(const char *path, const char *buf, size_t size, off_t offset, struct fuse_file_info *fi)
{
    AbfsHandle *h = abfs_handle_of(fi);
    if (!h)
        return -EBADF;
    GError *err = NULL;
    int rc = abfs_handle_write(h, buf, size, offset, &err);
    return finish(rc, err, path, REPORT_ALWAYS);
}

static int op_flush(const char *path, struct fuse_file_info *fi)
{
    AbfsHandle *h = abfs_handle_of(fi);
    if (!h)
        return 0;
    GError *err = NULL;
    int rc = abfs_handle_flush(h, &err);
    return finish(rc, err, path, REPORT_ALWAYS);
}

static int op_fsync(const char *path, int datasync, struct fuse_file_info *fi)
{
    (void)datasync;
    return op_flush(path, fi);
}

static int op_release(const char *path, struct fuse_file_info *fi)
{
    AbfsHandle *h = abfs_handle_of(fi);
    if (!h)
        return 0;
    GError *err = NULL;
    /* the kernel does not hand release's result to anyone: a control file acting here (nothing
     * was written) reports only in `errors` */
    int rc = abfs_handle_release(h, &err);
    finish(rc, err, path, REPORT_ALWAYS);
    return 0;
}

static int op_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
    if (size < 0)
        return -EINVAL;
    GError *err = NULL;
    AbfsHandle *h = abfs_handle_of(fi);
    if (h) {
        int rc = abfs_handle_truncate(h, size, &err);
        return finish(rc, err, path, REPORT_ALWAYS);
    }
    AbfsNode node;
    if (!abfs_tree_parse(path, &node))
        return -ENOENT;
    const AbfsNodeType *type = abfs_node_type(node.kind);
    if (!type->truncate)
        return is_dir(type) ? -EISDIR : -EACCES;
    int rc = type->truncate(&node, size, &err);
    return finish(rc, err, path, REPORT_ALWAYS);
}

static int op_rename(const char *from, const char *to, unsigned int flags)
{
    AbfsNode src, dst;
    if (!abfs_tree_parse(from, &src))
        return -ENOENT;
    if (!abfs_tree_parse(to, &dst))
        return -EACCES;
    GError *err = NULL;
    const AbfsNodeType *type = abfs_node_type(src.kind);
    /* a failure is the destination's: that is the file whose value was refused */
    int rc = type->rename ? type->rename(&src, &dst, flags, &err) : abfs_node_rename(&src, &dst, flags, &err);
    return finish(rc, err, src.kind == ABFS_NODE_SCRATCH ? to : from, REPORT_ALWAYS);
}

static int op_unlink(const char *path)
{
    AbfsNode node;
    if (!abfs_tree_parse(path, &node))
        return -ENOENT;
    const AbfsNodeType *type = abfs_node_type(node.kind);
    if (!type->unlink) /* API-backed files cannot be removed */
        return is_dir(type) ? -EISDIR : -EPERM;
    GError *err = NULL;
    int rc = type->unlink(&node, &err);
    return finish(rc, err, path, REPORT_ALWAYS);
}

static int op_rmdir(const char *path)
{
    AbfsNode node;
    if (!abfs_tree_parse(path, &node))
        return -ENOENT;
    const AbfsNodeType *type = abfs_node_type(node.kind);
    if (!type->rmdir)
        return -EPERM;
    GError *err = NULL;
    int rc = type->rmdir(&node, &err);
    return finish(rc, err, path, REPORT_ALWAYS);
}

/* chmod, chown and utimens: accepted on API-backed files and directories without changing anything
 * (tools such as rsync, cp -p and editors call them); kept on scratch files. */
static int op_chmod(const char *path, mode_t mode, struct fuse_file_info *fi)
{
    (void)fi;
    AbfsNode node;
    if (!abfs_tree_parse(path, &node))
        return -ENOENT;
    const AbfsNodeType *type = abfs_node_type(node.kind);
    GError *err = NULL;
    if (!type->chmod)
        return 0;
    int rc = type->chmod(&node, mode, &err);
    return finish(rc, err, path, REPORT_ALWAYS);
}

static int op_chown(const char *path, uid_t uid, gid_t gid, struct fuse_file_info *fi)
{
    (void)uid;
    (void)gid;
    (void)fi;
    AbfsNode node;
    return abfs_tree_parse(path, &node) ? 0 : -ENOENT;
}

static int op_utimens(const char *path, const struct timespec tv[2], struct fuse_file_info *fi)
{
    (void)fi;
    AbfsNode node;
    if (!abfs_tree_parse(path, &node))
        return -ENOENT;
    const AbfsNodeType *type = abfs_node_type(node.kind);
    GError *err = NULL;
    if (!type->utimens)
        return 0;
    int rc = type->utimens(&node, tv, &err);
    return finish(rc, err, path, REPORT_ALWAYS);
}

static int op_symlink(const char *target, const char *path)
{
    (void)target;
    (void)path;
    return -EPERM;
}

/* mkdir is asked of the directory the new name goes in: the name has no node yet. */
static int op_mkdir(const char *path, mode_t mode)
{
    char *parent_path = g_path_get_dirname(path), *name = g_path_get_basename(path);
    AbfsNode parent;
    int rc = -ENOENT;
    GError *err = NULL;
    if (abfs_tree_parse(parent_path, &parent)) {
        const AbfsNodeType *type = abfs_node_type(parent.kind);
        rc = !type->readdir ? -ENOTDIR : type->mkdir ? type->mkdir(&parent, name, mode, &err) : -EPERM;
    }
    g_free(parent_path);
    g_free(name);
    return finish(rc, err, path, REPORT_ALWAYS);
}

static int op_getxattr(const char *path, const char *name, char *value, size_t size)
{
    AbfsNode node;
    if (!abfs_tree_parse(path, &node))
        return -ENOENT;
    /* Only the user namespace exists here. EOPNOTSUPP for the others (security.selinux and the
     * POSIX ACLs, which `ls -l` asks of every entry) lets ls and its kin remember, once per mount,
     * that this filesystem has none: 3 requests per entry of `ls -l` become 3 per mount. */
    if (!g_str_has_prefix(name, "user."))
        return -EOPNOTSUPP;
    const AbfsNodeType *type = abfs_node_type(node.kind);
    if (!type->getxattr)
        return -ENODATA;
    GError *err = NULL;
    char *v = NULL;
    int rc = type->getxattr(&node, name, &v, &err);
    if (rc == 0) {
        size_t n = strlen(v);
        if (size > 0 && size < n)
            rc = -ERANGE;
        else {
            if (size > 0)
                memcpy(value, v, n);
            rc = (int)n;
        }
    }
    g_free(v);
    return finish(rc, err, path, REPORT_ONCE);
}

static int op_listxattr(const char *path, char *list, size_t size)
{
    AbfsNode node;
    if (!abfs_tree_parse(path, &node))
        return -ENOENT;
    const AbfsNodeType *type = abfs_node_type(node.kind);
    if (!type->getxattr)
        return 0;
    static const char *const id_url[] = {"user.airbyte.id", "user.airbyte.url", NULL};
    GString *names = g_string_new(NULL);
    for (const char *const *n = type->xattr_names ? type->xattr_names : id_url; *n; n++)
        g_string_append_len(names, *n, (gssize)strlen(*n) + 1); /* each with its NUL */
    int rc = (int)names->len;
    if (size > 0 && size < names->len)
        rc = -ERANGE;
    else if (size > 0)
        memcpy(list, names->str, names->len);
    g_string_free(names, TRUE);
    return rc;
}

static int op_statfs(const char *path, struct statvfs *st)
{
    (void)path;
    memset(st, 0, sizeof *st);
    st->f_bsize = 4096;
    st->f_frsize = 4096;
    st->f_namemax = 255;
    return 0;
}

static int op_fsyncdir(const char *path, int datasync, struct fuse_file_info *fi)
{
    (void)path;
    (void)datasync;
    (void)fi;
    return 0;
}

static void *op_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
    /* O_TRUNC arrives with open(), so `echo x > f` is one handle and never a separate empty write. */
    if (conn->capable & FUSE_CAP_ATOMIC_O_TRUNC)
        conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
    /* Lookups in one directory (16 readers of 16 connections on a cold mount) run in parallel. */
    if (conn->capable & FUSE_CAP_PARALLEL_DIROPS)
        conn->want |= FUSE_CAP_PARALLEL_DIROPS;
    /* Every chunk of a listing carries its entries' attributes (readdirplus), not just the first:
     * a glob over connections/ or `ls -l` of a big workspace then finds each connection's
     * directory in the kernel's cache instead of asking for it (one LOOKUP per connection). */
    if (conn->capable & FUSE_CAP_READDIRPLUS_AUTO)
        conn->want &= ~FUSE_CAP_READDIRPLUS_AUTO;
    cfg->use_ino = 0;
    cfg->nullpath_ok = 0;
    /* The kernel's timeouts come from the command line (main.c puts airbytefs's defaults before
     * the user's options). */
    cfg->hard_remove = 1;
    /* Ctrl-C on a process blocked in the API reaches the request (fuse_interrupted(), polled by the
     * HTTP client), which aborts it with EINTR. */
    cfg->intr = 1;
    return fuse_get_context()->private_data;
}

static const struct fuse_operations operations = {
    .init = op_init,
    .getattr = op_getattr,
    .readlink = op_readlink,
    .readdir = op_readdir,
    .open = op_open,
    .create = op_create,
    .read = op_read,
    .poll = op_poll,
    .write = op_write,
    .flush = op_flush,
    .fsync = op_fsync,
    .release = op_release,
    .truncate = op_truncate,
    .rename = op_rename,
    .unlink = op_unlink,
    .chmod = op_chmod,
    .chown = op_chown,
    .utimens = op_utimens,
    .mkdir = op_mkdir,
    .symlink = op_symlink,
    .rmdir = op_rmdir,
    .statfs = op_statfs,
    .getxattr = op_getxattr,
    .listxattr = op_listxattr,
    .fsyncdir = op_fsyncdir,
};

const struct fuse_operations *abfs_fs_operations(void)
{
    return &operations;
}
