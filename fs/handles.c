/* handles.c — open files: reads of a fixed rendering, buffered writes to setting files committed
 * once on flush/fsync (commit.h), scratch files, and rename/unlink/truncate around them. */
#include "fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "artifacts.h"
#include "commit.h"
#include "connection_files.h"
#include "error.h"
#include "scratch.h"

#define SETTING_MAX_BYTES (4u * 1024 * 1024)

typedef enum {
    HANDLE_FIXED,
    HANDLE_SETTING,
    HANDLE_SCRATCH,
    HANDLE_CONTROL,
    HANDLE_LOG,
    HANDLE_ARTIFACT,
    HANDLE_ACTOR_NAME,
} HandleKind;

typedef struct {
    HandleKind kind;
    GMutex lock;
    char *path;
    /* HANDLE_FIXED: the bytes the file showed when opened, so all reads see one version. */
    char *data;
    gsize len;
    /* HANDLE_SETTING */
    GString *buf;
    gboolean dirty;     /* written since the last commit */
    int failed;         /* errno of a refused write: nothing is sent, and flush/close report it */
    AbfsEntry *base;    /* what the writer saw */
    char id[40];
    guint file;
    /* HANDLE_SCRATCH */
    Scratch *scratch;
    /* HANDLE_CONTROL (run, cancel): acts once, on the first flush; HANDLE_LOG: node to re-read */
    AbfsNode node;
    gboolean acted;
} Handle;

/* Every open handle, so that those the kernel never released (the session ended while a file
 * was open) are freed at unmount. */
static GMutex open_lock;
static GHashTable *open_handles;

static void handle_free(Handle *h);

static Handle *handle_new(HandleKind kind, const char *path)
{
    Handle *h = g_new0(Handle, 1);
    h->kind = kind;
    h->path = g_strdup(path);
    g_mutex_init(&h->lock);
    g_mutex_lock(&open_lock);
    if (!open_handles)
        open_handles = g_hash_table_new(g_direct_hash, g_direct_equal);
    g_hash_table_add(open_handles, h);
    g_mutex_unlock(&open_lock);
    return h;
}

void abfs_handles_cleanup(void)
{
    g_mutex_lock(&open_lock);
    GHashTable *left = open_handles;
    open_handles = NULL;
    g_mutex_unlock(&open_lock);
    if (!left)
        return;
    GList *all = g_hash_table_get_keys(left);
    g_hash_table_destroy(left);
    for (GList *l = all; l; l = l->next)
        handle_free(l->data);
    g_list_free(all);
}

static void handle_free(Handle *h)
{
    g_mutex_lock(&open_lock);
    if (open_handles)
        g_hash_table_remove(open_handles, h);
    g_mutex_unlock(&open_lock);
    g_free(h->path);
    g_free(h->data);
    if (h->buf)
        g_string_free(h->buf, TRUE);
    if (h->base)
        abfs_entry_unref(h->base);
    abfs_scratch_unref(h->scratch);
    g_mutex_clear(&h->lock);
    g_free(h);
}

static Handle *handle_of(struct fuse_file_info *fi)
{
    return (Handle *)(uintptr_t)fi->fh;
}

static void handle_set(struct fuse_file_info *fi, Handle *h)
{
    fi->fh = (uint64_t)(uintptr_t)h;
    fi->keep_cache = 0;
}

static gboolean wants_write(int flags)
{
    return (flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC);
}

static int open_connection_file(const char *path, const AbfsNode *node, int flags, struct fuse_file_info *fi)
{
    AbfsFs *fs = abfs_fs();
    guint n;
    const AbfsConnectionFile *row = &abfs_connection_files(&n)[node->file];
    if (wants_write(flags) && !row->parse)
        return -EACCES;
    GError *err = NULL;
    AbfsEntry *entry = abfs_store_entry(fs->store, node->id, &err);
    if (!entry)
        return abfs_fs_fail(err, path);
    gsize len;
    char *text = abfs_entry_render(entry, (guint)node->file, &len);
    Handle *h;
    if (wants_write(flags)) {
        h = handle_new(HANDLE_SETTING, path);
        h->buf = (flags & O_TRUNC) ? g_string_new(NULL) : g_string_new_len(text, (gssize)len);
        g_free(text);
        h->base = entry;
        g_strlcpy(h->id, node->id, sizeof h->id);
        h->file = (guint)node->file;
    } else {
        h = handle_new(HANDLE_FIXED, path);
        h->data = text;
        h->len = len;
        abfs_entry_unref(entry);
    }
    handle_set(fi, h);
    return 0;
}

