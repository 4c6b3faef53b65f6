/* tree.c — path names → nodes of the mounted tree (tree.h). */
#include "tree.h"
#include "connection_files.h"
#include "resources.h"

#include <string.h>

gboolean abfs_tree_parse(const char *path, AbfsNode *node)
{
    memset(node, 0, sizeof *node);
    node->file = -1;
    if (strcmp(path, "/") == 0) {
        node->kind = ABFS_NODE_ROOT;
        return TRUE;
    }
    char **parts = g_strsplit(path + 1, "/", 4);
    guint n = g_strv_length(parts);
    gboolean ok = FALSE;
    if (n >= 1 && strcmp(parts[0], "connections") == 0) {
        if (n == 1) {
            node->kind = ABFS_NODE_CONNECTIONS;
            ok = TRUE;
        } else if (abfs_id_is_safe(parts[1]) && strlen(parts[1]) < sizeof node->id) {
            g_strlcpy(node->id, parts[1], sizeof node->id);
            if (n == 2) {
                node->kind = ABFS_NODE_CONNECTION;
                ok = TRUE;
            } else if (n == 3) {
                node->kind = ABFS_NODE_CONNECTION_FILE;
                node->file = abfs_connection_file_index(parts[2]);
                ok = node->file >= 0;
            }
        }
    }
    g_strfreev(parts);
    return ok;
}
