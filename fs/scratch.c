/* scratch.c — the table of in-memory scratch files (scratch.h). */
#include "scratch.h"

#include <errno.h>
#include <string.h>

struct Scratch {
    gint refs;
    GMutex lock;
    GString *data;   /* protected by lock */
    mode_t mode;     /* protected by lock */
    gint64 mtime;    /* protected by lock */
    gpointer origin; /* what its creator saw (scratch.h); protected by lock */
    GDestroyNotify origin_free;
};

static GMutex table_lock;
static GHashTable *table; /* path → Scratch (ref) */

static void scratch_unref_cb(gpointer p)
{
    abfs_scratch_unref(p);
}

void abfs_scratch_init(void)
{
    table = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, scratch_unref_cb);
}

void abfs_scratch_cleanup(void)
{
    g_hash_table_destroy(table);
    table = NULL;
}

static Scratch *scratch_ref(Scratch *s)
{
    g_atomic_int_inc(&s->refs);
    return s;
}

void abfs_scratch_unref(Scratch *s)
{
    if (!s || !g_atomic_int_dec_and_test(&s->refs))
        return;
    g_string_free(s->data, TRUE);
    if (s->origin_free)
        s->origin_free(s->origin);
    g_mutex_clear(&s->lock);
    g_free(s);
}

void abfs_scratch_set_origin(Scratch *s, gpointer origin, GDestroyNotify destroy)
{
    g_mutex_lock(&s->lock);
    gpointer old = s->origin;
    GDestroyNotify old_free = s->origin_free;
    s->origin = origin;
    s->origin_free = destroy;
    g_mutex_unlock(&s->lock);
    if (old_free)
        old_free(old);
}

gpointer abfs_scratch_origin(Scratch *s)
{
    g_mutex_lock(&s->lock);
    gpointer origin = s->origin;
    g_mutex_unlock(&s->lock);
    return origin;
}

Scratch *abfs_scratch_lookup(const char *path)
{
    g_mutex_lock(&table_lock);
    Scratch *s = g_hash_table_lookup(table, path);
    if (s)
        scratch_ref(s);
    g_mutex_unlock(&table_lock);
    return s;
}

int abfs_scratch_create(const char *path, mode_t mode, Scratch **out)
{
    g_mutex_lock(&table_lock);
    Scratch *s = g_hash_table_lookup(table, path);
    if (s) {
        g_mutex_lock(&s->lock);
        g_string_truncate(s->data, 0);
        g_mutex_unlock(&s->lock);
    } else {
        if (g_hash_table_size(table) >= ABFS_SCRATCH_MAX_FILES) {
            g_mutex_unlock(&table_lock);
            return -ENOSPC;
        }
        s = g_new0(Scratch, 1);
        s->refs = 1;
        g_mutex_init(&s->lock);
        s->data = g_string_new(NULL);
        s->mode = mode & 07777;
        s->mtime = g_get_real_time() / G_USEC_PER_SEC;
        g_hash_table_insert(table, g_strdup(path), s);
    }
    *out = scratch_ref(s);
    g_mutex_unlock(&table_lock);
    return 0;
}

int abfs_scratch_unlink(const char *path)
{
    g_mutex_lock(&table_lock);
    gboolean removed = g_hash_table_remove(table, path);
    g_mutex_unlock(&table_lock);
    return removed ? 0 : -ENOENT;
}

int abfs_scratch_rename(const char *from, const char *to)
{
    g_mutex_lock(&table_lock);
    gpointer key, value;
    if (!g_hash_table_steal_extended(table, from, &key, &value)) {
        g_mutex_unlock(&table_lock);
        return -ENOENT;
    }
    g_free(key);
    g_hash_table_replace(table, g_strdup(to), value);
    g_mutex_unlock(&table_lock);
    return 0;
}

static gboolean under_prefix(gpointer key, gpointer value, gpointer prefix)
{
    (void)value;
    gsize n = strlen(prefix);
    return strncmp(key, prefix, n) == 0 && ((const char *)key)[n] == '/';
}

void abfs_scratch_forget_under(const char *prefix)
{
    g_mutex_lock(&table_lock);
    g_hash_table_foreach_remove(table, under_prefix, (gpointer)prefix);
    g_mutex_unlock(&table_lock);
}

int abfs_scratch_read(Scratch *s, char *buf, size_t size, off_t offset)
{
    g_mutex_lock(&s->lock);
    int n = 0;
    if (offset >= 0 && (gsize)offset < s->data->len) {
        n = (int)MIN(size, s->data->len - (gsize)offset);
        memcpy(buf, s->data->str + offset, (size_t)n);
    }
    g_mutex_unlock(&s->lock);
    return n;
}

int abfs_scratch_write(Scratch *s, const char *buf, size_t size, off_t offset)
{
    if (offset < 0 || (guint64)offset + size > ABFS_SCRATCH_MAX_BYTES)
        return -EFBIG;
    g_mutex_lock(&s->lock);
    if ((gsize)offset > s->data->len) {
        gsize old = s->data->len;
        g_string_set_size(s->data, (gsize)offset);
        memset(s->data->str + old, 0, (gsize)offset - old);
    }
    if ((gsize)offset + size > s->data->len)
        g_string_set_size(s->data, (gsize)offset + size);
    memcpy(s->data->str + offset, buf, size);
    s->mtime = g_get_real_time() / G_USEC_PER_SEC;
    g_mutex_unlock(&s->lock);
    return (int)size;
}

int abfs_scratch_truncate(Scratch *s, off_t size)
{
    if (size < 0 || (guint64)size > ABFS_SCRATCH_MAX_BYTES)
        return -EFBIG;
    g_mutex_lock(&s->lock);
    gsize old = s->data->len;
    g_string_set_size(s->data, (gsize)size);
    if ((gsize)size > old)
        memset(s->data->str + old, 0, (gsize)size - old);
    s->mtime = g_get_real_time() / G_USEC_PER_SEC;
    g_mutex_unlock(&s->lock);
    return 0;
}

char *abfs_scratch_content(Scratch *s, gsize *len)
{
    g_mutex_lock(&s->lock);
    char *copy = g_strndup(s->data->str, s->data->len);
    *len = s->data->len;
    g_mutex_unlock(&s->lock);
    return copy;
}

void abfs_scratch_stat(Scratch *s, mode_t *mode, off_t *size, gint64 *mtime)
{
    g_mutex_lock(&s->lock);
    *mode = s->mode;
    *size = (off_t)s->data->len;
    *mtime = s->mtime;
    g_mutex_unlock(&s->lock);
}

void abfs_scratch_set_mode(Scratch *s, mode_t mode)
{
    g_mutex_lock(&s->lock);
    s->mode = mode & 07777;
    g_mutex_unlock(&s->lock);
}

void abfs_scratch_set_mtime(Scratch *s, gint64 mtime)
{
    g_mutex_lock(&s->lock);
    s->mtime = mtime;
    g_mutex_unlock(&s->lock);
}

GPtrArray *abfs_scratch_list(const char *dir)
{
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    gsize n = strlen(dir);
    g_mutex_lock(&table_lock);
    GHashTableIter it;
    gpointer key;
    g_hash_table_iter_init(&it, table);
    while (g_hash_table_iter_next(&it, &key, NULL)) {
        const char *path = key;
        if (strncmp(path, dir, n) == 0 && path[n] == '/' && !strchr(path + n + 1, '/'))
            g_ptr_array_add(names, g_strdup(path + n + 1));
    }
    g_mutex_unlock(&table_lock);
    return names;
}