static int open_job_node(const char *path, const AbfsNode *node, struct fuse_file_info *fi)
{
    AbfsFs *fs = abfs_fs();
    gboolean is_control = node->kind == ABFS_NODE_RUN ||
                          (node->kind == ABFS_NODE_JOB_FILE && strcmp(node->job_file, "cancel") == 0);
    if (is_control) {
        if ((fi->flags & O_ACCMODE) != O_WRONLY)
            return -EACCES;
        Handle *h = handle_new(HANDLE_CONTROL, path);
        h->node = *node;
        h->buf = g_string_new(NULL);
        handle_set(fi, h);
        fi->direct_io = 1;
        return 0;
    }
    if (wants_write(fi->flags))
        return -EACCES;
    Handle *h = handle_new(HANDLE_FIXED, path);
    int rc = 0;
    if (node->kind == ABFS_NODE_JOBS_URL) {
        h->data = abfs_jobs_url_text(node->id);
    } else if (strcmp(node->job_file, "wait") == 0) {
        GError *err = NULL;
        char *status = NULL;
        /* Each blocked reader holds a FUSE worker thread: past max_waiters, EAGAIN at once, so
         * that some threads always answer the other files. */
        if ((guint)g_atomic_int_add(&fs->waiters, 1) >= fs->max_waiters)
            g_set_error(&err, ABFS_ERROR, EAGAIN, "%u readers already wait for jobs (bounded by max_threads); "
                        "try again when one ends", fs->max_waiters);
        else
            status = abfs_jobs_wait(fs->jobs, node->id, node->job, fs->wait_timeout_s, abfs_fs_wait_should_stop, &err);
        g_atomic_int_add(&fs->waiters, -1);
        if (status) {
            h->data = g_strconcat(status, "\n", NULL);
            g_free(status);
        } else
            rc = err->code == EINTR ? (g_error_free(err), -EINTR) : abfs_fs_fail(err, path);
    } else {
        h->data = abfs_job_node_content(path, node, &rc);
        if (strcmp(node->job_file, "log") == 0) {
            h->kind = HANDLE_LOG; /* re-read at its end: tail -f sees new lines */
            h->node = *node;
        }
    }
    if (rc != 0) {
        handle_free(h);
        return rc;
    }
    h->len = strlen(h->data);
    handle_set(fi, h);
    fi->direct_io = 1; /* sizes of job files move while a job runs */
    return 0;
}

int abfs_op_open(const char *path, struct fuse_file_info *fi)
{
    AbfsFs *fs = abfs_fs();
    AbfsNode node;
    if (!abfs_tree_parse(path, &node))
        return -ENOENT;
    switch (node.kind) {
    case ABFS_NODE_WORKSPACE_JSON:
    case ABFS_NODE_WORKSPACE_URL:
    case ABFS_NODE_ACTOR_FILE: {
        gboolean writable = node.kind == ABFS_NODE_ACTOR_FILE && abfs_actor_file_writable(node.leaf);
        if (wants_write(fi->flags) && !writable)
            return -EACCES;
        int rc;
        char *text = abfs_tree_content(path, &node, &rc);
        if (!text)
            return rc;
        Handle *h = handle_new(wants_write(fi->flags) ? HANDLE_ACTOR_NAME : HANDLE_FIXED, path);
        if (h->kind == HANDLE_ACTOR_NAME) {
            h->node = node;
            h->buf = (fi->flags & O_TRUNC) ? g_string_new(NULL) : g_string_new(text);
            g_free(text);
        } else {
            h->data = text;
            h->len = strlen(text);
        }
        handle_set(fi, h);
        return 0;
    }
    case ABFS_NODE_ARTIFACT: {
        if (!abfs_fs_parent_exists(&node))
            return -ENOENT;
        Handle *h;
        if (wants_write(fi->flags)) {
            h = handle_new(HANDLE_ARTIFACT, path);
            h->node = node;
            h->buf = g_string_new(NULL);
            if (!(fi->flags & O_TRUNC)) {
                char *text = abfs_artifact_read(fs->client, node.id, (AbfsArtifact)node.file, NULL);
                if (text)
                    g_string_assign(h->buf, text);
                g_free(text);
            }
        } else {
            GError *err = NULL;
            char *text = abfs_artifact_read(fs->client, node.id, (AbfsArtifact)node.file, &err);
            if (!text)
                return abfs_fs_fail(err, path);
            h = handle_new(HANDLE_FIXED, path);
            h->data = text;
            h->len = strlen(text);
        }
        handle_set(fi, h);
        fi->direct_io = 1;
        return 0;
    }
    case ABFS_NODE_REFRESH: {
        if ((fi->flags & O_ACCMODE) != O_WRONLY)
            return -EACCES;
        Handle *h = handle_new(HANDLE_CONTROL, path);
        h->node = node;
        h->buf = g_string_new(NULL);
        handle_set(fi, h);
        fi->direct_io = 1;
        return 0;
    }
    case ABFS_NODE_RUN:
    case ABFS_NODE_JOBS_URL:
    case ABFS_NODE_JOB_FILE:
        if (!abfs_fs_parent_exists(&node))
            return -ENOENT;
        return open_job_node(path, &node, fi);
    case ABFS_NODE_CONNECTION_FILE:
        return open_connection_file(path, &node, fi->flags, fi);
    case ABFS_NODE_ERRORS: {
        if (wants_write(fi->flags))
            return -EACCES;
        Handle *h = handle_new(HANDLE_FIXED, path);
        h->data = abfs_errlog_text(fs->errlog, NULL);
        h->len = strlen(h->data);
        handle_set(fi, h);
        return 0;
    }
    case ABFS_NODE_SCRATCH: {
        Scratch *s = abfs_scratch_lookup(path);
        if (!s)
            return -ENOENT;
        if (fi->flags & O_TRUNC)
            abfs_scratch_truncate(s, 0);
        Handle *h = handle_new(HANDLE_SCRATCH, path);
        h->scratch = s;
        handle_set(fi, h);
        return 0;
    }
    default:
        return -EISDIR;
    }
}

