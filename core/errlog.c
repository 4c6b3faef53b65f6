/* errlog.c — bounded list of recent failures for the `errors` file (errlog.h). */
#include "errlog.h"

#include <errno.h>
#include <string.h>

struct AbfsErrlog {
    GMutex lock;
    GQueue records; /* char*, oldest first */
    guint max;
    gint64 newest;
};

AbfsErrlog *abfs_errlog_new(guint max_records)
{
    AbfsErrlog *log = g_new0(AbfsErrlog, 1);
    g_mutex_init(&log->lock);
    g_queue_init(&log->records);
    log->max = max_records ? max_records : 1;
    return log;
}

void abfs_errlog_free(AbfsErrlog *log)
{
    if (!log)
        return;
    g_queue_clear_full(&log->records, g_free);
    g_mutex_clear(&log->lock);
    g_free(log);
}

const char *abfs_errno_name(int errnum)
{
    static const struct {
        int value;
        const char *name;
    } names[] = {
        {EINVAL, "EINVAL"},     {EACCES, "EACCES"}, {EPERM, "EPERM"},     {ENOENT, "ENOENT"},
        {EBUSY, "EBUSY"},       {EAGAIN, "EAGAIN"}, {EIO, "EIO"},         {ETIMEDOUT, "ETIMEDOUT"},
        {ENOTCONN, "ENOTCONN"}, {ESTALE, "ESTALE"}, {ENOTSUP, "ENOTSUP"}, {EFBIG, "EFBIG"},
        {ENOSPC, "ENOSPC"},     {EINTR, "EINTR"},   {ENOMEM, "ENOMEM"},   {EEXIST, "EEXIST"},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(names); i++)
        if (names[i].value == errnum)
            return names[i].name;
    static GMutex lock;
    static GHashTable *others;
    g_mutex_lock(&lock);
    if (!others)
        others = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
    char *name = g_hash_table_lookup(others, GINT_TO_POINTER(errnum));
    if (!name) {
        name = g_strdup_printf("E%d", errnum);
        g_hash_table_insert(others, GINT_TO_POINTER(errnum), name);
    }
    g_mutex_unlock(&lock);
    return name;
}

void abfs_errlog_add(AbfsErrlog *log, const char *path, int errnum, const char *message)
{
    GDateTime *now = g_date_time_new_now_utc();
    char *stamp = g_date_time_format(now, "%Y-%m-%dT%H:%M:%SZ");
    while (path && *path == '/')
        path++;
    char *record =
        g_strdup_printf("%s %s: %s: %s", stamp, path && *path ? path : "/", abfs_errno_name(errnum), message);
    for (char *p = record; *p; p++) /* one record, one line */
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    g_warning("%s", record + strlen(stamp) + 1);
    g_mutex_lock(&log->lock);
    g_queue_push_tail(&log->records, record);
    while (g_queue_get_length(&log->records) > log->max)
        g_free(g_queue_pop_head(&log->records));
    log->newest = g_date_time_to_unix(now);
    g_mutex_unlock(&log->lock);
    g_free(stamp);
    g_date_time_unref(now);
}

char *abfs_errlog_text(AbfsErrlog *log, gint64 *newest)
{
    GString *text = g_string_new(NULL);
    g_mutex_lock(&log->lock);
    for (GList *l = log->records.head; l; l = l->next)
        g_string_append_printf(text, "%s\n", (char *)l->data);
    if (newest)
        *newest = log->newest;
    g_mutex_unlock(&log->lock);
    return g_string_free(text, FALSE);
}
