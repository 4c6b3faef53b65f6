/* node.c — the table from node kind to its functions (node.h), and the helpers the node files
 * share: attributes, listings, and the existence of a node's connection. */
#include "node.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "error.h"
#include "scratch.h"

/* One line per kind; every kind of tree.h has one (checked at start by abfs_node_type). */
static const AbfsNodeType *const table[] = {
    [ABFS_NODE_ROOT] = &abfs_node_root,
    [ABFS_NODE_ERRORS] = &abfs_node_errors,
    [ABFS_NODE_REFRESH] = &abfs_node_refresh,
    [ABFS_NODE_WORKSPACE_JSON] = &abfs_node_workspace_json,
    [ABFS_NODE_WORKSPACE_URL] = &abfs_node_workspace_url,
    [ABFS_NODE_CONNECTIONS] = &abfs_node_connections,
    [ABFS_NODE_CONNECTION] = &abfs_node_connection,
    [ABFS_NODE_CONNECTION_FILE] = &abfs_node_connection_file,
    [ABFS_NODE_CONNECTION_LINK] = &abfs_node_connection_link,
    [ABFS_NODE_SETTINGS] = &abfs_node_settings,
    [ABFS_NODE_ARTIFACT] = &abfs_node_artifact,
    [ABFS_NODE_RUN] = &abfs_node_run,
    [ABFS_NODE_JOBS] = &abfs_node_jobs,
    [ABFS_NODE_JOBS_LATEST] = &abfs_node_jobs_latest,
    [ABFS_NODE_JOBS_URL] = &abfs_node_jobs_url,
    [ABFS_NODE_JOB] = &abfs_node_job,
    [ABFS_NODE_JOB_FILE] = &abfs_node_job_file,
    [ABFS_NODE_JOB_ATTEMPTS] = &abfs_node_job_attempts,
    [ABFS_NODE_JOB_ATTEMPT] = &abfs_node_job_attempt,
    [ABFS_NODE_JOB_ATTEMPT_FILE] = &abfs_node_job_attempt_file,
    [ABFS_NODE_STREAMS] = &abfs_node_streams,
    [ABFS_NODE_STREAM] = &abfs_node_stream,
    [ABFS_NODE_STREAM_SETTING] = &abfs_node_stream_setting,
    [ABFS_NODE_STREAM_STATE] = &abfs_node_stream_state,
    [ABFS_NODE_STREAM_LAST_SYNC] = &abfs_node_stream_last_sync,
    [ABFS_NODE_STREAM_CONTROL] = &abfs_node_stream_control,
    [ABFS_NODE_TIMELINE] = &abfs_node_timeline,
    [ABFS_NODE_ACTORS] = &abfs_node_actors,
    [ABFS_NODE_ACTOR] = &abfs_node_actor,
    [ABFS_NODE_ACTOR_FILE] = &abfs_node_actor_file,
    [ABFS_NODE_ACTOR_CONNECTIONS] = &abfs_node_actor_connections,
    [ABFS_NODE_ACTOR_CONNECTION_LINK] = &abfs_node_actor_connection_link,
    [ABFS_NODE_BY_NAME] = &abfs_node_by_name,
    [ABFS_NODE_BY_NAME_LINK] = &abfs_node_by_name_link,
    [ABFS_NODE_SCRATCH] = &abfs_node_scratch,
    [ABFS_NODE_DRAFT] = &abfs_node_draft,
    [ABFS_NODE_LAST_CREATED] = &abfs_node_last_created,
    [ABFS_NODE_TAGS] = &abfs_node_tags,
    [ABFS_NODE_TAG] = &abfs_node_tag,
    [ABFS_NODE_TAG_COLOR] = &abfs_node_tag_color,
    [ABFS_NODE_TAG_CONNECTIONS] = &abfs_node_tag_connections,
    [ABFS_NODE_TAG_CONNECTION_LINK] = &abfs_node_tag_connection_link,
    [ABFS_NODE_STAGING] = &abfs_node_staging,
    [ABFS_NODE_PLAN] = &abfs_node_plan,
    [ABFS_NODE_PLAN_JSON] = &abfs_node_plan_json,
    [ABFS_NODE_APPLY] = &abfs_node_apply,
    [ABFS_NODE_EVENTS] = &abfs_node_events,
    [ABFS_NODE_HEALTH_FILE] = &abfs_node_health_file,
    [ABFS_NODE_STATUS] = &abfs_node_status,
    [ABFS_NODE_STATUS_SUMMARY] = &abfs_node_status_summary,
    [ABFS_NODE_STATUS_DIR] = &abfs_node_status_dir,
    [ABFS_NODE_STATUS_LINK] = &abfs_node_status_link,
    [ABFS_NODE_WSJOBS] = &abfs_node_wsjobs,
    [ABFS_NODE_WSJOBS_LINK] = &abfs_node_wsjobs_link,
    [ABFS_NODE_WSJOBS_SET] = &abfs_node_wsjobs_set,
    [ABFS_NODE_WSJOBS_SET_LINK] = &abfs_node_wsjobs_set_link,
    [ABFS_NODE_RUNNING_LOG] = &abfs_node_running_log,
};
G_STATIC_ASSERT(G_N_ELEMENTS(table) == ABFS_NODE_KINDS);

