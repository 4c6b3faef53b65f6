/* init_dirops.c — FUSE_PARALLEL_DIROPS in the INIT reply, and attribute-only inode invalidations,
 * through libfuse's custom I/O hooks (see init_dirops.h for why). */
#define FUSE_USE_VERSION 314
#include "init_dirops.h"

#include <errno.h>
#include <fuse_lowlevel.h>
#include <glib.h>
#include <linux/fuse.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

/* 0: no INIT seen (or already answered); otherwise the INIT request's unique id. */
static uint64_t init_unique;
static bool init_offered;
static bool enabled;

/* The part of fuse_init_out that holds flags; older kernels' replies stop at max_write. */
#define INIT_OUT_FLAGS_END (offsetof(struct fuse_init_out, flags) + sizeof(uint32_t))
#define INIT_IN_FLAGS_END (offsetof(struct fuse_init_in, flags) + sizeof(uint32_t))

void abfs_init_dirops_reset(void)
{
    __atomic_store_n(&init_unique, 0, __ATOMIC_RELEASE);
    __atomic_store_n(&init_offered, false, __ATOMIC_RELEASE);
    __atomic_store_n(&enabled, false, __ATOMIC_RELEASE);
}

bool abfs_init_dirops_enabled(void)
{
    return __atomic_load_n(&enabled, __ATOMIC_ACQUIRE);
}

void abfs_init_dirops_saw_request(const void *buf, size_t len)
{
    if (len < sizeof(struct fuse_in_header) + INIT_IN_FLAGS_END)
        return;
    struct fuse_in_header in;
    memcpy(&in, buf, sizeof in);
    if (in.opcode != FUSE_INIT || in.unique == 0)
        return;
    struct fuse_init_in arg;
    memset(&arg, 0, sizeof arg);
    memcpy(&arg, (const char *)buf + sizeof in, MIN(sizeof arg, len - sizeof in));
    __atomic_store_n(&init_offered, (arg.flags & FUSE_PARALLEL_DIROPS) != 0, __ATOMIC_RELEASE);
    __atomic_store_n(&init_unique, in.unique, __ATOMIC_RELEASE);
}

const struct iovec *abfs_init_dirops_patch_reply(const struct iovec *iov, int count, struct iovec *out, int out_cap,
                                                 void *scratch, size_t scratch_len)
{
    uint64_t unique = __atomic_load_n(&init_unique, __ATOMIC_ACQUIRE);
    if (unique == 0 || count < 2 || count > out_cap || iov[0].iov_len < sizeof(struct fuse_out_header))
        return iov;
    struct fuse_out_header oh;
    memcpy(&oh, iov[0].iov_base, sizeof oh);
    if (oh.unique != unique)
        return iov;
    __atomic_store_n(&init_unique, 0, __ATOMIC_RELEASE); /* one INIT, one answer */
    if (oh.error != 0 || !__atomic_load_n(&init_offered, __ATOMIC_ACQUIRE) || iov[1].iov_len < INIT_OUT_FLAGS_END ||
        iov[1].iov_len > scratch_len)
        return iov;
    memcpy(scratch, iov[1].iov_base, iov[1].iov_len);
    uint32_t flags;
    memcpy(&flags, (char *)scratch + offsetof(struct fuse_init_out, flags), sizeof flags);
    flags |= FUSE_PARALLEL_DIROPS;
    memcpy((char *)scratch + offsetof(struct fuse_init_out, flags), &flags, sizeof flags);
    for (int i = 0; i < count; i++)
        out[i] = iov[i];
    out[1].iov_base = scratch;
    __atomic_store_n(&enabled, true, __ATOMIC_RELEASE);
    return out;
}

/* Set by a thread around a notification it wants to touch no page (abfs_io_attrs_only). */
static __thread bool attrs_only;

void abfs_io_attrs_only(bool on)
{
    attrs_only = on;
}

const struct iovec *abfs_io_patch_inval_inode(const struct iovec *iov, int count, struct iovec *out, int out_cap,
                                              void *scratch, size_t scratch_len)
{
    if (count != 2 || count > out_cap || iov[0].iov_len != sizeof(struct fuse_out_header) ||
        iov[1].iov_len != sizeof(struct fuse_notify_inval_inode_out) || scratch_len < iov[1].iov_len)
        return iov;
    struct fuse_out_header oh;
    memcpy(&oh, iov[0].iov_base, sizeof oh);
    if (oh.unique != 0 || oh.error != FUSE_NOTIFY_INVAL_INODE)
        return iov;
    struct fuse_notify_inval_inode_out arg;
    memcpy(&arg, iov[1].iov_base, sizeof arg);
    arg.off = -1; /* the kernel's fuse_reverse_inval_inode: attributes only, no page */
    arg.len = 0;
    memcpy(scratch, &arg, sizeof arg);
    out[0] = iov[0];
    out[1].iov_base = scratch;
    out[1].iov_len = sizeof arg;
    return out;
}

