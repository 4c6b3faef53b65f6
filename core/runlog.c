/* runlog.c — the growing text of jobs/running.log (runlog.h). */
#include "runlog.h"

#include <string.h>

typedef struct {
    char *connection;
    char *name;
    gsize consumed;   /* bytes of the job's log already in the text */
    gint64 gone_since; /* monotonic µs since it is no longer running; 0 while it runs */
} Followed;

struct AbfsRunLog {
    /* Set at creation, then read-only. */
    gsize max_bytes;
    gint64 idle_us;
    gint64 linger_us;
    GMutex poll;       /* held by the one update that reads logs */
    GMutex lock;       /* guards the fields below */
    GString *text;     /* protected by lock */
    GHashTable *jobs;  /* job id → Followed; protected by lock */
    gint64 last_use;   /* monotonic µs of the last update, 0: never; protected by lock */
};

static void followed_free(gpointer p)
{
    Followed *f = p;
    g_free(f->connection);
    g_free(f->name);
    g_free(f);
}

AbfsRunLog *abfs_runlog_new(gsize max_bytes, gint64 idle_us, gint64 linger_us)
{
    AbfsRunLog *log = g_new0(AbfsRunLog, 1);
    log->max_bytes = MAX(max_bytes, 1);
    log->idle_us = idle_us;
    log->linger_us = linger_us;
    g_mutex_init(&log->poll);
    g_mutex_init(&log->lock);
    log->text = g_string_new(NULL);
    log->jobs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, followed_free);
    return log;
}

void abfs_runlog_free(AbfsRunLog *log)
{
    if (!log)
        return;
    g_string_free(log->text, TRUE);
    g_hash_table_unref(log->jobs);
    g_mutex_clear(&log->poll);
    g_mutex_clear(&log->lock);
    g_free(log);
}

/* A job to read, copied out of the table so that no lock is held while reading. */
typedef struct {
    char *job, *connection;
    char *fresh; /* its log as read, or NULL */
} Poll;

static void poll_clear(gpointer p)
{
    Poll *poll = p;
    g_free(poll->job);
    g_free(poll->connection);
    g_free(poll->fresh);
}

/* Records which jobs run now and which stopped; returns the jobs to read. Caller holds lock. */
static GArray *plan(AbfsRunLog *log, const AbfsRunLogJob *running, guint n, gint64 now)
{
    if (log->last_use && now - log->last_use > log->idle_us) { /* nobody followed: start afresh */
        g_string_truncate(log->text, 0);
        g_hash_table_remove_all(log->jobs);
    }
    log->last_use = now;
    GHashTable *now_running = g_hash_table_new(g_str_hash, g_str_equal);
    for (guint i = 0; i < n; i++) {
        g_hash_table_add(now_running, (gpointer)running[i].job);
        Followed *f = g_hash_table_lookup(log->jobs, running[i].job);
        if (!f) {
            f = g_new0(Followed, 1);
            f->connection = g_strdup(running[i].connection);
            g_hash_table_insert(log->jobs, g_strdup(running[i].job), f);
        }
        g_free(f->name);
        f->name = g_strdup(running[i].name ? running[i].name : running[i].connection);
        f->gone_since = 0;
    }
    GArray *polls = g_array_new(FALSE, TRUE, sizeof(Poll));
    g_array_set_clear_func(polls, poll_clear);
    GHashTableIter it;
    gpointer key, value;
    g_hash_table_iter_init(&it, log->jobs);
    while (g_hash_table_iter_next(&it, &key, &value)) {
        Followed *f = value;
        if (!g_hash_table_contains(now_running, key) && f->gone_since == 0)
            f->gone_since = now;
        Poll p = {g_strdup(key), g_strdup(f->connection), NULL};
        g_array_append_val(polls, p);
    }
    g_hash_table_unref(now_running);
    return polls;
}

/* Appends the complete lines of fresh past f->consumed, prefixed. Caller holds lock. */
static void append_new_lines(AbfsRunLog *log, Followed *f, const char *fresh)
{
    gsize len = strlen(fresh);
    if (len <= f->consumed)
        return;
    const char *start = fresh + f->consumed;
    const char *end = strrchr(start, '\n'); /* a line still being written waits for its end */
    if (!end)
        return;
    for (const char *line = start; line <= end;) {
        const char *nl = strchr(line, '\n');
        g_string_append_printf(log->text, "%s: %.*s\n", f->name, (int)(nl - line), line);
        line = nl + 1;
    }
    f->consumed = (gsize)(end + 1 - fresh);
}

char *abfs_runlog_update(AbfsRunLog *log, const AbfsRunLogJob *running, guint n, AbfsRunLogRead read, gpointer data)
{
    if (g_mutex_trylock(&log->poll)) {
        gint64 now = g_get_monotonic_time();
        g_mutex_lock(&log->lock);
        GArray *polls = plan(log, running, n, now);
        g_mutex_unlock(&log->lock);
        for (guint i = 0; i < polls->len; i++) {
            Poll *p = &g_array_index(polls, Poll, i);
            GError *err = NULL;
            p->fresh = read(p->connection, p->job, data, &err);
            g_clear_error(&err); /* read again at the next update */
        }
        g_mutex_lock(&log->lock);
        for (guint i = 0; i < polls->len; i++) {
            Poll *p = &g_array_index(polls, Poll, i);
            Followed *f = g_hash_table_lookup(log->jobs, p->job);
            if (f && p->fresh)
                append_new_lines(log, f, p->fresh);
            if (f && f->gone_since && now - f->gone_since >= log->linger_us)
                g_hash_table_remove(log->jobs, p->job);
        }
        if (log->text->len > log->max_bytes) /* rotated: what follows starts a new text */
            g_string_truncate(log->text, 0);
        g_mutex_unlock(&log->lock);
        g_array_unref(polls);
        g_mutex_unlock(&log->poll);
    }
    g_mutex_lock(&log->lock);
    char *copy = g_strndup(log->text->str, log->text->len);
    g_mutex_unlock(&log->lock);
    return copy;
}
