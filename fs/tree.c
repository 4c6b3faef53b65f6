/* tree.c — path names → nodes of the mounted tree (tree.h). */
#include "tree.h"
#include "actors.h"
#include "connection_files.h"
#include "jobs.h"
#include "resources.h"

#include <string.h>

char *abfs_tree_settings_name(const char *connection_id)
{
    return g_strconcat(connection_id, ".json", NULL);
}

static gboolean set_id(AbfsNode *node, const char *id, gsize len)
{
    if (len >= sizeof node->id)
        return FALSE;
    memcpy(node->id, id, len);
    node->id[len] = '\0';
    return abfs_id_is_safe(node->id);
}

/* The part of a path below /connections/<id>/jobs. */
static gboolean parse_jobs(char **rest, guint n, AbfsNode *node)
{
    if (n == 0) {
        node->kind = ABFS_NODE_JOBS;
        return TRUE;
    }
    if (n == 1 && strcmp(rest[0], "latest") == 0) {
        node->kind = ABFS_NODE_JOBS_LATEST;
        return TRUE;
    }
    if (n == 1 && strcmp(rest[0], "url") == 0) {
        node->kind = ABFS_NODE_JOBS_URL;
        return TRUE;
    }
    gsize len = strlen(rest[0]);
    if (len == 0 || len >= sizeof node->job)
        return FALSE;
    for (gsize i = 0; i < len; i++)
        if (!g_ascii_isdigit(rest[0][i]))
            return FALSE;
    g_strlcpy(node->job, rest[0], sizeof node->job);
    if (n == 1) {
        node->kind = ABFS_NODE_JOB;
        return TRUE;
    }
    if (n == 2 && abfs_job_file_exists(rest[1]) && strlen(rest[1]) < sizeof node->job_file) {
        node->kind = ABFS_NODE_JOB_FILE;
        g_strlcpy(node->job_file, rest[1], sizeof node->job_file);
        return TRUE;
    }
    return FALSE;
}

gboolean abfs_tree_parse(const char *path, AbfsNode *node)
{
    memset(node, 0, sizeof *node);
    node->file = -1;
    if (strcmp(path, "/") == 0) {
        node->kind = ABFS_NODE_ROOT;
        return TRUE;
    }
    char **parts = g_strsplit(path + 1, "/", 6);
    guint n = g_strv_length(parts);
    gboolean ok = FALSE;
    gboolean is_actor = n >= 1 && (strcmp(parts[0], "sources") == 0 || strcmp(parts[0], "destinations") == 0);
    if (n == 1 && strcmp(parts[0], "errors") == 0) {
        node->kind = ABFS_NODE_ERRORS;
        ok = TRUE;
    } else if (n == 1 && strcmp(parts[0], ".refresh") == 0) {
        node->kind = ABFS_NODE_REFRESH;
        ok = TRUE;
    } else if (n == 1 && strcmp(parts[0], "workspace.json") == 0) {
        node->kind = ABFS_NODE_WORKSPACE_JSON;
        ok = TRUE;
    } else if (n == 1 && strcmp(parts[0], "url") == 0) {
        node->kind = ABFS_NODE_WORKSPACE_URL;
        ok = TRUE;
    } else if (n >= 1 && strcmp(parts[0], "by-name") == 0) {
        node->kind = n == 1 ? ABFS_NODE_BY_NAME : ABFS_NODE_BY_NAME_LINK;
        ok = n <= 2 && (n == 1 || strlen(parts[1]) < sizeof node->leaf);
        if (n == 2 && ok)
            g_strlcpy(node->leaf, parts[1], sizeof node->leaf);
    } else if (is_actor) {
        node->file = parts[0][0] == 's' ? ABFS_ACTOR_SOURCE : ABFS_ACTOR_DESTINATION;
        if (n == 1) {
            node->kind = ABFS_NODE_ACTORS;
            ok = TRUE;
        } else if (set_id(node, parts[1], strlen(parts[1]))) {
            if (n == 2) {
                node->kind = ABFS_NODE_ACTOR;
                ok = TRUE;
            } else if (n == 3 && strcmp(parts[2], "connections") == 0) {
                node->kind = ABFS_NODE_ACTOR_CONNECTIONS;
                ok = TRUE;
            } else if (n == 3 && g_strv_contains(abfs_actor_files(), parts[2])) {
                node->kind = ABFS_NODE_ACTOR_FILE;
                g_strlcpy(node->leaf, parts[2], sizeof node->leaf);
                ok = TRUE;
            } else if (n == 3) { /* an editor's temporary file beside `name` */
                node->kind = ABFS_NODE_SCRATCH;
                g_snprintf(node->parent, sizeof node->parent, "/%s/%s", parts[0], node->id);
                ok = TRUE;
            } else if (n == 4 && strcmp(parts[2], "connections") == 0 && abfs_id_is_safe(parts[3]) &&
                       strlen(parts[3]) < 40) {
                node->kind = ABFS_NODE_ACTOR_CONNECTION_LINK;
                g_strlcpy(node->leaf, parts[3], sizeof node->leaf);
                ok = TRUE;
            }
        }
    } else if (n >= 1 && strcmp(parts[0], "settings") == 0) {
        if (n == 1) {
            node->kind = ABFS_NODE_SETTINGS;
            ok = TRUE;
        } else if (n == 2) {
            gsize len = strlen(parts[1]);
            if (g_str_has_suffix(parts[1], ".json") && set_id(node, parts[1], len - 5)) {
                node->kind = ABFS_NODE_CONNECTION_FILE;
                node->file = abfs_connection_file_index("settings.json");
            } else {
                node->kind = ABFS_NODE_SCRATCH;
                g_strlcpy(node->parent, "/settings", sizeof node->parent);
            }
            ok = TRUE;
        }
    } else if (n >= 1 && strcmp(parts[0], "connections") == 0) {
        if (n == 1) {
            node->kind = ABFS_NODE_CONNECTIONS;
            ok = TRUE;
        } else if (set_id(node, parts[1], strlen(parts[1]))) {
            if (n == 2) {
                node->kind = ABFS_NODE_CONNECTION;
                ok = TRUE;
            } else if (n == 3 && (strcmp(parts[2], "state.json") == 0 || strcmp(parts[2], "catalog.json") == 0)) {
                node->kind = ABFS_NODE_ARTIFACT;
                node->file = parts[2][0] == 's' ? 0 : 1;
                ok = TRUE;
            } else if (n == 3 && (strcmp(parts[2], "source") == 0 || strcmp(parts[2], "destination") == 0)) {
                node->kind = ABFS_NODE_CONNECTION_LINK;
                node->file = parts[2][0] == 's' ? 0 : 1;
                ok = TRUE;
            } else if (n == 3 && strcmp(parts[2], "run") == 0) {
                node->kind = ABFS_NODE_RUN;
                ok = TRUE;
            } else if (strcmp(parts[2], "jobs") == 0) {
                ok = parse_jobs(parts + 3, n - 3, node);
            } else if (n == 3) {
                node->file = abfs_connection_file_index(parts[2]);
                node->kind = node->file >= 0 ? ABFS_NODE_CONNECTION_FILE : ABFS_NODE_SCRATCH;
                g_snprintf(node->parent, sizeof node->parent, "/connections/%s", node->id);
                ok = TRUE;
            }
        }
    }
    g_strfreev(parts);
    return ok;
}