/* Set by a thread while it answers a lookup or getattr of a file whose name and attributes may be
 * kept longer (abfs_io_reply_timeout); 0: none. */
static __thread unsigned reply_timeout;

void abfs_io_reply_timeout(unsigned seconds)
{
    reply_timeout = seconds;
}

const struct iovec *abfs_io_patch_reply_timeout(const struct iovec *iov, int count, unsigned seconds, struct iovec *out,
                                                int out_cap, void *scratch, size_t scratch_len)
{
    if (seconds == 0 || count != 2 || count > out_cap || iov[0].iov_len != sizeof(struct fuse_out_header))
        return iov;
    struct fuse_out_header oh;
    memcpy(&oh, iov[0].iov_base, sizeof oh);
    if (oh.unique == 0 || oh.error != 0)
        return iov;
    if (iov[1].iov_len == sizeof(struct fuse_entry_out) && scratch_len >= sizeof(struct fuse_entry_out)) {
        struct fuse_entry_out arg;
        memcpy(&arg, iov[1].iov_base, sizeof arg);
        if (arg.entry_valid < seconds) {
            arg.entry_valid = seconds;
            arg.entry_valid_nsec = 0;
        }
        if (arg.attr_valid < seconds) {
            arg.attr_valid = seconds;
            arg.attr_valid_nsec = 0;
        }
        memcpy(scratch, &arg, sizeof arg);
    } else if (iov[1].iov_len == sizeof(struct fuse_attr_out) && scratch_len >= sizeof(struct fuse_attr_out)) {
        struct fuse_attr_out arg;
        memcpy(&arg, iov[1].iov_base, sizeof arg);
        if (arg.attr_valid < seconds) {
            arg.attr_valid = seconds;
            arg.attr_valid_nsec = 0;
        }
        memcpy(scratch, &arg, sizeof arg);
    } else
        return iov;
    out[0] = iov[0];
    out[1].iov_base = scratch;
    out[1].iov_len = iov[1].iov_len;
    return out;
}

static ssize_t dirops_read(int fd, void *buf, size_t buf_len, void *userdata)
{
    (void)userdata;
    ssize_t n = read(fd, buf, buf_len);
    if (n > 0 && __atomic_load_n(&init_unique, __ATOMIC_ACQUIRE) == 0 && !abfs_init_dirops_enabled())
        abfs_init_dirops_saw_request(buf, (size_t)n);
    return n;
}

static ssize_t dirops_writev(int fd, struct iovec *iov, int count, void *userdata)
{
    (void)userdata;
    if (attrs_only) {
        struct iovec patched[2];
        struct fuse_notify_inval_inode_out arg;
        return writev(fd, abfs_io_patch_inval_inode(iov, count, patched, 2, &arg, sizeof arg), count);
    }
    if (reply_timeout) {
        unsigned seconds = reply_timeout;
        struct iovec patched[2];
        AbfsReplyScratch arg;
        const struct iovec *use = abfs_io_patch_reply_timeout(iov, count, seconds, patched, 2, &arg, sizeof arg);
        if (count >= 1 && iov[0].iov_len >= sizeof(struct fuse_out_header) &&
            ((const struct fuse_out_header *)iov[0].iov_base)->unique != 0)
            reply_timeout = 0; /* the answer to the request that set it */
        return writev(fd, use, count);
    }
    if (__atomic_load_n(&init_unique, __ATOMIC_ACQUIRE) == 0)
        return writev(fd, iov, count);
    struct iovec patched[8];
    union {
        struct fuse_init_out arg;
        char bytes[256];
    } scratch;
    const struct iovec *use =
        abfs_init_dirops_patch_reply(iov, count, patched, (int)G_N_ELEMENTS(patched), &scratch, sizeof scratch);
    if (use != iov)
        g_debug("INIT: asked the kernel for parallel lookups and readdirs (FUSE_PARALLEL_DIROPS)");
    return writev(fd, use, count);
}

int abfs_init_dirops_install(struct fuse_session *se)
{
    static const struct fuse_custom_io io = {.read = dirops_read, .writev = dirops_writev};
    int fd = fuse_session_fd(se);
    if (fd < 0)
        return -EBADF;
    return fuse_session_custom_io(se, &io, fd);
}