int abfs_op_create(const char *path, mode_t mode, struct fuse_file_info *fi)
{
    AbfsNode node;
    if (!abfs_tree_parse(path, &node))
        return -EACCES;
    if (node.kind == ABFS_NODE_CONNECTION_FILE)
        return open_connection_file(path, &node, fi->flags | O_TRUNC, fi);
    if (node.kind != ABFS_NODE_SCRATCH)
        return -EACCES;
    if (!abfs_fs_parent_exists(&node))
        return -ENOENT;
    Scratch *s = NULL;
    int rc = abfs_scratch_create(path, mode, &s);
    if (rc != 0)
        return rc;
    Handle *h = handle_new(HANDLE_SCRATCH, path);
    h->scratch = s;
    handle_set(fi, h);
    return 0;
}

int abfs_op_read(const char *path, char *buf, size_t size, off_t offset, struct fuse_file_info *fi)
{
    (void)path;
    Handle *h = handle_of(fi);
    if (!h)
        return -EBADF;
    if (h->kind == HANDLE_SCRATCH)
        return abfs_scratch_read(h->scratch, buf, size, offset);
    if (h->kind == HANDLE_CONTROL)
        return -EBADF;
    g_mutex_lock(&h->lock);
    if (h->kind == HANDLE_LOG && offset >= 0 && (gsize)offset + size > h->len) {
        int rc;
        char *fresh = abfs_job_node_content(h->path, &h->node, &rc);
        if (fresh && strlen(fresh) >= h->len) {
            g_free(h->data);
            h->data = fresh;
            h->len = strlen(fresh);
        } else
            g_free(fresh);
    }
    gboolean buffered = h->kind == HANDLE_SETTING || h->kind == HANDLE_ARTIFACT || h->kind == HANDLE_ACTOR_NAME;
    const char *data = buffered ? h->buf->str : h->data;
    gsize len = buffered ? h->buf->len : h->len;
    int n = 0;
    if (offset >= 0 && (gsize)offset < len) {
        n = (int)MIN(size, len - (gsize)offset);
        memcpy(buf, data + offset, (size_t)n);
    }
    g_mutex_unlock(&h->lock);
    return n;
}

