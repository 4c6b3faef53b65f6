/* pagecache.c — the open rules of pagecache.h: direct_io for the files the API backs, pages for a
 * read-only open of a connection's setting file when the size the kernel holds is known to be the
 * open's, and getattr noting every size the kernel is told. */
#include "pagecache.h"

#include <errno.h>
#include <string.h>

#include "handles.h"
#include "init_dirops.h"
#include "tree.h"

typedef struct {
    off_t size;        /* the last size told for the path */
    gboolean settled;  /* every size told since the record began (or since the last invalidation) is size */
    guint live;        /* opens of the path reading through pages now, all of live_text */
    GBytes *live_text; /* while live: their text (pages filled by one are the others' too) */
    gboolean kept;     /* the kernel was told to keep the name and attributes file_timeout s */
} Told;

static void told_free(gpointer data)
{
    Told *t = data;
    if (t->live_text)
        g_bytes_unref(t->live_text);
    g_free(t);
}

static GMutex lock;
static GHashTable *told; /* path -> Told; protected by lock; never shrinks (bounded) */
static gboolean active;  /* the wrap is in place (no kernel_cache) */
static unsigned file_timeout = ABFS_PAGECACHE_FILE_TIMEOUT; /* set before the session starts */

void abfs_pagecache_set_file_timeout(unsigned seconds)
{
    file_timeout = seconds;
}

static gboolean setting_file(const char *path, AbfsNode *node)
{
    return abfs_tree_parse(path, node) && node->kind == ABFS_NODE_CONNECTION_FILE;
}

gboolean abfs_pagecache_attrs_only(const char *path)
{
    AbfsNode node;
    return active && setting_file(path, &node);
}

/* The record of path, made when absent and there is room (NULL otherwise). Caller holds lock. */
static Told *record(const char *path, off_t size, gboolean *made)
{
    Told *t = g_hash_table_lookup(told, path);
    *made = FALSE;
    if (t || g_hash_table_size(told) >= ABFS_PAGECACHE_MAX_PATHS)
        return t;
    t = g_new0(Told, 1);
    /* No record means nothing was ever told for path (the table never forgets): the kernel holds
     * no size of it, or this one. */
    t->size = size;
    t->settled = TRUE;
    g_hash_table_insert(told, g_strdup(path), t);
    *made = TRUE;
    return t;
}

/* The size to tell of path; *recorded: whether path has a record (with keep: marked kept). */
static off_t tell(const char *path, off_t size, gboolean keep, gboolean *recorded)
{
    g_mutex_lock(&lock);
    gboolean made;
    Told *t = told ? record(path, size, &made) : NULL;
    *recorded = t != NULL;
    if (t && keep)
        t->kept = TRUE;
    if (t && t->live)
        size = t->size; /* the kernel's one size of the file is the live open's until it closes */
    else if (t && !made && t->size != size) {
        t->size = size;
        t->settled = FALSE; /* the kernel holds one of two sizes: the next open invalidates */
    }
    g_mutex_unlock(&lock);
    return size;
}

/* st with size (and the blocks it takes). */
static void set_size(struct stat *st, off_t size)
{
    if (size != st->st_size) {
        st->st_size = size;
        st->st_blocks = (size + 511) / 512;
    }
}

void abfs_pagecache_tell_stat(const char *path, struct stat *st)
{
    gboolean recorded;
    set_size(st, tell(path, st->st_size, FALSE, &recorded));
}

/* Of the setting files, those of a connection's directory (connections/<id>/<file>): their name
 * lives as long as the directory, whose own entry the kernel still checks every entry_timeout. */
static gboolean keepable(const char *path)
{
    return file_timeout > 0 && g_str_has_prefix(path, "/connections/");
}

void abfs_pagecache_invalidate_kept(void)
{
    GPtrArray *paths = g_ptr_array_new_with_free_func(g_free);
    g_mutex_lock(&lock);
    if (told) {
        GHashTableIter it;
        gpointer key, value;
        g_hash_table_iter_init(&it, told);
        while (g_hash_table_iter_next(&it, &key, &value))
            if (((Told *)value)->kept)
                g_ptr_array_add(paths, g_strdup(key));
    }
    g_mutex_unlock(&lock);
    for (guint i = 0; i < paths->len; i++)
        abfs_invalidate_later(g_ptr_array_index(paths, i));
    g_ptr_array_free(paths, TRUE);
}

/* Whether the open h of path reads through pages. When the kernel may hold another size for path,
 * its attributes are invalidated first, so its next getattr (answered with h's size) comes before
 * any read past the size it holds. */
