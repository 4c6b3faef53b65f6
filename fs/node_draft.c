/* node_draft.c — settings/<name>.json whose name is not a connection id: a draft of a new
 * connection, kept in memory (a scratch) while it is written and sent once as POST /connections
 * (core's create.h): from the write that makes it a whole JSON value ending with a newline, else
 * when it is closed, or when a tool's temporary file is renamed onto its name (rsync, gedit,
 * Python's os.replace). Sent or refused, the draft is gone: settings/<new id>.json and
 * connections/<new id>/ appear, and settings/.last-created gets a line "<new id> <file name>". */
#include "node.h"
#include "handles.h"

#include <errno.h>
#include <string.h>

#include "create.h"
#include "json_util.h"

/* How many creations settings/.last-created remembers. */
#define CREATED_KEPT 100

static int draft_getattr(const AbfsNode *node, struct stat *st, GError **error)
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

static int draft_create(const AbfsNode *node, mode_t mode, int flags, AbfsHandle **handle, GError **error)
{
    (void)flags;
    (void)error;
    Scratch *s = NULL;
    int rc = abfs_scratch_create(node->path, mode, &s);
    if (rc == 0)
        *handle = abfs_handle_draft(node->path, node, s);
    return rc;
}

static int draft_open(const AbfsNode *node, int flags, AbfsHandle **handle, GError **error)
{
    Scratch *s = abfs_scratch_lookup(node->path);
    /* The kernel keeps the name of a draft that was just sent for a second and opens it instead of
     * creating it (and strips O_CREAT): a writer then starts a new draft. */
    if (!s && abfs_open_wants_write(flags))
        return draft_create(node, 0644, flags, handle, error);
    if (!s)
        return -ENOENT;
    if (flags & O_TRUNC)
        abfs_scratch_truncate(s, 0);
    *handle = abfs_handle_draft(node->path, node, s);
    return 0;
}

static int draft_read_text(const AbfsNode *node, char **text, GError **error)
{
    (void)error;
    Scratch *s = abfs_scratch_lookup(node->path);
    if (!s)
        return -ENOENT;
    *text = abfs_scratch_content(s, NULL);
    abfs_scratch_unref(s);
    return 0;
}

void abfs_node_record_created(const char *id, const char *file)
{
    AbfsFs *fs = abfs_fs();
    g_mutex_lock(&fs->created_lock);
    if (fs->created->len >= CREATED_KEPT)
        g_ptr_array_remove_index(fs->created, 0);
    g_ptr_array_add(fs->created, g_strdup_printf("%s %s\n", id, file));
    g_mutex_unlock(&fs->created_lock);
}

/* The create. base is unused (a new connection has no earlier value). Whatever the outcome, the
 * draft is gone: a refused one is not left to be copied by an export (its reason is in errors). */
static int draft_commit(const AbfsNode *node, AbfsEntry *base, const char *text, gsize len, GError **error)
{
    (void)base;
    AbfsFs *fs = abfs_fs();
    char *stem = g_strndup(node->leaf, strlen(node->leaf) - strlen(".json"));
    char *id = abfs_connection_create_from_draft(fs->store, fs->actors, text, len, stem, error);
    g_free(stem);
    /* The kernel keeps the draft's name for up to entry_timeout; its attributes are left valid so
     * that a writer opening it again in that time reaches draft_open (a getattr answering ENOENT
     * would fail that open), which starts a new draft. */
    abfs_scratch_unlink(node->path);
    if (!id)
        return -EIO;
    abfs_node_record_created(id, node->leaf);
    g_message("%s: created connection %s", node->path, id);
    g_free(id);
    abfs_invalidate_later("/settings");
    abfs_invalidate_later("/connections");
    abfs_invalidate_later("/by-name");
    return 0;
}

static gboolean draft_complete(const AbfsNode *node, const char *text, gsize len)
{
    (void)node;
    return abfs_json_is_complete(text, len);
}

static int draft_truncate(const AbfsNode *node, off_t size, GError **error)
{
    (void)error;
    Scratch *s = abfs_scratch_lookup(node->path);
    if (!s)
        return -ENOENT;
    int rc = abfs_scratch_truncate(s, size);
    abfs_scratch_unref(s);
    return rc;
}

static int draft_unlink(const AbfsNode *node, GError **error)
{
    (void)error;
    return abfs_scratch_unlink(node->path);
}

static int draft_chmod(const AbfsNode *node, mode_t mode, GError **error)
{
    (void)error;
    Scratch *s = abfs_scratch_lookup(node->path);
    if (s) {
        abfs_scratch_set_mode(s, mode);
        abfs_scratch_unref(s);
    }
    return 0; /* a draft already sent: an editor's chmod after its write changes nothing */
}

const AbfsNodeType abfs_node_draft = {
    .getattr = draft_getattr,
    .open = draft_open,
    .create = draft_create,
    .read_text = draft_read_text,
    .commit = draft_commit,
    .complete = draft_complete,
    .truncate = draft_truncate,
    .unlink = draft_unlink,
    .chmod = draft_chmod,
};

/* ---- settings/.last-created ---- */

static int last_created_text(const AbfsNode *node, char **text, GError **error)
{
    (void)node;
    (void)error;
    AbfsFs *fs = abfs_fs();
    GString *out = g_string_new(NULL);
    g_mutex_lock(&fs->created_lock);
    for (guint i = 0; i < fs->created->len; i++)
        g_string_append(out, g_ptr_array_index(fs->created, i));
    g_mutex_unlock(&fs->created_lock);
    *text = g_string_free(out, FALSE);
    return 0;
}

/* Read past the size the kernel cached: a line added a moment ago is seen at once. */
static int last_created_open(const AbfsNode *node, int flags, AbfsHandle **handle, GError **error)
{
    int rc = abfs_handle_open_text(node, flags, handle, error);
    if (rc == 0)
        abfs_handle_set_direct_io(*handle);
    return rc;
}

const AbfsNodeType abfs_node_last_created = {
    .getattr = abfs_node_getattr_text,
    .open = last_created_open,
    .read_text = last_created_text,
};
