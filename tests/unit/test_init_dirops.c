/* test_init_dirops.c — fs/init_dirops.c: the INIT request is noted and only its successful reply
 * gains FUSE_PARALLEL_DIROPS, and only when the kernel offered it; every other message is written
 * as libfuse built it. An inode invalidation asked for attributes only is sent with offset -1,
 * and nothing else is changed by that patch. */
#include "../../fs/init_dirops.h"

#include <errno.h>
#include <glib.h>
#include <linux/fuse.h>
#include <string.h>

static size_t init_request(char *buf, uint64_t unique, uint32_t opcode, uint32_t flags)
{
    struct fuse_in_header in = {.len = sizeof in + sizeof(struct fuse_init_in), .opcode = opcode, .unique = unique};
    struct fuse_init_in arg = {.major = 7, .minor = 38, .flags = flags};
    memcpy(buf, &in, sizeof in);
    memcpy(buf + sizeof in, &arg, sizeof arg);
    return sizeof in + sizeof arg;
}

struct reply {
    struct fuse_out_header oh;
    struct fuse_init_out arg;
    struct iovec iov[2];
};

static void init_reply(struct reply *r, uint64_t unique, int32_t error, uint32_t flags)
{
    memset(r, 0, sizeof *r);
    r->oh = (struct fuse_out_header){.len = sizeof r->oh + sizeof r->arg, .error = error, .unique = unique};
    r->arg = (struct fuse_init_out){.major = 7, .minor = 38, .flags = flags, .max_write = 131072};
    r->iov[0] = (struct iovec){&r->oh, sizeof r->oh};
    r->iov[1] = (struct iovec){&r->arg, sizeof r->arg};
}

static uint32_t flags_written(const struct iovec *iov)
{
    struct fuse_init_out arg;
    memcpy(&arg, iov[1].iov_base, sizeof arg);
    return arg.flags;
}

static const struct iovec *patch(struct reply *r, struct iovec *out, char *scratch, size_t scratch_len)
{
    return abfs_init_dirops_patch_reply(r->iov, 2, out, 4, scratch, scratch_len);
}

static void test_offered_flag_is_added_to_the_reply(void)
{
    abfs_init_dirops_reset();
    char buf[256], scratch[256];
    struct iovec out[4];
    struct reply r;
    abfs_init_dirops_saw_request(buf, init_request(buf, 2, FUSE_INIT, FUSE_ASYNC_READ | FUSE_PARALLEL_DIROPS));
    init_reply(&r, 2, 0, FUSE_ASYNC_READ | FUSE_BIG_WRITES);
    const struct iovec *w = patch(&r, out, scratch, sizeof scratch);
    g_assert_true(w == out);
    g_assert_cmpuint(flags_written(w), ==, FUSE_ASYNC_READ | FUSE_BIG_WRITES | FUSE_PARALLEL_DIROPS);
    g_assert_cmpuint(r.arg.flags, ==, FUSE_ASYNC_READ | FUSE_BIG_WRITES); /* libfuse's own copy untouched */
    g_assert_true(w[0].iov_base == &r.oh);
    g_assert_cmpuint(w[1].iov_len, ==, sizeof r.arg);
    struct fuse_init_out copy;
    memcpy(&copy, w[1].iov_base, sizeof copy);
    g_assert_cmpuint(copy.max_write, ==, 131072);
    g_assert_true(abfs_init_dirops_enabled());
    /* one INIT, one answer: a later reply with the same unique id is left alone */
    init_reply(&r, 2, 0, 0);
    g_assert_true(patch(&r, out, scratch, sizeof scratch) == r.iov);
}