static gboolean admit(const char *path, AbfsHandle *h)
{
    gsize len;
    const char *text = abfs_handle_fixed_text(h, &len);
    off_t size = (off_t)len;
    g_mutex_lock(&lock);
    gboolean made;
    Told *t = record(path, size, &made);
    if (!t) {
        g_mutex_unlock(&lock);
        return FALSE; /* untracked: the table is full */
    }
    if (t->live) {
        gsize live_len;
        const char *live = g_bytes_get_data(t->live_text, &live_len);
        gboolean same = live_len == len && memcmp(live, text, len) == 0;
        if (same)
            t->live++;
        g_mutex_unlock(&lock);
        /* another version is being read: pages it reads in must not be served to this one */
        return same;
    }
    gboolean known = t->settled && t->size == size;
    /* From here every size told is h's (abfs_pagecache_tell_stat); sizes told before the invalidation
     * below no longer count. */
    t->size = size;
    t->settled = TRUE;
    t->live = 1;
    t->live_text = g_bytes_new(text, len);
    g_mutex_unlock(&lock);
    if (!known) {
        g_debug("open of %s: its size (%lld) may not be the kernel's; invalidating its attributes", path,
                (long long)size);
        abfs_invalidate_attrs_now(path);
    }
    return TRUE;
}

static void closed(const char *path)
{
    g_mutex_lock(&lock);
    Told *t = g_hash_table_lookup(told, path);
    if (t && t->live && --t->live == 0) {
        g_bytes_unref(t->live_text);
        t->live_text = NULL;
    }
    g_mutex_unlock(&lock);
}

/* ---- the wrapped operations ---- */

static const struct fuse_operations *inner;
static struct fuse_operations wrapped;

static void choose(const char *path, struct fuse_file_info *fi)
{
    AbfsNode node;
    if (!abfs_tree_parse(path, &node) || node.kind == ABFS_NODE_SCRATCH)
        return; /* scratch files are local: they keep their pages */
    AbfsHandle *h = abfs_handle_of(fi);
    if (node.kind == ABFS_NODE_CONNECTION_FILE && h && !fi->direct_io && abfs_handle_cacheable(h) && admit(path, h)) {
        abfs_handle_set_page_cached(h);
        return;
    }
    fi->direct_io = 1;
}

static int open_chosen(const char *path, struct fuse_file_info *fi)
{
    int rc = inner->open(path, fi);
    if (rc == 0)
        choose(path, fi);
    return rc;
}

static int create_chosen(const char *path, mode_t mode, struct fuse_file_info *fi)
{
    int rc = inner->create(path, mode, fi);
    if (rc == 0)
        choose(path, fi);
    return rc;
}

static int release_noted(const char *path, struct fuse_file_info *fi)
{
    AbfsHandle *h = abfs_handle_of(fi);
    char *cached = h && abfs_handle_page_cached(h) ? g_strdup(abfs_handle_path(h)) : NULL;
    int rc = inner->release(path, fi);
    if (cached)
        closed(cached);
    g_free(cached);
    return rc;
}

/* A getattr of an open file that reads through pages answers that open's size (the kernel asks
 * before reading past the size it holds); every size of a setting file goes through tell(), and
 * the answer for a recorded file of a connection's directory says to keep its name and attributes
 * file_timeout s (a lookup's entry or a getattr's attributes): a walker's second pass over
 * thousands of them (a glob's stat, then cat's open) asks nothing again. What keeps that safe: an
 * open still asks the daemon and is invalidated first when its size differs (admit()); a change the
 * store sees invalidates the file (invalidate.c); .refresh and SIGHUP invalidate every kept file
 * (abfs_pagecache_invalidate_kept); a deleted connection's directory entry expires as before. */
static int getattr_noted(const char *path, struct stat *st, struct fuse_file_info *fi)
{
    int rc = inner->getattr(path, st, fi);
    if (rc != 0 || !path || !S_ISREG(st->st_mode))
        return rc;
    AbfsHandle *h = abfs_handle_of(fi);
    if (h && abfs_handle_page_cached(h)) {
        gsize len;
        abfs_handle_fixed_text(h, &len);
        set_size(st, (off_t)len);
    }
    AbfsNode node;
    if (setting_file(path, &node)) {
        gboolean keep = keepable(path), recorded;
        set_size(st, tell(path, st->st_size, keep, &recorded));
        if (keep && recorded)
            abfs_io_reply_timeout(file_timeout);
    }
    return rc;
}

const struct fuse_operations *abfs_pagecache_wrap(const struct fuse_operations *ops, gboolean kernel_cache)
{
    if (kernel_cache) /* the user asked for pages kept between opens: they get invalidated with locks */
        return ops;
    g_mutex_lock(&lock);
    if (!told)
        told = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, told_free);
    g_mutex_unlock(&lock);
    active = TRUE;
    inner = ops;
    wrapped = *ops;
    wrapped.open = open_chosen;
    wrapped.create = create_chosen;
    wrapped.release = release_noted;
    wrapped.getattr = getattr_noted;
    return &wrapped;
}

void abfs_pagecache_cleanup(void)
{
    g_mutex_lock(&lock);
    if (told)
        g_hash_table_destroy(told);
    told = NULL;
    active = FALSE;
    g_mutex_unlock(&lock);
}
