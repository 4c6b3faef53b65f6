/* ops.c — the FUSE operations table, attributes and directory listings of the tree (tree.h),
 * served from the store's snapshots (store.h). File I/O lives in handles.c. */
#include "fs.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "connection_files.h"
#include "artifacts.h"
#include "resources.h"
#include "error.h"
#include "scratch.h"

AbfsFs *abfs_fs(void)
{
    return fuse_get_context()->private_data;
}

int abfs_fs_fail(GError *err, const char *path)
{
    if (!err) { /* a failure that forgot its reason: still an error, never a crash */
        g_warning("%s: failed without a reason (a bug)", path);
        return -EIO;
    }
    int code = err->domain == ABFS_ERROR && err->code > 0 ? err->code : EIO;
    if (code != ENOENT) {
        abfs_errlog_add(abfs_fs()->errlog, path, code, err->message);
        abfs_invalidate_later("/errors"); /* its size just changed */
    }
    g_error_free(err);
    return -code;
}

gboolean abfs_fs_parent_exists(const AbfsNode *node)
{
    if (node->kind == ABFS_NODE_SCRATCH && strcmp(node->parent, "/settings") == 0)
        return TRUE;
    if (node->kind == ABFS_NODE_SCRATCH && !g_str_has_prefix(node->parent, "/connections/"))
        return abfs_actor_exists(abfs_fs()->actors, (AbfsActorKind)node->file, node->id, NULL);
    AbfsEntry *e = abfs_store_entry(abfs_fs()->store, node->id, NULL);
    if (!e)
        return FALSE;
    abfs_entry_unref(e);
    return TRUE;
}

void abfs_fill_stat(struct stat *st, mode_t mode, gsize size, gint64 mtime)
{
    AbfsFs *fs = abfs_fs();
    memset(st, 0, sizeof *st);
    st->st_mode = mode;
    st->st_nlink = S_ISDIR(mode) ? 2 : 1;
    st->st_uid = fs->uid;
    st->st_gid = fs->gid;
    st->st_size = (off_t)size;
    st->st_blksize = 4096;
    st->st_blocks = (blkcnt_t)((size + 511) / 512);
    st->st_mtime = st->st_ctime = st->st_atime = (time_t)mtime;
}

static void stat_dir(AbfsFs *fs, struct stat *st, mode_t mode, gint64 mtime)
{
    (void)fs;
    abfs_fill_stat(st, S_IFDIR | mode, 0, mtime);
}

static void stat_file(AbfsFs *fs, struct stat *st, mode_t mode, gsize size, gint64 mtime)
{
    (void)fs;
    abfs_fill_stat(st, S_IFREG | mode, size, mtime);
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
    guint n;
    const AbfsConnectionFile *files = abfs_connection_files(&n);
    stat_file(fs, st, files[file].parse ? 0644 : 0444, abfs_entry_size(entry, file), abfs_entry_mtime(entry, file));
}

static int stat_scratch(AbfsFs *fs, const char *path, struct stat *st)
{
    Scratch *s = abfs_scratch_lookup(path);
    if (!s)
        return -ENOENT;
    mode_t mode;
    off_t size;
    gint64 mtime;
    abfs_scratch_stat(s, &mode, &size, &mtime);
    abfs_scratch_unref(s);
    stat_file(fs, st, mode, (gsize)size, mtime);
    return 0;
}

static void stat_errors(AbfsFs *fs, struct stat *st)
{
    gint64 newest;
    char *text = abfs_errlog_text(fs->errlog, &newest);
    stat_file(fs, st, 0444, strlen(text), newest ? newest : fs->mount_time);
    g_free(text);
}

