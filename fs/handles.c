/* handles.c — open files of every shape (handles.h): fixed and following texts, write buffers
 * committed once through their node, control files that act once, and scratch files. */
#include "handles.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>

#include "connection_files.h"
#include "error.h"

typedef enum { SHAPE_TEXT, SHAPE_BUFFER, SHAPE_CONTROL, SHAPE_SCRATCH, SHAPE_DRAFT, SHAPE_STREAM } Shape;

struct AbfsHandle {
    Shape shape;
    AbfsNode node;
    const AbfsNodeType *type;
    char *path;
    GMutex lock;
    GString *data;      /* text: what readers see; buffer, control: what was written; protected by lock */
    gboolean follow;    /* text: read again at its end */
    AbfsEntry *base;    /* buffer: what the writer saw (ESTALE is judged against it); protected by lock */
    gboolean dirty;     /* buffer: written since the last commit; protected by lock */
    int failed;         /* errno of a refused write: nothing is sent, flush reports it; protected by lock */
    gboolean acted;     /* control: the action ran; buffer: a one-line value was sent; protected by lock */
    gboolean direct_io; /* set before install */
    gboolean page_cached; /* text: read through the kernel's pages (pagecache.c); set at open */
    int end_error;      /* text: what a read at the end returns instead of 0 */
    Scratch *scratch;   /* scratch, draft: where the content is kept */
    gpointer stream;    /* stream: its node's state (thread-safe by itself) */
};

/* Every handle given to the kernel, so that those it never released (the session ended while a
 * file was open) are freed at unmount. */
static GMutex open_lock;
static GHashTable *open_handles; /* protected by open_lock */

static AbfsHandle *handle_new(Shape shape, const char *path, const AbfsNode *node)
{
    AbfsHandle *h = g_new0(AbfsHandle, 1);
    h->shape = shape;
    h->node = *node;
    h->type = abfs_node_type(node->kind);
    h->path = g_strdup(path);
    h->node.path = h->path; /* the node's own path is the caller's: keep ours */
    g_mutex_init(&h->lock);
    return h;
}

AbfsHandle *abfs_handle_text(const char *path, const AbfsNode *node, char *text, gboolean follow)
{
    AbfsHandle *h = handle_new(SHAPE_TEXT, path, node);
    h->data = g_string_new(text);
    g_free(text);
    h->follow = follow;
    return h;
}

AbfsHandle *abfs_handle_buffer(const char *path, const AbfsNode *node, const char *initial, AbfsEntry *base)
{
    AbfsHandle *h = handle_new(SHAPE_BUFFER, path, node);
    h->data = g_string_new(initial);
    h->base = base ? abfs_entry_ref(base) : NULL;
    return h;
}

AbfsHandle *abfs_handle_control(const char *path, const AbfsNode *node)
{
    AbfsHandle *h = handle_new(SHAPE_CONTROL, path, node);
    h->data = g_string_new(NULL);
    h->direct_io = TRUE;
    return h;
}

AbfsHandle *abfs_handle_scratch(const char *path, const AbfsNode *node, Scratch *s)
{
    AbfsHandle *h = handle_new(SHAPE_SCRATCH, path, node);
    h->scratch = s;
    return h;
}

AbfsHandle *abfs_handle_draft(const char *path, const AbfsNode *node, Scratch *s)
{
    AbfsHandle *h = handle_new(SHAPE_DRAFT, path, node);
    h->scratch = s;
    h->direct_io = TRUE; /* the content goes away when it is sent: no pages to keep */
    return h;
}

AbfsHandle *abfs_handle_stream(const char *path, const AbfsNode *node, gpointer stream)
{
    AbfsHandle *h = handle_new(SHAPE_STREAM, path, node);
    h->stream = stream;
    h->direct_io = TRUE; /* every read reaches the stream, none is answered from pages */
    return h;
}

static void handle_free(AbfsHandle *h)
{
    if (h->shape == SHAPE_STREAM && h->type->release_stream)
        h->type->release_stream(&h->node, h->stream);
    g_free(h->path);
    if (h->data)
        g_string_free(h->data, TRUE);
    if (h->base)
        abfs_entry_unref(h->base);
    abfs_scratch_unref(h->scratch);
    g_mutex_clear(&h->lock);
    g_free(h);
}

void abfs_handle_discard(AbfsHandle *h)
{
    if (h)
        handle_free(h);
}

void abfs_handle_set_end_error(AbfsHandle *h, int errnum)
{
    h->end_error = errnum;
    h->direct_io = TRUE; /* every read reaches the handle */
}

void abfs_handle_set_direct_io(AbfsHandle *h)
{
    h->direct_io = TRUE;
}