int abfs_op_write(const char *path, const char *buf, size_t size, off_t offset, struct fuse_file_info *fi)
{
    (void)path;
    Handle *h = handle_of(fi);
    if (!h)
        return -EBADF;
    if (h->kind == HANDLE_SCRATCH)
        return abfs_scratch_write(h->scratch, buf, size, offset);
    if (h->kind == HANDLE_CONTROL) {
        g_mutex_lock(&h->lock);
        int rc = (int)size;
        if (h->failed)
            rc = -h->failed;
        else if (h->buf->len + size > 4096)
            rc = -(h->failed = EFBIG); /* no command is that long: act on none of it */
        else
            g_string_append_len(h->buf, buf, (gssize)size);
        g_mutex_unlock(&h->lock);
        return rc;
    }
    if (h->kind != HANDLE_SETTING && h->kind != HANDLE_ARTIFACT && h->kind != HANDLE_ACTOR_NAME)
        return -EBADF;
    g_mutex_lock(&h->lock);
    if (h->failed || offset < 0 || (guint64)offset + size > SETTING_MAX_BYTES) {
        /* A refused write spoils the whole value: what came before it is never sent either. */
        if (!h->failed)
            h->failed = EFBIG;
        h->dirty = FALSE;
        int rc = -h->failed;
        g_mutex_unlock(&h->lock);
        return rc;
    }
    if ((gsize)offset > h->buf->len) {
        gsize old = h->buf->len;
        g_string_set_size(h->buf, (gsize)offset);
        memset(h->buf->str + old, 0, (gsize)offset - old);
    }
    if ((gsize)offset + size > h->buf->len)
        g_string_set_size(h->buf, (gsize)offset + size);
    memcpy(h->buf->str + offset, buf, size);
    h->dirty = TRUE;
    int rc = (int)size;
    guint n;
    const AbfsConnectionFile *row = &abfs_connection_files(&n)[h->file];
    if (h->kind == HANDLE_SETTING && row->single_line && (gsize)offset + size == h->buf->len && h->buf->str[h->buf->len - 1] == '\n') {
        /* The value is complete: refuse a bad one now, where even a shell sees the error. */
        GError *err = NULL;
        if (!abfs_validate_connection_file(h->file, h->base, h->buf->str, h->buf->len, &err)) {
            h->dirty = FALSE; /* dropped: close must not send it; it reports the refusal again */
            rc = abfs_fs_fail(err, h->path);
            h->failed = -rc;
        }
    }
    g_mutex_unlock(&h->lock);
    return rc;
}

/* Commits text to a connection file; logs and returns -errno on failure. */
static int commit(const char *path, const char *id, guint file, AbfsEntry *base, char *text, gsize len)
{
    AbfsFs *fs = abfs_fs();
    GError *err = NULL;
    if (!abfs_commit_connection_file(fs->store, id, file, base, text, len, &err))
        return abfs_fs_fail(err, path);
    abfs_invalidate_later(path);
    return 0;
}

/* run: start a job; cancel: cancel one. Once per open file: on the first flush after something was
 * written (a shell's dup2-then-close flushes before the command writes), or at release when nothing
 * was written at all (`: > run`). */
static int act(Handle *h, gboolean last)
{
    AbfsFs *fs = abfs_fs();
    g_mutex_lock(&h->lock);
    if (h->failed) {
        int rc = -h->failed;
        g_mutex_unlock(&h->lock);
        return rc;
    }
    if (h->acted || (!last && h->buf->len == 0)) {
        g_mutex_unlock(&h->lock);
        return 0;
    }
    h->acted = TRUE;
    char *text = g_strndup(h->buf->str, h->buf->len);
    gsize len = h->buf->len;
    g_mutex_unlock(&h->lock);
    abfs_strip_one_newline(text, &len);
    if (h->node.kind == ABFS_NODE_REFRESH) {
        g_free(text);
        abfs_refresh_all(fs);
        return 0;
    }
    GError *err = NULL;
    gboolean ok = h->node.kind == ABFS_NODE_RUN
                      ? abfs_jobs_run(fs->jobs, h->node.id, text, NULL, &err)
                      : abfs_jobs_cancel(fs->jobs, h->node.id, h->node.job, &err);
    g_free(text);
    if (!ok)
        return abfs_fs_fail(err, h->path);
    char *jobs_dir = g_strdup_printf("/connections/%s/jobs", h->node.id);
    abfs_invalidate_later(jobs_dir);
    char *latest = g_strconcat(jobs_dir, "/latest", NULL);
    abfs_invalidate_later(latest);
    g_free(latest);
    g_free(jobs_dir);
    return 0;
}

/* Sends text (NUL-terminated at len) as the new content of an API-backed file other than a
 * connection setting: state.json, catalog.json, or an actor's name. 0 or -errno (logged). */
