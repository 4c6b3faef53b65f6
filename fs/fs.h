/* fs.h — what the FUSE layer shares between its files: the mounted filesystem's state. */
#ifndef ABFS_FS_H
#define ABFS_FS_H

#include <glib.h>
#include <sys/types.h>
#include <json-c/json.h>

#include "client.h"
#include "store.h"

typedef struct {
    AbfsClient *client;
    AbfsStore *store;
    const AbfsConfig *cfg;
    json_object *workspace;   /* GET /workspaces/{id} at mount time */
    uid_t uid;
    gid_t gid;
    gint64 mount_time;        /* wall-clock seconds */
} AbfsFs;

/* The FUSE operations table (ops.c). */
struct fuse_operations;
const struct fuse_operations *abfs_fs_operations(void);

#endif