AbfsFs *abfs_fs(void)
{
    return fuse_get_context()->private_data;
}

const AbfsNodeType *abfs_node_type(AbfsNodeKind kind)
{
    g_assert((guint)kind < G_N_ELEMENTS(table) && table[kind]);
    return table[kind];
}

/* Gives the next entry to the kernel unless it already has it. TRUE when the buffer is full. */
static gboolean dir_give(AbfsDir *dir, const char *name, const struct stat *st, enum fuse_fill_dir_flags flags)
{
    off_t index = dir->count++;
    if (dir->full)
        return TRUE;
    if (index < dir->skip)
        return FALSE;
    dir->full = dir->fill(dir->buf, name, st, index + 1, flags) != 0;
    return dir->full;
}

gboolean abfs_dir_skip(AbfsDir *dir)
{
    if (dir->count >= dir->skip)
        return FALSE;
    dir->count++;
    return TRUE;
}

gboolean abfs_dir_add(AbfsDir *dir, const char *name, const struct stat *st)
{
    return dir_give(dir, name, st, st ? FUSE_FILL_DIR_PLUS : 0);
}

void abfs_dir_add_ids(AbfsDir *dir, GPtrArray *ids, AbfsNodeKind kind)
{
    for (guint i = 0; i < ids->len; i++)
        if (abfs_dir_add_kind(dir, g_ptr_array_index(ids, i), kind))
            break;
    g_ptr_array_free(ids, TRUE);
}

gboolean abfs_dir_add_kind(AbfsDir *dir, const char *name, AbfsNodeKind kind)
{
    const AbfsNodeType *type = abfs_node_type(kind);
    struct stat st;
    memset(&st, 0, sizeof st);
    st.st_mode = type->readdir ? S_IFDIR : type->readlink ? S_IFLNK : S_IFREG;
    /* the type only (no FUSE_FILL_DIR_PLUS): the kernel learns what it is, not its attributes */
    return dir_give(dir, name, &st, 0);
}

static void fill_stat(struct stat *st, mode_t mode, gsize size, gint64 mtime)
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

void abfs_stat_dir(struct stat *st, mode_t perm, gint64 mtime)
{
    fill_stat(st, S_IFDIR | perm, 0, mtime);
}

void abfs_stat_file(struct stat *st, mode_t perm, gsize size, gint64 mtime)
{
    fill_stat(st, S_IFREG | perm, size, mtime);
}

void abfs_stat_link(struct stat *st, gsize target_len)
{
    fill_stat(st, S_IFLNK | 0777, target_len, abfs_fs()->mount_time);
}

void abfs_dir_add_scratches(AbfsDir *dir, const char *path)
{
    GPtrArray *names = abfs_scratch_list(path);
    for (guint i = 0; i < names->len; i++) {
        const char *name = g_ptr_array_index(names, i);
        char *child = g_strconcat(path, "/", name, NULL);
        Scratch *s = abfs_scratch_lookup(child);
        if (s) {
            mode_t mode;
            off_t size;
            gint64 mtime;
            abfs_scratch_stat(s, &mode, &size, &mtime);
            abfs_scratch_unref(s);
            struct stat st;
            abfs_stat_file(&st, mode, (gsize)size, mtime);
            abfs_dir_add(dir, name, &st);
        }
        g_free(child);
    }
    g_ptr_array_free(names, TRUE);
}

int abfs_node_connection_exists(const AbfsNode *node, GError **error)
{
    AbfsEntry *e = abfs_store_entry(abfs_fs()->store, node->id, error);
    if (!e)
        return error && *error && (*error)->code > 0 ? -(*error)->code : -ENOENT;
    abfs_entry_unref(e);
    return 0;
}

int abfs_node_getattr_link(const AbfsNode *node, struct stat *st, GError **error)
{
    char *target = NULL;
    int rc = abfs_node_type(node->kind)->readlink(node, &target, error);
    if (rc == 0)
        abfs_stat_link(st, strlen(target));
    g_free(target);
    return rc;
}

int abfs_node_id_url_xattr(const char *name, const char *id, char *url, char **value)
{
    int rc = 0;
    if (strcmp(name, "user.airbyte.id") == 0)
        *value = g_strdup(id);
    else if (strcmp(name, "user.airbyte.url") == 0) {
        *value = url;
        url = NULL;
    } else
        rc = -ENODATA;
    g_free(url);
    return rc;
}

int abfs_node_getattr_text(const AbfsNode *node, struct stat *st, GError **error)
{
    char *text = NULL;
    int rc = abfs_node_type(node->kind)->read_text(node, &text, error);
    if (rc == 0)
        abfs_stat_file(st, 0444, strlen(text), abfs_fs()->mount_time);
    g_free(text);
    return rc;
}

gboolean abfs_open_wants_write(int flags)
{
    return (flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC);
}