static int write_node_text(const char *path, const AbfsNode *node, const char *text, gsize len)
{
    AbfsFs *fs = abfs_fs();
    GError *err = NULL;
    gboolean ok = node->kind == ABFS_NODE_ACTOR_FILE
                      ? abfs_actor_rename(fs->actors, (AbfsActorKind)node->file, node->id, text, len, &err)
                      : abfs_artifact_write(fs->client, node->id, (AbfsArtifact)node->file, text, len, &err);
    if (!ok)
        return abfs_fs_fail(err, path);
    if (node->kind == ABFS_NODE_ARTIFACT && node->file == ABFS_ARTIFACT_CATALOG)
        abfs_store_invalidate(fs->store); /* the catalog is the connection's streams */
    abfs_invalidate_later(path);
    return 0;
}

static int commit_artifact(Handle *h)
{
    g_mutex_lock(&h->lock);
    int rc = h->failed ? -h->failed : 0;
    if (h->dirty && !h->failed) {
        h->dirty = FALSE;
        rc = write_node_text(h->path, &h->node, h->buf->str, h->buf->len);
    }
    g_mutex_unlock(&h->lock);
    return rc;
}

static int commit_handle(Handle *h)
{
    if (h->kind == HANDLE_CONTROL)
        return act(h, FALSE);
    if (h->kind == HANDLE_ARTIFACT || h->kind == HANDLE_ACTOR_NAME)
        return commit_artifact(h);
    if (h->kind != HANDLE_SETTING)
        return 0;
    g_mutex_lock(&h->lock);
    if (h->failed || !h->dirty) {
        int rc = -h->failed;
        g_mutex_unlock(&h->lock);
        return rc;
    }
    /* One commit per batch of writes, even if it fails: a later close must not send it again. */
    h->dirty = FALSE;
    gsize len = h->buf->len;
    char *text = g_strndup(h->buf->str, len);
    int rc = commit(h->path, h->id, h->file, h->base, text, len);
    if (rc == 0) {
        AbfsEntry *now = abfs_store_entry(abfs_fs()->store, h->id, NULL);
        if (now) {
            abfs_entry_unref(h->base);
            h->base = now;
        }
    }
    g_mutex_unlock(&h->lock);
    g_free(text);
    return rc;
}

int abfs_op_flush(const char *path, struct fuse_file_info *fi)
{
    (void)path;
    Handle *h = handle_of(fi);
    return h ? commit_handle(h) : 0;
}

int abfs_op_fsync(const char *path, int datasync, struct fuse_file_info *fi)
{
    (void)path;
    (void)datasync;
    Handle *h = handle_of(fi);
    return h ? commit_handle(h) : 0;
}

int abfs_op_release(const char *path, struct fuse_file_info *fi)
{
    (void)path;
    Handle *h = handle_of(fi);
    if (h && h->kind == HANDLE_CONTROL)
        act(h, TRUE); /* nothing was written: an empty write means sync; errors go to `errors` */
    if (h)
        handle_free(h);
    return 0;
}

int abfs_op_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
    Handle *h = fi ? handle_of(fi) : NULL;
    if (size < 0)
        return -EINVAL;
    if (h && h->kind == HANDLE_SCRATCH)
        return abfs_scratch_truncate(h->scratch, size);
    if (h && (h->kind == HANDLE_SETTING || h->kind == HANDLE_ARTIFACT || h->kind == HANDLE_ACTOR_NAME)) {
        g_mutex_lock(&h->lock);
        if ((guint64)size > SETTING_MAX_BYTES) {
            h->failed = EFBIG;
            h->dirty = FALSE;
            g_mutex_unlock(&h->lock);
            return -EFBIG;
        }
        gsize old = h->buf->len;
        g_string_set_size(h->buf, (gsize)size);
        if ((gsize)size > old)
            memset(h->buf->str + old, 0, (gsize)size - old);
        g_mutex_unlock(&h->lock);
        return 0; /* a truncate alone is never sent */
    }
    AbfsNode node;
    if (!abfs_tree_parse(path, &node))
        return -ENOENT;
    if (node.kind == ABFS_NODE_SCRATCH) {
        Scratch *s = abfs_scratch_lookup(path);
        if (!s)
            return -ENOENT;
        int rc = abfs_scratch_truncate(s, size);
        abfs_scratch_unref(s);
        return rc;
    }
    if (node.kind == ABFS_NODE_ARTIFACT || (node.kind == ABFS_NODE_ACTOR_FILE && abfs_actor_file_writable(node.leaf)))
        return 0; /* as for settings: a truncate alone is never sent */
    if (node.kind == ABFS_NODE_CONNECTION_FILE) {
        guint n;
        /* Without an open file there is nothing to commit: a truncate alone never sends an
         * empty value. */
        return abfs_connection_files(&n)[node.file].parse ? 0 : -EACCES;
    }
    return -EISDIR;
}

