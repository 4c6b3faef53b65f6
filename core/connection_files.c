/* connection_files.c — the table of connection files and their renderers (connection_files.h). */
#include "connection_files.h"
#include "json_util.h"
#include "resources.h"

#include <string.h>

static char *line(const char *value)
{
    return g_strconcat(value ? value : "", "\n", NULL);
}

#define STRING_MEMBER_RENDERER(fn, key)                                          \
    static char *fn(json_object *conn, const AbfsRenderContext *ctx)            \
    {                                                                            \
        (void)ctx;                                                               \
        return line(abfs_json_string(conn, key));                                \
    }

STRING_MEMBER_RENDERER(render_name, "name")
STRING_MEMBER_RENDERER(render_prefix, "prefix")
STRING_MEMBER_RENDERER(render_status, "status")
STRING_MEMBER_RENDERER(render_source_id, "sourceId")
STRING_MEMBER_RENDERER(render_destination_id, "destinationId")
STRING_MEMBER_RENDERER(render_workspace_id, "workspaceId")
STRING_MEMBER_RENDERER(render_namespace_definition, "namespaceDefinition")
STRING_MEMBER_RENDERER(render_namespace_format, "namespaceFormat")
STRING_MEMBER_RENDERER(render_nonbreaking, "nonBreakingSchemaUpdatesBehavior")

static char *render_enabled(json_object *conn, const AbfsRenderContext *ctx)
{
    (void)ctx;
    return line(g_strcmp0(abfs_json_string(conn, "status"), "active") == 0 ? "true" : "false");
}

char *abfs_schedule_text(json_object *conn)
{
    json_object *schedule = json_object_object_get(conn, "schedule");
    const char *type = abfs_json_string(schedule, "scheduleType");
    if (g_strcmp0(type, "cron") == 0) {
        const char *cron = abfs_json_string(schedule, "cronExpression");
        char *text = g_strstrip(g_strdup(cron ? cron : ""));
        if (g_str_has_suffix(text, " UTC"))
            text[strlen(text) - 4] = '\0';
        return g_strstrip(text);
    }
    if (g_strcmp0(type, "basic") == 0) {
        const char *timing = abfs_json_string(schedule, "basicTiming");
        return g_strdup(timing ? timing : "basic");
    }
    return g_strdup(type ? type : "manual");
}

static char *render_schedule(json_object *conn, const AbfsRenderContext *ctx)
{
    (void)ctx;
    char *text = abfs_schedule_text(conn);
    char *result = line(text);
    g_free(text);
    return result;
}

static json_object *streams_of(json_object *conn)
{
    json_object *configurations = json_object_object_get(conn, "configurations");
    json_object *streams = json_object_object_get(configurations, "streams");
    return json_object_is_type(streams, json_type_array) ? streams : NULL;
}

static char *render_streams(json_object *conn, const AbfsRenderContext *ctx)
{
    (void)ctx;
    GString *out = g_string_new(NULL);
    json_object *streams = streams_of(conn);
    size_t n = streams ? json_object_array_length(streams) : 0;
    for (size_t i = 0; i < n; i++) {
        const char *name = abfs_json_string(json_object_array_get_idx(streams, i), "name");
        if (name)
            g_string_append_printf(out, "%s\n", name);
    }
    return g_string_free(out, FALSE);
}

char *abfs_connection_url(const AbfsRenderContext *ctx, const char *connection_id)
{
    return g_strdup_printf("%s/workspaces/%s/connections/%s", ctx->web_root, ctx->workspace_id,
                           connection_id);
}

static char *render_url(json_object *conn, const AbfsRenderContext *ctx)
{
    char *url = abfs_connection_url(ctx, abfs_json_string(conn, "connectionId"));
    char *result = line(url);
    g_free(url);
    return result;
}

static char *render_connection_json(json_object *conn, const AbfsRenderContext *ctx)
{
    (void)ctx;
    return abfs_json_pretty(conn);
}

static const AbfsConnectionFile files[] = {
    {"name", render_name, NULL},
    {"prefix", render_prefix, NULL},
    {"enabled", render_enabled, NULL},
    {"status", render_status, NULL},
    {"schedule", render_schedule, NULL},
    {"streams", render_streams, NULL},
    {"namespace_definition", render_namespace_definition, NULL},
    {"namespace_format", render_namespace_format, NULL},
    {"non_breaking_schema_updates_behavior", render_nonbreaking, NULL},
    {"source_id", render_source_id, NULL},
    {"destination_id", render_destination_id, NULL},
    {"workspace_id", render_workspace_id, NULL},
    {"url", render_url, NULL},
    {"connection.json", render_connection_json, NULL},
};

const AbfsConnectionFile *abfs_connection_files(guint *count)
{
    *count = G_N_ELEMENTS(files);
    return files;
}

int abfs_connection_file_index(const char *name)
{
    for (guint i = 0; i < G_N_ELEMENTS(files); i++)
        if (strcmp(files[i].name, name) == 0)
            return (int)i;
    return -1;
}