static int op_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
    (void)fi;
    AbfsFs *fs = abfs_fs();
    AbfsNode node;
    if (!abfs_tree_parse(path, &node))
        return -ENOENT;
    switch (node.kind) {
    case ABFS_NODE_ROOT:
        stat_dir(fs, st, 0555, fs->mount_time);
        return 0;
    case ABFS_NODE_CONNECTIONS:
        /* writable so that rmdir of a connection reaches airbytefs (which decides) for any user */
        stat_dir(fs, st, 0755, fs->mount_time);
        return 0;
    case ABFS_NODE_SETTINGS:
        stat_dir(fs, st, 0755, fs->mount_time);
        return 0;
    case ABFS_NODE_ERRORS:
        stat_errors(fs, st);
        return 0;
    case ABFS_NODE_REFRESH:
        stat_file(fs, st, 0200, 0, fs->mount_time);
        return 0;
    case ABFS_NODE_SCRATCH:
        return stat_scratch(fs, path, st);
    case ABFS_NODE_CONNECTION:
    case ABFS_NODE_CONNECTION_FILE:
        break;
    case ABFS_NODE_ARTIFACT: {
        if (!abfs_fs_parent_exists(&node))
            return -ENOENT;
        /* Sized by reading it; if the Config API cannot say, the file still lists (size 0) and
         * opening it reports why. */
        char *text = abfs_artifact_read(fs->client, node.id, (AbfsArtifact)node.file, NULL);
        stat_file(fs, st, 0644, text ? strlen(text) : 0, fs->mount_time);
        g_free(text);
        return 0;
    }
    case ABFS_NODE_RUN:
    case ABFS_NODE_JOBS:
    case ABFS_NODE_JOBS_LATEST:
    case ABFS_NODE_JOBS_URL:
    case ABFS_NODE_JOB:
    case ABFS_NODE_JOB_FILE:
        return abfs_jobs_getattr(path, &node, st);
    case ABFS_NODE_CONNECTION_LINK:
        if (!abfs_fs_parent_exists(&node))
            return -ENOENT;
        return abfs_workspace_getattr(path, &node, st);
    case ABFS_NODE_WORKSPACE_JSON:
    case ABFS_NODE_WORKSPACE_URL:
    case ABFS_NODE_BY_NAME:
    case ABFS_NODE_BY_NAME_LINK:
    case ABFS_NODE_ACTORS:
    case ABFS_NODE_ACTOR:
    case ABFS_NODE_ACTOR_FILE:
    case ABFS_NODE_ACTOR_CONNECTIONS:
    case ABFS_NODE_ACTOR_CONNECTION_LINK:
        return abfs_workspace_getattr(path, &node, st);
    }
    GError *err = NULL;
    AbfsEntry *entry = abfs_store_entry(fs->store, node.id, &err);
    if (!entry)
        return abfs_fs_fail(err, path);
    if (node.kind == ABFS_NODE_CONNECTION)
        stat_dir(fs, st, 0755, entry_newest_mtime(entry));
    else
        stat_connection_file(fs, entry, (guint)node.file, st);
    abfs_entry_unref(entry);
    return 0;
}

void abfs_fill_scratches(const char *dir, void *buf, fuse_fill_dir_t fill)
{
    AbfsFs *fs = abfs_fs();
    GPtrArray *names = abfs_scratch_list(dir);
    struct stat st;
    for (guint i = 0; i < names->len; i++) {
        char *path = g_strconcat(dir, "/", (char *)g_ptr_array_index(names, i), NULL);
        if (stat_scratch(fs, path, &st) == 0)
            fill(buf, g_ptr_array_index(names, i), &st, 0, FUSE_FILL_DIR_PLUS);
        g_free(path);
    }
    g_ptr_array_free(names, TRUE);
}

