/* node_streams.c — connections/<id>/streams.d/: one directory per selected stream, with its
 * setting files (stream_files.h: read from the connection's listing, each write one PATCH of
 * `configurations` through commit.h), its state.json and last_sync (Config API, read when opened
 * or stat'ed, never with a listing), and the write-only control files refresh and clear
 * (stream_actions.h). Control files follow run's conventions (handles.h): they act in the write
 * that completes a line, read as empty, and are mode 0600. */
#include "node.h"
#include "handles.h"

#include <errno.h>
#include <string.h>

#include "commit.h"
#include "connection_files.h"
#include "error.h"
#include "jobs.h"
#include "stream_actions.h"
#include "stream_files.h"

/* The connection's entry (a new reference) and, when stream, ENOENT unless it selects the stream
 * node->leaf. */
static int entry_of(const AbfsNode *node, gboolean stream, AbfsEntry **entry, GError **error)
{
    *entry = abfs_store_entry(abfs_fs()->store, node->id, error);
    if (!*entry)
        return error && *error && (*error)->code > 0 ? -(*error)->code : -ENOENT;
    if (!stream)
        return 0;
    json_object *conn = abfs_entry_parse(*entry);
    json_object *s = abfs_stream_of(conn, node->leaf);
    json_object_put(conn);
    if (s) {
        json_object_put(s);
        return 0;
    }
    abfs_entry_unref(*entry);
    *entry = NULL;
    g_set_error(error, ABFS_ERROR, ENOENT, "the connection has no selected stream %s", node->leaf);
    return -ENOENT;
}

/* When the stream's files last changed: when the connection's configurations did. */
static gint64 streams_mtime(AbfsEntry *entry)
{
    return abfs_entry_mtime(entry, (guint)abfs_connection_file_index("configurations.json"));
}

/* After a change of streams: the kernel forgets the listing and the stream's files. */
static void streams_changed(const AbfsNode *node)
{
    char *dir = g_strdup_printf("/connections/%s/streams.d", node->id);
    abfs_invalidate_later(dir);
    g_free(dir);
    abfs_invalidate_later(node->path);
}

/* After a change to a stream's state (a write, a refresh, a clear; core dropped what it kept): the
 * kernel forgets the connection's state.json too. */
static void state_changed(const AbfsNode *node)
{
    char *path = g_strdup_printf("/connections/%s/state.json", node->id);
    abfs_invalidate_later(path);
    g_free(path);
}

/* ---- streams.d/ ---- */

static int streams_getattr(const AbfsNode *node, struct stat *st, GError **error)
{
    AbfsEntry *entry = NULL;
    int rc = entry_of(node, FALSE, &entry, error);
    if (rc == 0)
        abfs_stat_dir(st, 0555, streams_mtime(entry));
    if (entry)
        abfs_entry_unref(entry);
    return rc;
}

static int streams_readdir(const AbfsNode *node, AbfsDir *dir, GError **error)
{
    AbfsEntry *entry = NULL;
    int rc = entry_of(node, FALSE, &entry, error);
    if (rc < 0)
        return rc;
    json_object *conn = abfs_entry_parse(entry);
    abfs_dir_add_ids(dir, abfs_stream_labels_of(conn), ABFS_NODE_STREAM);
    json_object_put(conn);
    abfs_entry_unref(entry);
    return 0;
}

const AbfsNodeType abfs_node_streams = {
    .getattr = streams_getattr,
    .readdir = streams_readdir,
};

/* ---- streams.d/<stream>/ ---- */

static int stream_getattr(const AbfsNode *node, struct stat *st, GError **error)
{
    AbfsEntry *entry = NULL;
    int rc = entry_of(node, TRUE, &entry, error);
    if (rc == 0) {
        abfs_stat_dir(st, 0555, streams_mtime(entry));
        abfs_entry_unref(entry);
    }
    return rc;
}

static int stream_readdir(const AbfsNode *node, AbfsDir *dir, GError **error)
{
    AbfsEntry *entry = NULL;
    int rc = entry_of(node, TRUE, &entry, error);
    if (rc < 0)
        return rc;
    abfs_entry_unref(entry);
    for (const char *const *f = abfs_stream_setting_names(); *f; f++)
        abfs_dir_add_kind(dir, *f, ABFS_NODE_STREAM_SETTING);
    guint n;
    const AbfsTreeName *fixed = abfs_tree_names(ABFS_NODE_STREAM, &n);
    for (guint i = 0; i < n; i++)
        abfs_dir_add_kind(dir, fixed[i].name, fixed[i].kind);
    return 0;
}

