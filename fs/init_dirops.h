/* init_dirops.h — asking the kernel for parallel lookups and readdirs (FUSE_PARALLEL_DIROPS), which
 * libfuse 3.14 (Debian 12) never asks for even when the filesystem wants it (fixed upstream in
 * 3.17.1). Without it the kernel holds a directory's lock across each LOOKUP, so 16 readers of 16
 * connections wait for 16 API round trips one after another.
 *
 * The session's I/O goes through fuse_session_custom_io(): reads and writes are the plain
 * syscalls on the same fd, except that the kernel's INIT request is noted (its unique id, and
 * whether the kernel offers FUSE_PARALLEL_DIROPS) and libfuse's successful INIT reply gets the
 * flag added when the kernel offered it.
 *
 * The same hook gives attribute-only invalidations, which libfuse's high-level API cannot ask
 * for (fuse_invalidate_path always sends offset 0, dropping pages too, and the path-to-inode
 * lookup is private): a thread that set abfs_io_attrs_only(true) has its FUSE_NOTIFY_INVAL_INODE
 * sent with offset -1, which the kernel takes as "attributes only" and which waits on no page.
 *
 * And per-file validity, which the high-level API has one global value for (entry_timeout,
 * attr_timeout): a thread that set abfs_io_reply_timeout(s) while answering a LOOKUP or GETATTR
 * has that answer say "valid s seconds" (pagecache.h says which files, and why it is safe).
 * Nothing else is touched. */
#ifndef ABFS_INIT_DIROPS_H
#define ABFS_INIT_DIROPS_H

#include <linux/fuse.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

struct fuse_session;

/* Route se's I/O through the wrappers; call after the session is mounted (its fd is open) and
 * before the loop reads the first request. Returns 0, or a negative errno from libfuse. */
int abfs_init_dirops_install(struct fuse_session *se);

/* Whether the INIT reply went out with FUSE_PARALLEL_DIROPS added (false before INIT, or when the
 * kernel did not offer it). */
bool abfs_init_dirops_enabled(void);

/* The pieces, exposed for tests/unit/test_init_dirops.c. State is per process: one session. */

/* A request of len bytes just read from the device: if it is FUSE_INIT, remember its unique id and
 * whether the kernel offered FUSE_PARALLEL_DIROPS. */
void abfs_init_dirops_saw_request(const void *buf, size_t len);

/* A reply about to be written: if it is the successful answer to the remembered INIT and the flag
 * was offered, returns a copy of iov (in out, count entries, with the init_out argument copied
 * into scratch and the flag set) to write instead; otherwise returns iov unchanged. */
const struct iovec *abfs_init_dirops_patch_reply(const struct iovec *iov, int count, struct iovec *out,
                                                 int out_cap, void *scratch, size_t scratch_len);

/* Until called again with false, inode invalidations this thread sends leave pages alone. */
void abfs_io_attrs_only(bool on);

/* A message about to be written: if it is a FUSE_NOTIFY_INVAL_INODE (unique 0, two pieces),
 * returns a copy of iov (in out) whose argument (copied into scratch) has offset -1 and length 0;
 * otherwise returns iov unchanged. */
const struct iovec *abfs_io_patch_inval_inode(const struct iovec *iov, int count, struct iovec *out, int out_cap,
                                              void *scratch, size_t scratch_len);

/* The answer this thread sends next to a request (a LOOKUP's entry, a GETATTR's attributes) says
 * the name and attributes stay valid for at least seconds; 0 turns it off. Notifications (unique 0)
 * are left alone and do not end it. */
void abfs_io_reply_timeout(unsigned seconds);

/* Room for the argument abfs_io_patch_reply_timeout() rewrites. */
typedef union {
    struct fuse_entry_out entry;
    struct fuse_attr_out attr;
} AbfsReplyScratch;

/* The patch itself: a successful reply of two pieces whose argument is a fuse_entry_out (entry and
 * attribute validity raised to seconds) or a fuse_attr_out (attribute validity); iov otherwise. */
const struct iovec *abfs_io_patch_reply_timeout(const struct iovec *iov, int count, unsigned seconds,
                                                struct iovec *out, int out_cap, void *scratch, size_t scratch_len);

/* Forget the remembered INIT (tests). */
void abfs_init_dirops_reset(void);

#endif