gboolean abfs_handle_cacheable(const AbfsHandle *h)
{
    return h->shape == SHAPE_TEXT && !h->follow && !h->direct_io && h->end_error == 0;
}

void abfs_handle_set_page_cached(AbfsHandle *h)
{
    h->page_cached = TRUE;
}

gboolean abfs_handle_page_cached(const AbfsHandle *h)
{
    return h->page_cached;
}

const char *abfs_handle_fixed_text(AbfsHandle *h, gsize *size)
{
    g_assert(abfs_handle_cacheable(h));
    *size = h->data->len;
    return h->data->str;
}

void abfs_handle_install(AbfsHandle *h, struct fuse_file_info *fi)
{
    g_mutex_lock(&open_lock);
    if (!open_handles)
        open_handles = g_hash_table_new(g_direct_hash, g_direct_equal);
    g_hash_table_add(open_handles, h);
    g_mutex_unlock(&open_lock);
    fi->fh = (uint64_t)(uintptr_t)h;
    fi->keep_cache = 0;
    if (h->direct_io)
        fi->direct_io = 1;
    /* A text handle is read-only and its flush does nothing: the kernel need not ask (FOPEN_NOFLUSH,
     * Linux 5.16): `cat` of a file is then OPEN, READ, READ, RELEASE, one request in five fewer. */
    if (h->shape == SHAPE_TEXT)
        fi->noflush = 1;
    if (h->shape == SHAPE_STREAM) /* lseek gives ESPIPE: bash's `read` then takes a byte at a time */
        fi->nonseekable = 1;
}

AbfsHandle *abfs_handle_of(const struct fuse_file_info *fi)
{
    return fi ? (AbfsHandle *)(uintptr_t)fi->fh : NULL;
}