const AbfsNodeType abfs_node_stream = {
    .getattr = stream_getattr,
    .readdir = stream_readdir,
};

/* ---- streams.d/<stream>/<setting> ---- */

static char *render_setting(const AbfsNode *node, AbfsEntry *entry, GError **error)
{
    json_object *conn = abfs_entry_parse(entry);
    char *text = abfs_stream_setting_render(conn, node->leaf, (guint)node->file, error);
    json_object_put(conn);
    return text;
}

static int setting_getattr(const AbfsNode *node, struct stat *st, GError **error)
{
    AbfsEntry *entry = NULL;
    int rc = entry_of(node, TRUE, &entry, error);
    if (rc < 0)
        return rc;
    char *text = render_setting(node, entry, error);
    if (text)
        abfs_stat_file(st, 0644, strlen(text), streams_mtime(entry));
    abfs_entry_unref(entry);
    g_free(text);
    return text ? 0 : -ENOENT;
}

static int setting_read_text(const AbfsNode *node, char **text, GError **error)
{
    AbfsEntry *entry = NULL;
    int rc = entry_of(node, TRUE, &entry, error);
    if (rc < 0)
        return rc;
    *text = render_setting(node, entry, error);
    abfs_entry_unref(entry);
    return *text ? 0 : -ENOENT;
}

static int setting_open(const AbfsNode *node, int flags, AbfsHandle **handle, GError **error)
{
    AbfsEntry *entry = NULL;
    int rc = entry_of(node, TRUE, &entry, error);
    if (rc < 0)
        return rc;
    char *text = render_setting(node, entry, error);
    if (!text) {
        abfs_entry_unref(entry);
        return -ENOENT;
    }
    if (abfs_open_wants_write(flags)) {
        *handle = abfs_handle_buffer(node->path, node, (flags & O_TRUNC) ? NULL : text, entry);
        g_free(text);
    } else
        *handle = abfs_handle_text(node->path, node, text, FALSE);
    abfs_handle_set_direct_io(*handle); /* the content follows the connection's listing */
    abfs_entry_unref(entry);
    return 0;
}

static int setting_commit(const AbfsNode *node, AbfsEntry *base, const char *text, gsize len, GError **error)
{
    AbfsStreamFileRef ref = {node->leaf, (guint)node->file};
    AbfsCommitFile file;
    abfs_stream_commit_file(&ref, &file);
    char *copy = g_strndup(text, len);
    gboolean ok = abfs_commit_file(abfs_fs()->store, node->id, &file, base, copy, len, error);
    g_free(copy);
    if (!ok)
        return -EIO;
    streams_changed(node);
    return 0;
}

static gboolean setting_one_line(const AbfsNode *node)
{
    return abfs_stream_setting_single_line((guint)node->file);
}

static gboolean always(const AbfsNode *node)
{
    (void)node;
    return TRUE;
}

static int keep_on_truncate(const AbfsNode *node, off_t size, GError **error)
{
    (void)node;
    (void)size;
    (void)error;
    return 0; /* a truncate alone is never sent, as for a connection's settings */
}

const AbfsNodeType abfs_node_stream_setting = {
    .getattr = setting_getattr,
    .open = setting_open,
    .read_text = setting_read_text,
    .commit = setting_commit,
    .one_line = setting_one_line,
    .writable = always,
    .truncate = keep_on_truncate,
};

/* ---- state.json, last_sync: the Config API, read when opened or stat'ed ---- */

static int api_read_text(const AbfsNode *node, char **text, GError **error)
{
    AbfsEntry *entry = NULL;
    int rc = entry_of(node, TRUE, &entry, error);
    if (rc < 0)
        return rc;
    json_object *conn = abfs_entry_parse(entry);
    AbfsStreams *streams = abfs_fs()->streams;
    *text = node->kind == ABFS_NODE_STREAM_STATE ? abfs_stream_state_read(streams, conn, node->leaf, error)
                                                 : abfs_stream_last_sync(streams, conn, node->leaf, error);
    json_object_put(conn);
    abfs_entry_unref(entry);
    return *text ? 0 : -EIO;
}

