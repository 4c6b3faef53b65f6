/* handles.h — open files: what read, write, flush, fsync, truncate and release do once a file is
 * open, whatever node it belongs to. A handle has one of six shapes, made by the node's open
 * (node.h):
 *   text     a text fixed when the file was opened, so every read sees one version; a following
 *            text (a running job's log) is read again when a reader reaches its end;
 *   buffer   a writable file kept in memory and sent once through the node's commit on
 *            flush/fsync; a one-line file's value is sent from the write that completes it (it
 *            ends with a newline), and that write returns the API's answer. After a refused write
 *            nothing is sent and flush reports the refusal again; after a value was sent, more
 *            writes on that open file are refused (EINVAL) and change nothing;
 *   control  a file whose node acts (run, cancel, .refresh) once on what was written: in the write
 *            that ends with a newline (its answer is that write's), else at the first flush after
 *            a write; nothing written, nothing done; later writes EINVAL; it reads as empty;
 *   scratch  an in-memory scratch file (scratch.h);
 *   draft    a file kept in a scratch until it is sent once through its node's commit: from the
 *            write that makes it whole (the node's complete), else at the first flush after a
 *            write; after that, blank writes are accepted and others refused (EINVAL);
 *   stream   a blocking stream (events): reads, poll(2) and the last close go to its node's
 *            read_stream, poll and release_stream on a state the node's open made; it cannot be
 *            seeked (reads take what is pending, whatever the offset) nor written.
 * Each handle keeps a copy of its node, its path and its node's functions. Thread-safe. Functions
 * return as node.h's do: -errno, with *error set when there is a reason to record. */
#ifndef ABFS_HANDLES_H
#define ABFS_HANDLES_H

#include "node.h"
#include "scratch.h"

/* A setting file, a JSON file or a control file takes at most this much. */
#define ABFS_HANDLE_MAX_BYTES (4u * 1024 * 1024)
#define ABFS_CONTROL_MAX_BYTES 4096u

/* text: taken. */
AbfsHandle *abfs_handle_text(const char *path, const AbfsNode *node, char *text, gboolean follow);
/* initial: the file's content for a writer that did not truncate (copied; NULL: empty). base:
 * what the writer saw (a new reference is taken; may be NULL). */
AbfsHandle *abfs_handle_buffer(const char *path, const AbfsNode *node, const char *initial, AbfsEntry *base);
AbfsHandle *abfs_handle_control(const char *path, const AbfsNode *node);
/* s: taken. */
AbfsHandle *abfs_handle_scratch(const char *path, const AbfsNode *node, Scratch *s);
/* s (taken): where the draft's content is kept. */
AbfsHandle *abfs_handle_draft(const char *path, const AbfsNode *node, Scratch *s);

/* stream: taken (freed by the node's release_stream). */
AbfsHandle *abfs_handle_stream(const char *path, const AbfsNode *node, gpointer stream);

/* open of a read-only file: a text handle of its node's read_text; writers get EACCES. */
int abfs_handle_open_text(const AbfsNode *node, int flags, AbfsHandle **handle, GError **error);
/* open of a control file: for reading, an empty text (walkers copy it cleanly); for writing (not
 * O_RDWR: EACCES), a control handle that acts through its node's act once something is written. */
int abfs_handle_open_control(const AbfsNode *node, int flags, AbfsHandle **handle, GError **error);

/* A text handle whose reader, once it has read the whole text, gets -errnum instead of the end of
 * file: `cat jobs/<id>/wait` prints the final status and exits non-zero for a failed job. */
void abfs_handle_set_end_error(AbfsHandle *h, int errnum);

/* Reads bypass the kernel's page cache (content whose size moves while it is open). Control files
 * always do. */
void abfs_handle_set_direct_io(AbfsHandle *h);
/* Whether a handle may be read through the kernel's page cache (pagecache.h): a fixed text, not
 * following, not direct_io, with a plain end of file. */
gboolean abfs_handle_cacheable(const AbfsHandle *h);
/* Marks a cacheable handle as read through pages (pagecache.c). */
void abfs_handle_set_page_cached(AbfsHandle *h);
gboolean abfs_handle_page_cached(const AbfsHandle *h);
/* The text of a cacheable handle (fixed for its life: it does not follow) and its size. */
const char *abfs_handle_fixed_text(AbfsHandle *h, gsize *size);
/* Gives the handle to the kernel's open file. */
void abfs_handle_install(AbfsHandle *h, struct fuse_file_info *fi);
AbfsHandle *abfs_handle_of(const struct fuse_file_info *fi);
/* Frees a handle that was never installed (its open failed later). */
void abfs_handle_discard(AbfsHandle *h);

/* flags: the open file's flags at this read (O_NONBLOCK for a stream). */
int abfs_handle_read(AbfsHandle *h, char *buf, size_t size, off_t offset, int flags, GError **error);
/* poll(2) of an open file: a stream's node answers; any other file is always ready (ph, when
 * given, is destroyed). */
int abfs_handle_poll(AbfsHandle *h, struct fuse_pollhandle *ph, unsigned *revents);
int abfs_handle_write(AbfsHandle *h, const char *buf, size_t size, off_t offset, GError **error);
/* flush and fsync: the commit of a buffer, the action of a control file. */
int abfs_handle_flush(AbfsHandle *h, GError **error);
int abfs_handle_truncate(AbfsHandle *h, off_t size, GError **error);
/* The last close: a control file that was never written acts now. Frees the handle. */
int abfs_handle_release(AbfsHandle *h, GError **error);
/* The path the handle was opened with (for `errors`). */
const char *abfs_handle_path(AbfsHandle *h);

#endif
