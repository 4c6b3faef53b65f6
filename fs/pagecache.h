/* pagecache.h — which open files keep the kernel's page cache, and what the kernel was told of
 * the sizes of those that may.
 *
 * Files the API backs are opened direct_io: they have no pages, so invalidating one never waits on
 * a page lock (invalidate.c says why that matters). The one exception is a read-only open of a
 * connection's setting file (connections/<id>/<file>, settings/<id>.json), the files walkers and
 * globs over every connection read by the thousand: it keeps pages, so that the read at its end
 * is answered by the kernel (OPEN, READ, RELEASE instead of OPEN, READ, READ, RELEASE). It stays
 * safe because
 *   - the kernel drops the file's pages at every open (keep_cache is never set), in the opener's
 *     context: the daemon never waits on a page;
 *   - the invalidation thread invalidates these files' attributes only (no page is touched);
 *   - the kernel reads no further than the size it holds, so an open whose text differs in size
 *     from every size told to the kernel since the last invalidation first invalidates the
 *     file's attributes (from the open itself: attributes take no lock that a request holds), and
 *     the kernel's next getattr of the open file is answered with that open's text size;
 *   - while such an open is live, every size the kernel is told of the file is that open's, so
 *     no stat or listing elsewhere cuts its reads short;
 *   - the opens of a path reading through pages at one time all have the same text: an open of
 *     another text while one is live is direct_io, so pages an older open reads in are never
 *     served to a newer one.
 * The answer to a lookup or getattr of a file of a connection's directory (connections/<id>/<file>)
 * also tells the kernel to keep its name and attributes for -o file_timeout seconds (default
 * ABFS_PAGECACHE_FILE_TIMEOUT) instead of entry_timeout/attr_timeout, through the session's I/O
 * hook (init_dirops.h): those names live as long as the directory, and a size the kernel keeps too
 * long never cuts a read (above). .refresh and SIGHUP call abfs_pagecache_invalidate_kept().
 * With -o kernel_cache (or auto_cache) nothing here applies: every file keeps its pages across
 * opens, as the user asked. Thread-safe. */
#ifndef ABFS_PAGECACHE_H
#define ABFS_PAGECACHE_H

#include "fs.h"

/* ops with the open rules above (and getattr noting sizes); ops itself with kernel_cache. */
const struct fuse_operations *abfs_pagecache_wrap(const struct fuse_operations *ops, gboolean kernel_cache);

/* TRUE when the wrap is in place and path is a connection's setting file: its invalidations
 * must leave pages alone (invalidate.c). */
gboolean abfs_pagecache_attrs_only(const char *path);

/* Attributes of path about to be given to the kernel (a getattr's, or a listing's): their size is
 * recorded, and replaced while an open of path reads through pages by that open's (the kernel has
 * one size per file, and a smaller one would cut that open's reads). Records at most
 * ABFS_PAGECACHE_MAX_PATHS paths; an open of a path beyond them is direct_io. */
void abfs_pagecache_tell_stat(const char *path, struct stat *st);
#define ABFS_PAGECACHE_MAX_PATHS 65536u

/* How long the kernel keeps a connection file's name and attributes; 0: entry_timeout and
 * attr_timeout, like every other file. Call before the session starts. */
#define ABFS_PAGECACHE_FILE_TIMEOUT 10u
void abfs_pagecache_set_file_timeout(unsigned seconds);

/* Queues an attribute invalidation (abfs_invalidate_later) of every file whose attributes the
 * kernel was told to keep file_timeout s: after it, the next stat of each asks the daemon. */
void abfs_pagecache_invalidate_kept(void);

/* At exit, after the session ended. */
void abfs_pagecache_cleanup(void);

#endif