static void test_not_offered_or_failed_or_other_replies_are_untouched(void)
{
    char buf[256], scratch[256];
    struct iovec out[4];
    struct reply r;

    abfs_init_dirops_reset(); /* the kernel does not offer it */
    abfs_init_dirops_saw_request(buf, init_request(buf, 2, FUSE_INIT, FUSE_ASYNC_READ));
    init_reply(&r, 2, 0, FUSE_ASYNC_READ);
    g_assert_true(patch(&r, out, scratch, sizeof scratch) == r.iov);
    g_assert_false(abfs_init_dirops_enabled());

    abfs_init_dirops_reset(); /* libfuse refuses INIT (protocol too old) */
    abfs_init_dirops_saw_request(buf, init_request(buf, 2, FUSE_INIT, FUSE_PARALLEL_DIROPS));
    init_reply(&r, 2, -EPROTO, 0);
    g_assert_true(patch(&r, out, scratch, sizeof scratch) == r.iov);
    g_assert_false(abfs_init_dirops_enabled());

    abfs_init_dirops_reset(); /* another request, another reply */
    abfs_init_dirops_saw_request(buf, init_request(buf, 4, FUSE_LOOKUP, FUSE_PARALLEL_DIROPS));
    init_reply(&r, 4, 0, 0);
    g_assert_true(patch(&r, out, scratch, sizeof scratch) == r.iov);

    abfs_init_dirops_reset(); /* a reply to another request while INIT is pending */
    abfs_init_dirops_saw_request(buf, init_request(buf, 2, FUSE_INIT, FUSE_PARALLEL_DIROPS));
    init_reply(&r, 6, 0, 0);
    g_assert_true(patch(&r, out, scratch, sizeof scratch) == r.iov);
    init_reply(&r, 2, 0, 0); /* ... and INIT's own reply still gets the flag */
    g_assert_cmpuint(flags_written(patch(&r, out, scratch, sizeof scratch)), ==, FUSE_PARALLEL_DIROPS);

    abfs_init_dirops_reset(); /* a short read is not an INIT */
    abfs_init_dirops_saw_request(buf, sizeof(struct fuse_in_header) + 4);
    init_reply(&r, 0, 0, 0);
    g_assert_true(patch(&r, out, scratch, sizeof scratch) == r.iov);

    abfs_init_dirops_reset(); /* a reply argument larger than the scratch space is sent as is */
    abfs_init_dirops_saw_request(buf, init_request(buf, 2, FUSE_INIT, FUSE_PARALLEL_DIROPS));
    init_reply(&r, 2, 0, 0);
    g_assert_true(patch(&r, out, scratch, 8) == r.iov);
}

struct notify {
    struct fuse_out_header oh;
    struct fuse_notify_inval_inode_out arg;
    struct iovec iov[2];
};

static void inval_inode(struct notify *n, int32_t code, uint64_t unique)
{
    memset(n, 0, sizeof *n);
    n->oh = (struct fuse_out_header){.len = sizeof n->oh + sizeof n->arg, .error = code, .unique = unique};
    n->arg = (struct fuse_notify_inval_inode_out){.ino = 42, .off = 0, .len = 0}; /* as libfuse sends it */
    n->iov[0] = (struct iovec){&n->oh, sizeof n->oh};
    n->iov[1] = (struct iovec){&n->arg, sizeof n->arg};
}

static void test_inval_inode_becomes_attributes_only(void)
{
    struct notify n;
    inval_inode(&n, FUSE_NOTIFY_INVAL_INODE, 0);
    struct iovec out[2];
    struct fuse_notify_inval_inode_out scratch;
    const struct iovec *use = abfs_io_patch_inval_inode(n.iov, 2, out, 2, &scratch, sizeof scratch);
    g_assert_true(use == out);
    g_assert_true(use[0].iov_base == &n.oh); /* the header as built */
    struct fuse_notify_inval_inode_out sent;
    g_assert_cmpuint(use[1].iov_len, ==, sizeof sent);
    memcpy(&sent, use[1].iov_base, sizeof sent);
    g_assert_cmpuint(sent.ino, ==, 42);
    g_assert_cmpint(sent.off, ==, -1);
    g_assert_cmpint(sent.len, ==, 0);
    g_assert_cmpint(n.arg.off, ==, 0); /* libfuse's own buffer is untouched */
}

static void test_other_messages_are_not_patched(void)
{
    struct iovec out[2];
    struct fuse_notify_inval_inode_out scratch;
    struct notify n;
    inval_inode(&n, FUSE_NOTIFY_INVAL_ENTRY, 0); /* another notification */
    g_assert_true(abfs_io_patch_inval_inode(n.iov, 2, out, 2, &scratch, sizeof scratch) == n.iov);
    inval_inode(&n, FUSE_NOTIFY_INVAL_INODE, 7); /* a reply (unique != 0) whose error happens to be 2 */
    g_assert_true(abfs_io_patch_inval_inode(n.iov, 2, out, 2, &scratch, sizeof scratch) == n.iov);
    inval_inode(&n, FUSE_NOTIFY_INVAL_INODE, 0);
    g_assert_true(abfs_io_patch_inval_inode(n.iov, 1, out, 2, &scratch, sizeof scratch) == n.iov);
    g_assert_true(abfs_io_patch_inval_inode(n.iov, 2, out, 2, &scratch, sizeof scratch - 1) == n.iov);
    n.iov[1].iov_len = sizeof n.arg - 8; /* not the size of the argument */
    g_assert_true(abfs_io_patch_inval_inode(n.iov, 2, out, 2, &scratch, sizeof scratch) == n.iov);
}

/* A reply as libfuse sends it: the header, then one argument. */
struct entry_reply {
    struct fuse_out_header oh;
    struct fuse_entry_out entry;
    struct fuse_attr_out attr;
    struct iovec iov[2];
};

