/* log.h — where the daemon's messages go: stderr in the foreground, syslog once detached.
 * Debug messages (g_debug) are shown only with -d. */
#ifndef ABFS_LOG_H
#define ABFS_LOG_H

#include <glib.h>

void abfs_log_init(gboolean debug);
/* From now on, write to syslog (identity "airbytefs") instead of stderr. */
void abfs_log_use_syslog(void);

#endif