const char *abfs_handle_path(AbfsHandle *h)
{
    return h->path;
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

/* A following text grows while it is read (tail -f of a running job's log): at its end, it is
 * read again, and kept when it only grew. Caller holds the lock. */
static void follow(AbfsHandle *h, off_t offset, size_t size)
{
    if (!h->follow || !h->type->read_text || (gsize)offset + size <= h->data->len)
        return;
    char *fresh = NULL;
    GError *err = NULL; /* a failed re-read keeps what was read: the reader sees no new lines yet */
    if (h->type->read_text(&h->node, &fresh, &err) == 0 && strlen(fresh) >= h->data->len)
        g_string_assign(h->data, fresh);
    g_clear_error(&err);
    g_free(fresh);
}

int abfs_handle_read(AbfsHandle *h, char *buf, size_t size, off_t offset, int flags, GError **error)
{
    if (h->shape == SHAPE_STREAM)
        return h->type->read_stream(&h->node, h->stream, buf, size, flags, error);
    if (h->shape == SHAPE_SCRATCH || h->shape == SHAPE_DRAFT)
        return abfs_scratch_read(h->scratch, buf, size, offset);
    if (h->shape == SHAPE_CONTROL)
        return -EBADF;
    g_mutex_lock(&h->lock);
    if (h->shape == SHAPE_TEXT && offset >= 0)
        follow(h, offset, size);
    int n = 0;
    if (offset >= 0 && (gsize)offset < h->data->len) {
        n = (int)MIN(size, h->data->len - (gsize)offset);
        memcpy(buf, h->data->str + offset, (size_t)n);
    } else if (h->end_error && offset >= 0 && (gsize)offset >= h->data->len)
        n = -h->end_error;
    g_mutex_unlock(&h->lock);
    return n;
}

int abfs_handle_poll(AbfsHandle *h, struct fuse_pollhandle *ph, unsigned *revents)
{
    if (h->shape == SHAPE_STREAM && h->type->poll)
        return h->type->poll(&h->node, h->stream, ph, revents);
    if (ph) /* nothing will change: the kernel need not wait for a notification */
        fuse_pollhandle_destroy(ph);
    *revents = POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM; /* what Linux says of a file without poll */
    return 0;
}

/* A node function's result with the errno of its reason, when it gave one (the node may answer
 * -EIO and say ESTALE in the error). */
static int with_reason(int rc, GError **error)
{
    if (rc < 0 && error && *error && (*error)->domain == ABFS_ERROR && (*error)->code > 0)
        return -(*error)->code;
    return rc;
}

/* Sends a buffer's content through its node's commit. Caller holds the lock. */
static int commit_locked(AbfsHandle *h, GError **error)
{
    /* One commit per batch of writes, even if it fails: a later close must not send it again. */
    h->dirty = FALSE;
    int rc = h->type->commit ? h->type->commit(&h->node, h->base, h->data->str, h->data->len, error) : -EACCES;
    rc = with_reason(rc, error);
    if (rc < 0) /* refused: fsync and the close after it both say so, and nothing is sent again */
        h->failed = -rc;
    if (rc == 0 && h->base) { /* later commits on this file are judged against what it now holds */
        AbfsEntry *now = abfs_store_entry(abfs_fs()->store, h->node.id, NULL);
        if (now) {
            abfs_entry_unref(h->base);
            h->base = now;
        }
    }
    return rc;
}

/* The action of a control file on what was written. Caller holds the lock; it is released
 * during the action (which may take a while), and the action runs once. */
static int act_locked(AbfsHandle *h, GError **error)
{
    h->acted = TRUE;
    char *text = g_strndup(h->data->str, h->data->len);
    gsize len = h->data->len;
    g_mutex_unlock(&h->lock);
    abfs_strip_one_newline(text, &len);
    int rc = h->type->act ? h->type->act(&h->node, text, len, error) : -EBADF;
    g_free(text);
    g_mutex_lock(&h->lock);
    return with_reason(rc, error);
}

/* Marks a buffer or control file refused: nothing it holds is ever sent. Caller holds the lock. */
static int refuse(AbfsHandle *h, int errnum)
{
    if (!h->failed)
        h->failed = errnum;
    h->dirty = FALSE;
    return -h->failed;
}

/* Sends a draft's content through its node's commit, once. Caller holds the lock. */
static int commit_draft_locked(AbfsHandle *h, GError **error)
{
    h->dirty = FALSE;
    h->acted = TRUE;
    gsize len;
    char *text = abfs_scratch_content(h->scratch, &len);
    int rc = with_reason(h->type->commit(&h->node, NULL, text, len, error), error);
    g_free(text);
    if (rc < 0)
        h->failed = -rc;
    return rc;
}

static gboolean all_blank(const char *buf, size_t size)
{
    for (size_t i = 0; i < size; i++)
        if (!g_ascii_isspace(buf[i]))
            return FALSE;
    return TRUE;
}

/* A draft: kept in its scratch until it is whole (sent from this write) or closed. */
static int write_draft(AbfsHandle *h, const char *buf, size_t size, off_t offset, GError **error)
{
    g_mutex_lock(&h->lock);
    int rc;
    if (h->failed)
        rc = -h->failed;
    else if (h->acted && all_blank(buf, size))
        rc = (int)size; /* blanks after the value that was sent change nothing */
    else if (h->acted) {
        g_set_error(error, ABFS_ERROR, EINVAL, "the file was already sent from this open file; open it again to write again");
        rc = -EINVAL;
    } else if ((rc = abfs_scratch_write(h->scratch, buf, size, offset)) >= 0) {
        h->dirty = TRUE;
        gsize len;
        char *text = abfs_scratch_content(h->scratch, &len);
        gboolean whole = (gsize)offset + size == len && h->type->complete && h->type->complete(&h->node, text, len);
        g_free(text);
        if (whole) {
            int c = commit_draft_locked(h, error);
            if (c < 0)
                rc = c;
        }
    }
    g_mutex_unlock(&h->lock);
    return rc;
}

int abfs_handle_write(AbfsHandle *h, const char *buf, size_t size, off_t offset, GError **error)
{
    if (h->shape == SHAPE_SCRATCH)
        return abfs_scratch_write(h->scratch, buf, size, offset);
    if (h->shape == SHAPE_DRAFT)
        return write_draft(h, buf, size, offset, error);
    if (h->shape == SHAPE_TEXT || h->shape == SHAPE_STREAM)
        return -EBADF;
    g_mutex_lock(&h->lock);
    gsize max = h->shape == SHAPE_CONTROL ? ABFS_CONTROL_MAX_BYTES : ABFS_HANDLE_MAX_BYTES;
    int rc = (int)size;
    if (h->failed) {
        rc = -h->failed;
    } else if (h->acted) {
        g_set_error(error, ABFS_ERROR, EINVAL, "%s was already sent from this open file; open it again to write again",
                    h->shape == SHAPE_CONTROL ? "the command" : "the value");
        rc = -EINVAL;
    } else if (offset < 0 || (guint64)offset + size > max) {
        /* A refused write spoils the whole value: what came before it is never sent either. */
        rc = refuse(h, EFBIG);
    } else if (h->shape == SHAPE_CONTROL) {
        g_string_append_len(h->data, buf, (gssize)size); /* a command, whatever the offsets */
        if (h->data->len > 0 && h->data->str[h->data->len - 1] == '\n') {
            int a = act_locked(h, error); /* a complete command acts now: its answer is this write's */
            if (a < 0) /* a writer that tries again (Python flushes its buffer twice) hears it again */
                rc = refuse(h, -a);
        }
    } else {
        if ((gsize)offset > h->data->len) {
            gsize old = h->data->len;
            g_string_set_size(h->data, (gsize)offset);
            memset(h->data->str + old, 0, (gsize)offset - old);
        }
        if ((gsize)offset + size > h->data->len)
            g_string_set_size(h->data, (gsize)offset + size);
        memcpy(h->data->str + offset, buf, size);
        h->dirty = TRUE;
        gboolean complete = (gsize)offset + size == h->data->len && h->data->str[h->data->len - 1] == '\n';
        if (complete && h->type->one_line && h->type->one_line(&h->node)) {
            /* The value is complete: send it now, where even a shell sees the answer. */
            int c = commit_locked(h, error);
            h->acted = TRUE;
            if (c < 0)
                rc = refuse(h, -c);
        }
    }
    g_mutex_unlock(&h->lock);
    return rc;
}

/* run, cancel, .refresh: once per open file, on the first flush after something was written (a
 * shell's dup2-then-close flushes before the command writes), or at release when nothing was
 * written at all (`: > run`). */
static int act(AbfsHandle *h, gboolean last, GError **error)
{
    (void)last;
    g_mutex_lock(&h->lock);
    int rc = -h->failed;
    /* nothing written, nothing done: `touch run`, or a backup's empty copy restored with cp, must
     * not start a sync */
    if (!h->failed && !h->acted && h->data->len > 0)
        rc = act_locked(h, error);
    g_mutex_unlock(&h->lock);
    return rc;
}

int abfs_handle_flush(AbfsHandle *h, GError **error)
{
    if (h->shape == SHAPE_CONTROL)
        return act(h, FALSE, error);
    if (h->shape == SHAPE_DRAFT) {
        g_mutex_lock(&h->lock);
        int rc = -h->failed;
        if (!h->failed && h->dirty && !h->acted)
            rc = commit_draft_locked(h, error);
        g_mutex_unlock(&h->lock);
        return rc;
    }
    if (h->shape != SHAPE_BUFFER)
        return 0;
    g_mutex_lock(&h->lock);
    int rc = -h->failed;
    if (!h->failed && h->dirty)
        rc = commit_locked(h, error);
    g_mutex_unlock(&h->lock);
    return rc;
}

int abfs_handle_truncate(AbfsHandle *h, off_t size, GError **error)
{
    (void)error;
    if (h->shape == SHAPE_SCRATCH || (h->shape == SHAPE_DRAFT && !h->acted))
        return abfs_scratch_truncate(h->scratch, size);
    if (h->shape != SHAPE_BUFFER)
        return -EACCES;
    g_mutex_lock(&h->lock);
    int rc = 0;
    if ((guint64)size > ABFS_HANDLE_MAX_BYTES) {
        rc = refuse(h, EFBIG);
    } else {
        gsize old = h->data->len;
        g_string_set_size(h->data, (gsize)size);
        if ((gsize)size > old)
            memset(h->data->str + old, 0, (gsize)size - old);
    }
    g_mutex_unlock(&h->lock);
    return rc; /* a truncate alone is never sent */
}

int abfs_handle_release(AbfsHandle *h, GError **error)
{
    int rc = h->shape == SHAPE_CONTROL ? act(h, TRUE, error) : 0; /* nothing written: an empty write */
    g_mutex_lock(&open_lock);
    if (open_handles)
        g_hash_table_remove(open_handles, h);
    g_mutex_unlock(&open_lock);
    handle_free(h);
    return rc;
}

int abfs_handle_open_control(const AbfsNode *node, int flags, AbfsHandle **handle, GError **error)
{
    (void)error;
    if ((flags & O_ACCMODE) == O_RDONLY && !(flags & O_TRUNC)) {
        /* read as empty, so that tar, rsync, cp -r and grep -r copy or pass it cleanly */
        *handle = abfs_handle_text(node->path, node, g_strdup(""), FALSE);
        abfs_handle_set_direct_io(*handle);
        return 0;
    }
    if ((flags & O_ACCMODE) != O_WRONLY)
        return -EACCES;
    *handle = abfs_handle_control(node->path, node);
    return 0;
}

int abfs_handle_open_text(const AbfsNode *node, int flags, AbfsHandle **handle, GError **error)
{
    const AbfsNodeType *type = abfs_node_type(node->kind);
    if (abfs_open_wants_write(flags))
        return -EACCES;
    char *text = NULL;
    int rc = type->read_text(node, &text, error);
    if (rc == 0)
        *handle = abfs_handle_text(node->path, node, text, FALSE);
    return rc;
}