static void entry_reply(struct entry_reply *r, int32_t error, uint64_t unique, gboolean attr)
{
    memset(r, 0, sizeof *r);
    r->entry = (struct fuse_entry_out){.nodeid = 9,
                                       .entry_valid = 1,
                                       .entry_valid_nsec = 5,
                                       .attr_valid = 1,
                                       .attr_valid_nsec = 5,
                                       .attr = {.size = 123}};
    r->attr = (struct fuse_attr_out){.attr_valid = 1, .attr_valid_nsec = 5, .attr = {.size = 77}};
    size_t len = attr ? sizeof r->attr : sizeof r->entry;
    r->oh = (struct fuse_out_header){.len = (uint32_t)(sizeof r->oh + len), .error = error, .unique = unique};
    r->iov[0] = (struct iovec){&r->oh, sizeof r->oh};
    r->iov[1] = attr ? (struct iovec){&r->attr, sizeof r->attr} : (struct iovec){&r->entry, sizeof r->entry};
}

static void test_lookup_and_getattr_answers_are_kept_longer(void)
{
    struct entry_reply r;
    struct iovec out[2];
    AbfsReplyScratch scratch;
    entry_reply(&r, 0, 11, FALSE);
    const struct iovec *use = abfs_io_patch_reply_timeout(r.iov, 2, 10, out, 2, &scratch, sizeof scratch);
    g_assert_true(use == out && use[0].iov_base == &r.oh);
    struct fuse_entry_out e;
    g_assert_cmpuint(use[1].iov_len, ==, sizeof e);
    memcpy(&e, use[1].iov_base, sizeof e);
    g_assert_cmpuint(e.entry_valid, ==, 10);
    g_assert_cmpuint(e.entry_valid_nsec, ==, 0);
    g_assert_cmpuint(e.attr_valid, ==, 10);
    g_assert_cmpuint(e.nodeid, ==, 9);
    g_assert_cmpuint(e.attr.size, ==, 123);
    g_assert_cmpuint(r.entry.entry_valid, ==, 1); /* libfuse's buffer is untouched */

    entry_reply(&r, 0, 12, TRUE);
    use = abfs_io_patch_reply_timeout(r.iov, 2, 10, out, 2, &scratch, sizeof scratch);
    g_assert_true(use == out);
    struct fuse_attr_out a;
    memcpy(&a, use[1].iov_base, sizeof a);
    g_assert_cmpuint(a.attr_valid, ==, 10);
    g_assert_cmpuint(a.attr.size, ==, 77);

    /* never shortened: a longer validity the user asked for stays */
    entry_reply(&r, 0, 13, FALSE);
    r.entry.entry_valid = 60;
    r.entry.attr_valid = 60;
    use = abfs_io_patch_reply_timeout(r.iov, 2, 10, out, 2, &scratch, sizeof scratch);
    memcpy(&e, use[1].iov_base, sizeof e);
    g_assert_cmpuint(e.entry_valid, ==, 60);
    g_assert_cmpuint(e.attr_valid, ==, 60);
}

static void test_other_answers_keep_their_timeouts(void)
{
    struct entry_reply r;
    struct iovec out[2];
    AbfsReplyScratch scratch;
    entry_reply(&r, -ENOENT, 11, FALSE); /* a failed lookup */
    g_assert_true(abfs_io_patch_reply_timeout(r.iov, 2, 10, out, 2, &scratch, sizeof scratch) == r.iov);
    entry_reply(&r, 0, 0, FALSE); /* a notification */
    g_assert_true(abfs_io_patch_reply_timeout(r.iov, 2, 10, out, 2, &scratch, sizeof scratch) == r.iov);
    entry_reply(&r, 0, 11, FALSE);
    g_assert_true(abfs_io_patch_reply_timeout(r.iov, 2, 0, out, 2, &scratch, sizeof scratch) == r.iov);
    g_assert_true(abfs_io_patch_reply_timeout(r.iov, 1, 10, out, 2, &scratch, sizeof scratch) == r.iov);
    g_assert_true(abfs_io_patch_reply_timeout(r.iov, 2, 10, out, 2, &scratch, sizeof r.attr) == r.iov);
    r.iov[1].iov_len = sizeof r.entry + sizeof(struct fuse_open_out); /* a create's entry and open */
    g_assert_true(abfs_io_patch_reply_timeout(r.iov, 2, 10, out, 2, &scratch, sizeof scratch) == r.iov);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/init_dirops/offered", test_offered_flag_is_added_to_the_reply);
    g_test_add_func("/init_dirops/untouched", test_not_offered_or_failed_or_other_replies_are_untouched);
    g_test_add_func("/init_dirops/inval_attrs_only", test_inval_inode_becomes_attributes_only);
    g_test_add_func("/init_dirops/inval_others", test_other_messages_are_not_patched);
    g_test_add_func("/init_dirops/reply_timeout", test_lookup_and_getattr_answers_are_kept_longer);
    g_test_add_func("/init_dirops/reply_timeout_others", test_other_answers_keep_their_timeouts);
    return g_test_run();
}