static int op_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t offset,
                      struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
    (void)offset;
    (void)fi;
    (void)flags;
    AbfsFs *fs = abfs_fs();
    AbfsNode node;
    struct stat st;
    if (!abfs_tree_parse(path, &node))
        return -ENOENT;
    switch (node.kind) {
    case ABFS_NODE_JOBS:
    case ABFS_NODE_JOB:
        fill(buf, ".", NULL, 0, 0);
        fill(buf, "..", NULL, 0, 0);
        return abfs_jobs_readdir(path, &node, buf, fill);
    case ABFS_NODE_BY_NAME:
    case ABFS_NODE_ACTORS:
    case ABFS_NODE_ACTOR:
    case ABFS_NODE_ACTOR_CONNECTIONS:
        fill(buf, ".", NULL, 0, 0);
        fill(buf, "..", NULL, 0, 0);
        return abfs_workspace_readdir(path, &node, buf, fill);
    case ABFS_NODE_ROOT:
    case ABFS_NODE_CONNECTIONS:
    case ABFS_NODE_CONNECTION:
    case ABFS_NODE_SETTINGS:
        break;
    default:
        return -ENOTDIR;
    }

    fill(buf, ".", NULL, 0, 0);
    fill(buf, "..", NULL, 0, 0);
    if (node.kind == ABFS_NODE_ROOT) {
        stat_dir(fs, &st, 0755, fs->mount_time);
        fill(buf, "connections", &st, 0, FUSE_FILL_DIR_PLUS);
        fill(buf, "settings", &st, 0, FUSE_FILL_DIR_PLUS);
        stat_errors(fs, &st);
        fill(buf, "errors", &st, 0, FUSE_FILL_DIR_PLUS);
        static const char *const more[] = {".refresh", "workspace.json", "url", "by-name", "sources", "destinations"};
        for (gsize i = 0; i < G_N_ELEMENTS(more); i++)
            fill(buf, more[i], NULL, 0, 0);
        return 0;
    }

    GError *err = NULL;
    AbfsSnapshot *snap = abfs_store_snapshot(fs->store, &err);
    if (!snap)
        return abfs_fs_fail(err, path);
    int rc = 0;
    guint nfiles;
    const AbfsConnectionFile *files = abfs_connection_files(&nfiles);
    if (node.kind == ABFS_NODE_CONNECTIONS) {
        for (guint i = 0; i < abfs_snapshot_count(snap); i++) {
            const char *id = abfs_snapshot_id(snap, i);
            stat_dir(fs, &st, 0755, entry_newest_mtime(abfs_snapshot_lookup(snap, id)));
            if (fill(buf, id, &st, 0, FUSE_FILL_DIR_PLUS))
                break;
        }
    } else if (node.kind == ABFS_NODE_SETTINGS) {
        int row = abfs_connection_file_index("settings.json");
        for (guint i = 0; i < abfs_snapshot_count(snap); i++) {
            const char *id = abfs_snapshot_id(snap, i);
            char *name = abfs_tree_settings_name(id);
            stat_connection_file(fs, abfs_snapshot_lookup(snap, id), (guint)row, &st);
            int full = fill(buf, name, &st, 0, FUSE_FILL_DIR_PLUS);
            g_free(name);
            if (full)
                break;
        }
        abfs_fill_scratches(path, buf, fill);
    } else {
        AbfsEntry *entry = abfs_snapshot_lookup(snap, node.id);
        if (!entry) {
            rc = -ENOENT;
        } else {
            for (guint i = 0; i < nfiles; i++) {
                stat_connection_file(fs, entry, i, &st);
                if (fill(buf, files[i].name, &st, 0, FUSE_FILL_DIR_PLUS))
                    break;
            }
            fill(buf, "state.json", NULL, 0, 0);
            fill(buf, "catalog.json", NULL, 0, 0);
            fill(buf, "source", NULL, 0, 0);
            fill(buf, "destination", NULL, 0, 0);
            fill(buf, "run", NULL, 0, 0);
            fill(buf, "jobs", NULL, 0, 0);
            abfs_fill_scratches(path, buf, fill);
        }
    }
    abfs_snapshot_unref(snap);
    return rc;
}

/* chmod, chown and utimens: accepted on setting files and directories without changing anything
 * (tools such as rsync, cp -p and editors call them); kept on scratch files. */
static int op_chmod(const char *path, mode_t mode, struct fuse_file_info *fi)
{
    (void)fi;
    AbfsNode node;
    if (!abfs_tree_parse(path, &node))
        return -ENOENT;
    if (node.kind == ABFS_NODE_SCRATCH) {
        Scratch *s = abfs_scratch_lookup(path);
        if (!s)
            return -ENOENT;
        abfs_scratch_set_mode(s, mode);
        abfs_scratch_unref(s);
    }
    return 0;
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
    if (node.kind == ABFS_NODE_SCRATCH) {
        Scratch *s = abfs_scratch_lookup(path);
        if (!s)
            return -ENOENT;
        gint64 mtime = tv && tv[1].tv_nsec != UTIME_NOW && tv[1].tv_nsec != UTIME_OMIT
                           ? (gint64)tv[1].tv_sec
                           : g_get_real_time() / G_USEC_PER_SEC;
        if (!tv || tv[1].tv_nsec != UTIME_OMIT)
            abfs_scratch_set_mtime(s, mtime);
        abfs_scratch_unref(s);
    }
    return 0;
}

