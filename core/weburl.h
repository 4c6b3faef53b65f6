/* weburl.h — addresses of pages of the Airbyte web UI, for url files and user.airbyte.url, built
 * as PyAirbyte builds them. */
#ifndef ABFS_WEBURL_H
#define ABFS_WEBURL_H

#include <glib.h>

typedef enum {
    ABFS_WEB_WORKSPACE,           /* {web}/workspaces/{ws} (id unused) */
    ABFS_WEB_CONNECTION,          /* {web}/workspaces/{ws}/connections/{id} */
    ABFS_WEB_CONNECTION_TIMELINE, /* {web}/workspaces/{ws}/connections/{id}/timeline: its jobs */
    ABFS_WEB_SOURCE,              /* {web}/workspaces/{ws}/source/{id} */
    ABFS_WEB_DESTINATION,         /* {web}/workspaces/{ws}/destination/{id} */
} AbfsWebPage;

/* The address of page, newly allocated. web_root has no trailing slash (config.h). */
char *abfs_web_url(const char *web_root, const char *workspace_id, AbfsWebPage page, const char *id);

#endif
