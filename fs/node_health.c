/* node_health.c — the health files of a connection directory (health, health.json,
 * last_success) and its user.airbyte.health attribute, rendered from core's health report
 * (health.h): one report covers every connection, so reading them all costs what reading one does. */
#include "node.h"
#include "handles.h"

#include <errno.h>
#include <string.h>

#include "health.h"
#include "text.h"

/* The current report, or -errno. */
static int report_of(const AbfsNode *node, AbfsHealthReport **report, GError **error)
{
    int rc = abfs_node_connection_exists(node, error);
    if (rc < 0)
        return rc;
    *report = abfs_health_report(abfs_fs()->health, error);
    return *report ? 0 : -EIO;
}

static int health_read_text(const AbfsNode *node, char **text, GError **error)
{
    AbfsHealthReport *report = NULL;
    int rc = report_of(node, &report, error);
    if (rc < 0)
        return rc;
    if (node->file == 0)
        *text = abfs_text_line(abfs_health_of(report, node->id));
    else if (node->file == 1)
        *text = abfs_health_json_text(report, node->id);
    else
        *text = abfs_health_last_success_text(report, node->id);
    abfs_health_report_unref(report);
    return 0;
}

static int health_open(const AbfsNode *node, int flags, AbfsHandle **handle, GError **error)
{
    int rc = abfs_handle_open_text(node, flags, handle, error);
    if (rc == 0)
        abfs_handle_set_direct_io(*handle); /* the size moves with the report */
    return rc;
}

const AbfsNodeType abfs_node_health_file = {
    .getattr = abfs_node_getattr_text,
    .open = health_open,
    .read_text = health_read_text,
};

int abfs_node_health_xattr(const AbfsNode *node, char **value, GError **error)
{
    AbfsHealthReport *report = NULL;
    int rc = report_of(node, &report, error);
    if (rc == 0) {
        *value = g_strdup(abfs_health_of(report, node->id));
        abfs_health_report_unref(report);
    }
    return rc;
}
