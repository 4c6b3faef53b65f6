/* node_root.c — the mount's root directory and the files in it that are not subtrees: `errors`
 * (recent failures), `.refresh` (write: drop every cache), `workspace.json` and `url`. */
#include "node.h"
#include "handles.h"

#include <errno.h>
#include <string.h>

#include "json_util.h"
#include "text.h"
#include "weburl.h"

/* ---- / ---- */

static int root_getattr(const AbfsNode *node, struct stat *st, GError **error)
{
    (void)node;
    (void)error;
    abfs_stat_dir(st, 0555, abfs_fs()->mount_time);
    return 0;
}

static int root_readdir(const AbfsNode *node, AbfsDir *dir, GError **error)
{
    (void)node;
    (void)error;
    guint n;
    const AbfsTreeName *names = abfs_tree_names(ABFS_NODE_ROOT, &n);
    for (guint i = 0; i < n; i++) {
        /* attributes only where they cost nothing: the directories and `errors` */
        struct stat st;
        gboolean cheap = names[i].kind == ABFS_NODE_CONNECTIONS || names[i].kind == ABFS_NODE_SETTINGS ||
                         names[i].kind == ABFS_NODE_ERRORS;
        if (cheap) {
            AbfsNode child = {.kind = names[i].kind, .file = names[i].file, .path = names[i].name};
            abfs_node_type(child.kind)->getattr(&child, &st, NULL);
        }
        if (cheap ? abfs_dir_add(dir, names[i].name, &st) : abfs_dir_add_kind(dir, names[i].name, names[i].kind))
            break;
    }
    return 0;
}

const AbfsNodeType abfs_node_root = {
    .getattr = root_getattr,
    .readdir = root_readdir,
};

/* ---- errors ---- */

static int errors_read_text(const AbfsNode *node, char **text, GError **error)
{
    (void)node;
    (void)error;
    *text = abfs_errlog_text(abfs_fs()->errlog, NULL);
    return 0;
}

static int errors_getattr(const AbfsNode *node, struct stat *st, GError **error)
{
    (void)node;
    (void)error;
    AbfsFs *fs = abfs_fs();
    gint64 newest;
    char *text = abfs_errlog_text(fs->errlog, &newest);
    abfs_stat_file(st, 0444, strlen(text), newest ? newest : fs->mount_time);
    g_free(text);
    return 0;
}

const AbfsNodeType abfs_node_errors = {
    .getattr = errors_getattr,
    .open = abfs_handle_open_text,
    .read_text = errors_read_text,
};

/* ---- .refresh ---- */

static int refresh_getattr(const AbfsNode *node, struct stat *st, GError **error)
{
    (void)node;
    (void)error;
    abfs_stat_file(st, 0600, 0, abfs_fs()->mount_time);
    return 0;
}

static int refresh_act(const AbfsNode *node, const char *text, gsize len, GError **error)
{
    (void)node;
    (void)text;
    (void)len;
    (void)error;
    abfs_refresh_all(abfs_fs());
    return 0;
}

const AbfsNodeType abfs_node_refresh = {
    .getattr = refresh_getattr,
    .open = abfs_handle_open_control,
    .act = refresh_act,
    .truncate = NULL,
};

/* ---- workspace.json, url ---- */

static int workspace_json_text(const AbfsNode *node, char **text, GError **error)
{
    (void)node;
    (void)error;
    *text = abfs_json_pretty(abfs_fs()->workspace);
    return 0;
}

static int workspace_url_text(const AbfsNode *node, char **text, GError **error)
{
    (void)node;
    (void)error;
    AbfsFs *fs = abfs_fs();
    char *url = abfs_web_url(fs->cfg->web_root, fs->cfg->workspace_id, ABFS_WEB_WORKSPACE, NULL);
    *text = abfs_text_line(url);
    g_free(url);
    return 0;
}

const AbfsNodeType abfs_node_workspace_json = {
    .getattr = abfs_node_getattr_text,
    .open = abfs_handle_open_text,
    .read_text = workspace_json_text,
};

const AbfsNodeType abfs_node_workspace_url = {
    .getattr = abfs_node_getattr_text,
    .open = abfs_handle_open_text,
    .read_text = workspace_url_text,
};
