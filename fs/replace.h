/* replace.h — replacing an API-backed file by unlink-then-create (install, cp
 * --remove-destination, a cross-device mv, git checkout): a decorator over the FUSE operations
 * table (replace.c). */
#ifndef ABFS_REPLACE_H
#define ABFS_REPLACE_H

#include "fs.h"

/* How long an unlinked writable file stays away waiting for the create that replaces it. */
#define ABFS_REPLACE_WINDOW_S 3

/* ops, with the unlink of a writable API-backed file (a setting file with a parser, settings/<id>.json,
 * state.json, catalog.json, a source's or destination's name) accepted without sending anything:
 * for ABFS_REPLACE_WINDOW_S the name is absent (stat gives ENOENT, listings skip it), so that
 * open(O_CREAT|O_EXCL) reaches the create, which rewrites the file as an open with O_TRUNC does;
 * its close commits like any write. Without a create in the window the file is back, unchanged.
 * Also gives the operations on an open file whose name was removed (libfuse passes a NULL path)
 * the path the file was opened with. Call once, before fuse_new(). */
const struct fuse_operations *abfs_replace_wrap(const struct fuse_operations *ops);

#endif
