/* log.c — GLib log handler writing to stderr or syslog (log.h). */
#include "log.h"

#include <stdio.h>
#include <syslog.h>

static gboolean show_debug;
static gboolean to_syslog;

static void handler(const char *domain, GLogLevelFlags level, const char *message, gpointer data)
{
    (void)domain;
    (void)data;
    if ((level & G_LOG_LEVEL_DEBUG) && !show_debug)
        return;
    const char *word = (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL)) ? "error"
                       : (level & G_LOG_LEVEL_WARNING)                      ? "warning"
                       : (level & G_LOG_LEVEL_DEBUG)                        ? "debug"
                                                                            : "info";
    if (to_syslog) {
        int prio = (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL)) ? LOG_ERR
                   : (level & G_LOG_LEVEL_WARNING)                      ? LOG_WARNING
                   : (level & G_LOG_LEVEL_DEBUG)                        ? LOG_DEBUG
                                                                        : LOG_INFO;
        syslog(prio, "%s: %s", word, message);
        return;
    }
    GDateTime *now = g_date_time_new_now_utc();
    char *stamp = g_date_time_format(now, "%H:%M:%S.%f");
    stamp[12] = '\0'; /* milliseconds */
    fprintf(stderr, "%s airbytefs %s: %s\n", stamp, word, message);
    fflush(stderr);
    g_free(stamp);
    g_date_time_unref(now);
}

void abfs_log_init(gboolean debug)
{
    show_debug = debug;
    g_log_set_default_handler(handler, NULL);
}

void abfs_log_use_syslog(void)
{
    openlog("airbytefs", LOG_PID, LOG_DAEMON);
    to_syslog = TRUE;
}
