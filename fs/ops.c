/* ops.c — the FUSE operations: attributes, listings and reads of the tree (tree.h), served from
 * the store's snapshots (store.h). Errors are the errno carried by core's GErrors. */
#include <fuse.h>

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "connection_files.h"
#include "error.h"
#include "fs.h"
#include "tree.h"

static AbfsFs *fs_get(void)
{
    return fuse_get_context()->private_data;
}

/* The errno of err (consumed), after logging it. */
static int fail(GError *err, const char *path)
{
    int code = err->domain == ABFS_ERROR && err->code > 0 ? err->code : EIO;
    if (code != ENOENT)
        g_warning("%s: %s", path, err->message);
    g_error_free(err);
    return -code;
}

static void stat_dir(AbfsFs *fs, struct stat *st, gint64 mtime)
{
    memset(st, 0, sizeof *st);
    st->st_mode = S_IFDIR | 0555;
    st->st_nlink = 2;
    st->st_uid = fs->uid;
    st->st_gid = fs->gid;
    st->st_mtime = st->st_ctime = st->st_atime = (time_t)mtime;
}

static void stat_file(AbfsFs *fs, struct stat *st, mode_t mode, gsize size, gint64 mtime)
{
    memset(st, 0, sizeof *st);
    st->st_mode = S_IFREG | mode;
    st->st_nlink = 1;
    st->st_uid = fs->uid;
    st->st_gid = fs->gid;
    st->st_size = (off_t)size;
    st->st_blksize = 4096;
    st->st_blocks = (blkcnt_t)((size + 511) / 512);
    st->st_mtime = st->st_ctime = st->st_atime = (time_t)mtime;
}

static gint64 entry_newest_mtime(AbfsEntry *entry)
{
    guint n;
    abfs_connection_files(&n);
    gint64 newest = 0;
    for (guint i = 0; i < n; i++)
        newest = MAX(newest, abfs_entry_mtime(entry, i));
    return newest;
}

static void stat_connection_file(AbfsFs *fs, AbfsEntry *entry, guint file, struct stat *st)
{
    gsize len;
    abfs_entry_render(entry, file, &len);
    stat_file(fs, st, 0444, len, abfs_entry_mtime(entry, file));
}

static int op_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
    (void)fi;
    AbfsFs *fs = fs_get();
    AbfsNode node;
    if (!abfs_tree_parse(path, &node))
        return -ENOENT;
    if (node.kind == ABFS_NODE_ROOT || node.kind == ABFS_NODE_CONNECTIONS) {
        stat_dir(fs, st, fs->mount_time);
        return 0;
    }
    GError *err = NULL;
    AbfsSnapshot *snap = abfs_store_snapshot(fs->store, &err);
    if (!snap)
        return fail(err, path);
    AbfsEntry *entry = abfs_snapshot_lookup(snap, node.id);
    int rc = 0;
    if (!entry)
        rc = -ENOENT;
    else if (node.kind == ABFS_NODE_CONNECTION)
        stat_dir(fs, st, entry_newest_mtime(entry));
    else
        stat_connection_file(fs, entry, (guint)node.file, st);
    abfs_snapshot_unref(snap);
    return rc;
}

