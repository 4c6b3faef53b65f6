/* weburl.c — web UI addresses (weburl.h). */
#include "weburl.h"

char *abfs_web_url(const char *web_root, const char *workspace_id, AbfsWebPage page, const char *id)
{
    switch (page) {
    case ABFS_WEB_WORKSPACE: return g_strdup_printf("%s/workspaces/%s", web_root, workspace_id);
    case ABFS_WEB_CONNECTION: return g_strdup_printf("%s/workspaces/%s/connections/%s", web_root, workspace_id, id);
    case ABFS_WEB_CONNECTION_TIMELINE:
        return g_strdup_printf("%s/workspaces/%s/connections/%s/timeline", web_root, workspace_id, id);
    case ABFS_WEB_SOURCE: return g_strdup_printf("%s/workspaces/%s/source/%s", web_root, workspace_id, id);
    case ABFS_WEB_DESTINATION: return g_strdup_printf("%s/workspaces/%s/destination/%s", web_root, workspace_id, id);
    }
    g_return_val_if_reached(NULL);
}