static int op_symlink(const char *target, const char *path)
{
    (void)target;
    (void)path;
    return -EPERM;
}

static int op_mkdir(const char *path, mode_t mode)
{
    (void)path;
    (void)mode;
    return -EPERM;
}

/* Deletes an actor after its connection went, unless another connection still uses it. */
static void cascade(AbfsFs *fs, AbfsActorKind kind, const char *actor_id, const char *path)
{
    GError *err = NULL;
    AbfsSnapshot *snap = abfs_store_snapshot(fs->store, &err);
    if (!snap) {
        abfs_fs_fail(err, path);
        return;
    }
    AbfsEntryField key = kind == ABFS_ACTOR_SOURCE ? ABFS_ENTRY_SOURCE_ID : ABFS_ENTRY_DESTINATION_ID;
    gboolean used = FALSE;
    for (guint i = 0; i < abfs_snapshot_count(snap) && !used; i++)
        used = g_strcmp0(abfs_entry_field(abfs_snapshot_lookup(snap, abfs_snapshot_id(snap, i)), key), actor_id) == 0;
    abfs_snapshot_unref(snap);
    if (used) {
        abfs_errlog_add(fs->errlog, path, EBUSY,
                        kind == ABFS_ACTOR_SOURCE ? "source kept: another connection uses it"
                                                  : "destination kept: another connection uses it");
        abfs_invalidate_later("/errors");
    } else if (!abfs_actor_delete(fs->actors, kind, actor_id, &err))
        abfs_fs_fail(err, path);
}

/* rmdir connections/<id>: PyAirbyte's permanently_delete, only with -o allow_delete. */
static int op_rmdir(const char *path)
{
    AbfsFs *fs = abfs_fs();
    AbfsNode node;
    if (!abfs_tree_parse(path, &node))
        return -ENOENT;
    if (node.kind != ABFS_NODE_CONNECTION)
        return -EPERM;
    GError *err = NULL;
    AbfsEntry *e = abfs_store_entry(fs->store, node.id, &err);
    if (!e)
        return abfs_fs_fail(err, path);
    char *source = g_strdup(abfs_entry_field(e, ABFS_ENTRY_SOURCE_ID));
    char *destination = g_strdup(abfs_entry_field(e, ABFS_ENTRY_DESTINATION_ID));
    abfs_entry_unref(e);
    int rc = 0;
    if (!fs->allow_delete) {
        abfs_errlog_add(fs->errlog, path, EPERM,
                        "deleting a connection needs the mount option allow_delete (see airbytefs(1))");
        abfs_invalidate_later("/errors");
        rc = -EPERM;
    } else if (!abfs_connection_delete(fs->client, node.id, &err)) {
        rc = abfs_fs_fail(err, path);
    } else {
        abfs_store_invalidate(fs->store);
        abfs_scratch_forget_under(path);
        if (fs->delete_source)
            cascade(fs, ABFS_ACTOR_SOURCE, source, path);
        if (fs->delete_destination)
            cascade(fs, ABFS_ACTOR_DESTINATION, destination, path);
        abfs_invalidate_later("/connections");
    }
    g_free(source);
    g_free(destination);
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
    .readlink = abfs_op_readlink,
    .readdir = op_readdir,
    .open = abfs_op_open,
    .create = abfs_op_create,
    .read = abfs_op_read,
    .write = abfs_op_write,
    .flush = abfs_op_flush,
    .fsync = abfs_op_fsync,
    .release = abfs_op_release,
    .truncate = abfs_op_truncate,
    .rename = abfs_op_rename,
    .unlink = abfs_op_unlink,
    .chmod = op_chmod,
    .chown = op_chown,
    .utimens = op_utimens,
    .mkdir = op_mkdir,
    .symlink = op_symlink,
    .rmdir = op_rmdir,
    .statfs = op_statfs,
    .getxattr = abfs_op_getxattr,
    .listxattr = abfs_op_listxattr,
    .fsyncdir = op_fsyncdir,
};

const struct fuse_operations *abfs_fs_operations(void)
{
    return &operations;
}
