/* tree.h — the shape of the mounted tree: which path names which node. No I/O here.
 *
 *   /                             ROOT
 *   /connections                  CONNECTIONS
 *   /connections/<id>             CONNECTION          (id: a UUID or an integer)
 *   /connections/<id>/<file>      CONNECTION_FILE     (file: a row of connection_files.h) */
#ifndef ABFS_TREE_H
#define ABFS_TREE_H

#include <glib.h>

typedef enum {
    ABFS_NODE_ROOT,
    ABFS_NODE_CONNECTIONS,
    ABFS_NODE_CONNECTION,
    ABFS_NODE_CONNECTION_FILE,
} AbfsNodeKind;

typedef struct {
    AbfsNodeKind kind;
    char id[40];  /* connection id, for CONNECTION and CONNECTION_FILE */
    int file;     /* connection file row, for CONNECTION_FILE */
} AbfsNode;

/* Fills *node for path. FALSE when no node can have that path (ENOENT without asking the API). */
gboolean abfs_tree_parse(const char *path, AbfsNode *node);

#endif