static int op_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t offset,
                      struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
    (void)offset;
    (void)fi;
    (void)flags;
    AbfsFs *fs = fs_get();
    AbfsNode node;
    struct stat st;
    if (!abfs_tree_parse(path, &node))
        return -ENOENT;
    if (node.kind == ABFS_NODE_CONNECTION_FILE)
        return -ENOTDIR;

    if (node.kind == ABFS_NODE_ROOT) {
        stat_dir(fs, &st, fs->mount_time);
        fill(buf, ".", &st, 0, FUSE_FILL_DIR_PLUS);
        fill(buf, "..", NULL, 0, 0);
        fill(buf, "connections", &st, 0, FUSE_FILL_DIR_PLUS);
        return 0;
    }

    GError *err = NULL;
    AbfsSnapshot *snap = abfs_store_snapshot(fs->store, &err);
    if (!snap)
        return fail(err, path);
    int rc = 0;
    if (node.kind == ABFS_NODE_CONNECTIONS) {
        stat_dir(fs, &st, fs->mount_time);
        fill(buf, ".", &st, 0, FUSE_FILL_DIR_PLUS);
        fill(buf, "..", NULL, 0, 0);
        for (guint i = 0; i < abfs_snapshot_count(snap); i++) {
            const char *id = abfs_snapshot_id(snap, i);
            stat_dir(fs, &st, entry_newest_mtime(abfs_snapshot_lookup(snap, id)));
            if (fill(buf, id, &st, 0, FUSE_FILL_DIR_PLUS))
                break;
        }
    } else {
        AbfsEntry *entry = abfs_snapshot_lookup(snap, node.id);
        if (!entry) {
            rc = -ENOENT;
        } else {
            stat_dir(fs, &st, entry_newest_mtime(entry));
            fill(buf, ".", &st, 0, FUSE_FILL_DIR_PLUS);
            fill(buf, "..", NULL, 0, 0);
            guint n;
            const AbfsConnectionFile *files = abfs_connection_files(&n);
            for (guint i = 0; i < n; i++) {
                stat_connection_file(fs, entry, i, &st);
                if (fill(buf, files[i].name, &st, 0, FUSE_FILL_DIR_PLUS))
                    break;
            }
        }
    }
    abfs_snapshot_unref(snap);
    return rc;
}

/* An open file: the bytes it showed when opened, so every read of one open sees one version. */
typedef struct {
    char *data;
    gsize len;
} OpenFile;

static int op_open(const char *path, struct fuse_file_info *fi)
{
    AbfsFs *fs = fs_get();
    AbfsNode node;
    if (!abfs_tree_parse(path, &node))
        return -ENOENT;
    if (node.kind != ABFS_NODE_CONNECTION_FILE)
        return -EISDIR;
    if ((fi->flags & O_ACCMODE) != O_RDONLY || (fi->flags & O_TRUNC))
        return -EACCES;
    GError *err = NULL;
    AbfsSnapshot *snap = abfs_store_snapshot(fs->store, &err);
    if (!snap)
        return fail(err, path);
    AbfsEntry *entry = abfs_snapshot_lookup(snap, node.id);
    if (!entry) {
        abfs_snapshot_unref(snap);
        return -ENOENT;
    }
    OpenFile *of = g_new0(OpenFile, 1);
    const char *text = abfs_entry_render(entry, (guint)node.file, &of->len);
    of->data = g_memdup2(text, of->len);
    abfs_snapshot_unref(snap);
    fi->fh = (uint64_t)(uintptr_t)of;
    fi->keep_cache = 0;
    return 0;
}

static int op_read(const char *path, char *buf, size_t size, off_t offset, struct fuse_file_info *fi)
{
    (void)path;
    OpenFile *of = (OpenFile *)(uintptr_t)fi->fh;
    if (!of)
        return -EBADF;
    if (offset < 0 || (gsize)offset >= of->len)
        return 0;
    gsize n = MIN(size, of->len - (gsize)offset);
    memcpy(buf, of->data + offset, n);
    return (int)n;
}

static int op_release(const char *path, struct fuse_file_info *fi)
{
    (void)path;
    OpenFile *of = (OpenFile *)(uintptr_t)fi->fh;
    if (of) {
        g_free(of->data);
        g_free(of);
    }
    return 0;
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

static void *op_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
    (void)conn;
    cfg->use_ino = 0;
    cfg->nullpath_ok = 0;
    /* Values change remotely: let the kernel trust names and attributes only briefly, and drop a
     * file's pages on open (no kernel_cache), so a new open sees new bytes. */
    cfg->entry_timeout = 1.0;
    cfg->attr_timeout = 1.0;
    cfg->negative_timeout = 1.0;
    cfg->kernel_cache = 0;
    return fuse_get_context()->private_data;
}

static const struct fuse_operations operations = {
    .init = op_init,
    .getattr = op_getattr,
    .readdir = op_readdir,
    .open = op_open,
    .read = op_read,
    .release = op_release,
    .statfs = op_statfs,
};

const struct fuse_operations *abfs_fs_operations(void)
{
    return &operations;
}