static int api_getattr(const AbfsNode *node, struct stat *st, GError **error)
{
    AbfsEntry *entry = NULL;
    int rc = entry_of(node, TRUE, &entry, error);
    if (rc < 0)
        return rc;
    abfs_entry_unref(entry);
    /* Sized by reading it; if the Config API cannot say, the file still lists (size 0) and
     * opening it reports why (as the connection's state.json does). */
    char *text = NULL;
    api_read_text(node, &text, NULL);
    abfs_stat_file(st, node->kind == ABFS_NODE_STREAM_STATE ? 0644 : 0444, text ? strlen(text) : 0,
                   abfs_fs()->mount_time);
    g_free(text);
    return 0;
}

static int api_open(const AbfsNode *node, int flags, AbfsHandle **handle, GError **error)
{
    gboolean write = abfs_open_wants_write(flags);
    if (write && node->kind != ABFS_NODE_STREAM_STATE)
        return -EACCES;
    char *text = NULL;
    int rc = 0;
    if (!write)
        rc = api_read_text(node, &text, error);
    else if (!(flags & O_TRUNC))
        api_read_text(node, &text, NULL); /* a writer that does not truncate starts from it */
    else {
        AbfsEntry *entry = NULL;
        rc = entry_of(node, TRUE, &entry, error);
        if (entry)
            abfs_entry_unref(entry);
    }
    if (rc < 0)
        return rc;
    if (write) {
        *handle = abfs_handle_buffer(node->path, node, text, NULL);
        g_free(text);
    } else
        *handle = abfs_handle_text(node->path, node, text, FALSE);
    abfs_handle_set_direct_io(*handle);
    return 0;
}

static int state_commit(const AbfsNode *node, AbfsEntry *base, const char *text, gsize len, GError **error)
{
    (void)base;
    AbfsEntry *entry = NULL;
    int rc = entry_of(node, TRUE, &entry, error);
    if (rc < 0)
        return rc;
    json_object *conn = abfs_entry_parse(entry);
    gboolean ok = abfs_stream_state_write(abfs_fs()->streams, conn, node->leaf, text, len, error);
    json_object_put(conn);
    abfs_entry_unref(entry);
    if (!ok)
        return -EIO;
    state_changed(node);
    abfs_invalidate_later(node->path);
    return 0;
}

const AbfsNodeType abfs_node_stream_state = {
    .getattr = api_getattr,
    .open = api_open,
    .read_text = api_read_text,
    .commit = state_commit,
    .writable = always,
    .truncate = keep_on_truncate,
};

const AbfsNodeType abfs_node_stream_last_sync = {
    .getattr = api_getattr,
    .open = api_open,
    .read_text = api_read_text,
};

/* ---- refresh, clear ---- */

static int control_getattr(const AbfsNode *node, struct stat *st, GError **error)
{
    AbfsEntry *entry = NULL;
    int rc = entry_of(node, TRUE, &entry, error);
    if (rc < 0)
        return rc;
    abfs_entry_unref(entry);
    abfs_stat_file(st, 0600, 0, abfs_fs()->mount_time);
    return 0;
}

static int control_open(const AbfsNode *node, int flags, AbfsHandle **handle, GError **error)
{
    AbfsEntry *entry = NULL;
    int rc = entry_of(node, TRUE, &entry, error);
    if (rc < 0)
        return rc;
    abfs_entry_unref(entry);
    return abfs_handle_open_control(node, flags, handle, error);
}

static int control_act(const AbfsNode *node, const char *text, gsize len, GError **error)
{
    (void)len;
    AbfsEntry *entry = NULL;
    int rc = entry_of(node, TRUE, &entry, error);
    if (rc < 0)
        return rc;
    json_object *conn = abfs_entry_parse(entry);
    AbfsFs *fs = abfs_fs();
    gboolean ok = node->file == 0 ? abfs_stream_refresh(fs->streams, conn, node->leaf, text, error)
                                  : abfs_stream_clear(fs->streams, conn, node->leaf, error);
    json_object_put(conn);
    abfs_entry_unref(entry);
    if (!ok)
        return -EIO;
    /* the new job shows in jobs/ at once */
    state_changed(node);
    abfs_jobs_forget(fs->jobs, node->id);
    char *jobs_dir = g_strdup_printf("/connections/%s/jobs", node->id);
    char *latest = g_strconcat(jobs_dir, "/latest", NULL);
    abfs_invalidate_later(jobs_dir);
    abfs_invalidate_later(latest);
    g_free(latest);
    g_free(jobs_dir);
    return 0;
}

const AbfsNodeType abfs_node_stream_control = {
    .getattr = control_getattr,
    .open = control_open,
    .act = control_act,
};