int abfs_op_rename(const char *from, const char *to, unsigned int flags)
{
    AbfsNode src, dst;
    if (!abfs_tree_parse(from, &src))
        return -ENOENT;
    if (!abfs_tree_parse(to, &dst))
        return -EACCES;
    if (flags & RENAME_EXCHANGE)
        return -EINVAL;

    if (src.kind == ABFS_NODE_SCRATCH && dst.kind == ABFS_NODE_SCRATCH) {
        if (!abfs_fs_parent_exists(&dst))
            return -ENOENT;
        Scratch *existing = abfs_scratch_lookup(to);
        if (existing) {
            abfs_scratch_unref(existing);
            if (flags & RENAME_NOREPLACE)
                return -EEXIST;
        }
        return abfs_scratch_rename(from, to);
    }
    if (src.kind == ABFS_NODE_SCRATCH &&
        (dst.kind == ABFS_NODE_CONNECTION_FILE || dst.kind == ABFS_NODE_ARTIFACT || dst.kind == ABFS_NODE_ACTOR_FILE)) {
        /* A tool saving through a temporary file: the rename commits its content, validated. */
        if (flags & RENAME_NOREPLACE)
            return -EEXIST;
        guint n;
        if ((dst.kind == ABFS_NODE_CONNECTION_FILE && !abfs_connection_files(&n)[dst.file].parse) ||
            (dst.kind == ABFS_NODE_ACTOR_FILE && !abfs_actor_file_writable(dst.leaf)))
            return -EACCES;
        Scratch *s = abfs_scratch_lookup(from);
        if (!s)
            return -ENOENT;
        gsize len;
        char *text = abfs_scratch_content(s, &len);
        abfs_scratch_unref(s);
        int rc = dst.kind == ABFS_NODE_CONNECTION_FILE ? commit(to, dst.id, (guint)dst.file, NULL, text, len)
                                                       : write_node_text(to, &dst, text, len);
        g_free(text);
        if (rc == 0)
            abfs_scratch_unlink(from);
        return rc;
    }
    if ((src.kind == ABFS_NODE_CONNECTION_FILE || src.kind == ABFS_NODE_ARTIFACT || src.kind == ABFS_NODE_ACTOR_FILE) &&
        dst.kind == ABFS_NODE_SCRATCH) {
        /* An editor's backup-by-rename: the setting cannot leave, so the backup gets a copy. */
        GError *err = NULL;
        char *text;
        if (src.kind == ABFS_NODE_ARTIFACT) {
            text = abfs_artifact_read(abfs_fs()->client, src.id, (AbfsArtifact)src.file, &err);
        } else if (src.kind == ABFS_NODE_ACTOR_FILE) {
            text = abfs_actor_file(abfs_fs()->actors, (AbfsActorKind)src.file, src.id, src.leaf, &err);
        } else {
            AbfsEntry *entry = abfs_store_entry(abfs_fs()->store, src.id, &err);
            text = entry ? abfs_entry_render(entry, (guint)src.file, NULL) : NULL;
            if (entry)
                abfs_entry_unref(entry);
        }
        if (!text)
            return abfs_fs_fail(err, from);
        Scratch *s = NULL;
        int rc = abfs_scratch_create(to, 0644, &s);
        if (rc == 0) {
            abfs_scratch_write(s, text, strlen(text), 0);
            abfs_scratch_unref(s);
        }
        g_free(text);
        return rc;
    }
    return -EPERM;
}

int abfs_op_unlink(const char *path)
{
    AbfsNode node;
    if (!abfs_tree_parse(path, &node))
        return -ENOENT;
    switch (node.kind) {
    case ABFS_NODE_SCRATCH:
        return abfs_scratch_unlink(path);
    case ABFS_NODE_ROOT:
    case ABFS_NODE_CONNECTIONS:
    case ABFS_NODE_CONNECTION:
    case ABFS_NODE_SETTINGS:
    case ABFS_NODE_JOBS:
    case ABFS_NODE_JOB:
        return -EISDIR;
    default:
        return -EPERM; /* API-backed files cannot be removed */
    }
}
