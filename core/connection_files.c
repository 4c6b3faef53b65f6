/* connection_files.c — the table of connection files and their renderers (connection_files.h). */
#include "connection_files.h"
#include "error.h"
#include "json_util.h"
#include "resources.h"
#include "settings.h"
#include "text.h"
#include "weburl.h"

#include <errno.h>
#include <string.h>

#define STRING_MEMBER_RENDERER(fn, key)                                                                                \
    static char *fn(json_object *conn, const AbfsRenderContext *ctx)                                                   \
    {                                                                                                                  \
        (void)ctx;                                                                                                     \
        return abfs_text_line(abfs_json_string(conn, key));                                                            \
    }

STRING_MEMBER_RENDERER(render_name, "name")
STRING_MEMBER_RENDERER(render_status_reason, "statusReason") /* why a connection is locked */
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
    return abfs_text_line(g_strcmp0(abfs_json_string(conn, "status"), "active") == 0 ? "true" : "false");
}

char *abfs_schedule_text(json_object *conn)
{
    json_object *schedule = json_object_object_get(conn, "schedule");
    const char *type = abfs_json_string(schedule, "scheduleType");
    if (g_strcmp0(type, "cron") == 0) {
        return abfs_cron_without_utc(abfs_json_string(schedule, "cronExpression"));
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
    char *result = abfs_text_line(text);
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
    return abfs_web_url(ctx->web_root, ctx->workspace_id, ABFS_WEB_CONNECTION, connection_id);
}

/* The names of the connection's tags, sorted, one a line. */
static char *render_tags(json_object *conn, const AbfsRenderContext *ctx)
{
    (void)ctx;
    json_object *names = abfs_setting_current(conn, "tags");
    GString *out = g_string_new(NULL);
    for (size_t i = 0; names && i < json_object_array_length(names); i++)
        g_string_append_printf(out, "%s\n", json_object_get_string(json_object_array_get_idx(names, i)));
    json_object_put(names);
    return g_string_free(out, FALSE);
}

static char *render_url(json_object *conn, const AbfsRenderContext *ctx)
{
    char *url = abfs_connection_url(ctx, abfs_json_string(conn, "connectionId"));
    char *result = abfs_text_line(url);
    g_free(url);
    return result;
}

static char *render_connection_json(json_object *conn, const AbfsRenderContext *ctx)
{
    (void)ctx;
    return abfs_json_pretty(conn);
}

static char *render_configurations(json_object *conn, const AbfsRenderContext *ctx)
{
    (void)ctx;
    json_object *value = abfs_setting_current(conn, "configurations");
    char *text = abfs_json_pretty(value);
    json_object_put(value);
    return text;
}

static char *render_settings(json_object *conn, const AbfsRenderContext *ctx)
{
    (void)ctx;
    json_object *value = abfs_settings_object(conn);
    /* what the file is exported from, member by member: the plan tells a stale file from an edit */
    json_object_object_add(value, ABFS_SETTINGS_BASE_MEMBER, abfs_settings_exported(conn));
    char *text = abfs_json_pretty(value);
    json_object_put(value);
    return text;
}

/* ---- parsers: written text → PATCH body ---- */

static gboolean no_nul(const char *text, gsize len, GError **error)
{
    if (strlen(text) != len) {
        g_set_error(error, ABFS_ERROR, EINVAL, "the value contains a NUL byte");
        return FALSE;
    }
    return TRUE;
}

/* Adds setting key = value (consumed) to a new patch; *patch stays NULL if nothing changes. */
static gboolean patch_one(json_object *conn, const char *key, json_object *value, json_object **patch, GError **error)
{
    json_object *out = json_object_new_object();
    gboolean ok = abfs_setting_add_to_patch(conn, key, value, out, error);
    json_object_put(value);
    if (ok && json_object_object_length(out) > 0)
        *patch = out;
    else
        json_object_put(out);
    return ok;
}

#define TEXT_PARSER(fn, key)                                                                                           \
    static gboolean fn(const char *text, gsize len, json_object *conn, json_object **patch, GError **error)            \
    {                                                                                                                  \
        return no_nul(text, len, error) &&                                                                             \
               patch_one(conn, key, json_object_new_string_len(text, (int)len), patch, error);                         \
    }

TEXT_PARSER(parse_name, "name")
TEXT_PARSER(parse_prefix, "prefix")
TEXT_PARSER(parse_namespace_definition, "namespaceDefinition")
TEXT_PARSER(parse_namespace_format, "namespaceFormat")
TEXT_PARSER(parse_nonbreaking, "nonBreakingSchemaUpdatesBehavior")

/* true/false, 1/0, yes/no, on/off (any case) → TRUE/FALSE in *value. */
gboolean abfs_parse_bool(const char *text, gboolean *value)
{
    static const char *const yes[] = {"true", "1", "yes", "on", NULL};
    static const char *const no[] = {"false", "0", "no", "off", NULL};
    char *lower = g_ascii_strdown(text, -1);
    g_strstrip(lower);
    gboolean ok = TRUE;
    if (g_strv_contains(yes, lower))
        *value = TRUE;
    else if (g_strv_contains(no, lower))
        *value = FALSE;
    else
        ok = FALSE;
    g_free(lower);
    return ok;
}

static gboolean parse_enabled(const char *text, gsize len, json_object *conn, json_object **patch, GError **error)
{
    gboolean on;
    if (!no_nul(text, len, error))
        return FALSE;
    if (!abfs_parse_bool(text, &on)) {
        g_set_error(error, ABFS_ERROR, EINVAL, "enabled must be true or false (or 1/0, yes/no, on/off)");
        return FALSE;
    }
    const char *status = abfs_json_string(conn, "status");
    gboolean now_on = g_strcmp0(status, "active") == 0;
    if (on == now_on)
        return TRUE; /* the current value: nothing to send, whatever the status's exact word */
    return patch_one(conn, "status", json_object_new_string(on ? "active" : "inactive"), patch, error);
}

static gboolean parse_schedule(const char *text, gsize len, json_object *conn, json_object **patch, GError **error)
{
    if (!no_nul(text, len, error))
        return FALSE;
    char *value = g_strstrip(g_strdup(text));
    json_object *schedule = json_object_new_object();
    if (g_ascii_strcasecmp(value, "manual") == 0) {
        json_object_object_add(schedule, "scheduleType", json_object_new_string("manual"));
    } else if (g_str_has_prefix(value, "Every ")) {
        json_object_object_add(schedule, "scheduleType", json_object_new_string("basic"));
        json_object_object_add(schedule, "basicTiming", json_object_new_string(value));
    } else {
        json_object_object_add(schedule, "scheduleType", json_object_new_string("cron"));
        json_object_object_add(schedule, "cronExpression", json_object_new_string(value));
    }
    g_free(value);
    return patch_one(conn, "schedule", schedule, patch, error);
}

static guint count_named(json_object *streams, const char *name)
{
    guint n = 0;
    for (size_t i = 0; i < json_object_array_length(streams); i++)
        n += g_strcmp0(abfs_json_string(json_object_array_get_idx(streams, i), "name"), name) == 0;
    return n;
}

/* One stream name a line. A kept stream keeps its whole configuration (sync mode, cursor, primary
 * key, ...); a new one gets the server's defaults; a missing one is dropped. */
static gboolean parse_streams(const char *text, gsize len, json_object *conn, json_object **patch, GError **error)
{
    if (!no_nul(text, len, error))
        return FALSE;
    json_object *current = abfs_streams_current(conn);
    json_object *streams = json_object_new_array();
    GHashTable *seen = g_hash_table_new(g_str_hash, g_str_equal);
    char **lines = g_strsplit(text, "\n", -1);
    gboolean ok = TRUE;
    for (char **l = lines; ok && *l; l++) {
        char *name = g_strstrip(*l);
        if (!*name)
            continue;
        if (abfs_text_has_control(name, strlen(name))) {
            g_set_error(error, ABFS_ERROR, EINVAL, "streams: a stream name has a control character");
            ok = FALSE;
            break;
        }
        if (g_hash_table_contains(seen, name)) {
            /* The same name in several namespaces shows once a namespace: all are kept already. */
            if (count_named(current, name) > 1)
                continue;
            g_set_error(error, ABFS_ERROR, EINVAL, "streams: %s is listed twice", name);
            ok = FALSE;
            break;
        }
        g_hash_table_add(seen, name);
        gboolean kept = FALSE;
        for (size_t i = 0; i < json_object_array_length(current); i++) {
            json_object *s = json_object_array_get_idx(current, i);
            if (g_strcmp0(abfs_json_string(s, "name"), name) == 0) {
                json_object_array_add(streams, json_object_get(s));
                kept = TRUE;
            }
        }
        if (!kept) {
            json_object *s = json_object_new_object();
            json_object_object_add(s, "name", json_object_new_string(name));
            json_object_array_add(streams, s);
        }
    }
    g_hash_table_destroy(seen);
    gboolean unchanged = ok && json_object_array_length(streams) == 0 && json_object_array_length(current) == 0;
    json_object_put(current);
    if (unchanged) { /* no streams, as before: nothing to send */
        g_strfreev(lines);
        json_object_put(streams);
        return TRUE;
    }
    if (ok && json_object_array_length(streams) == 0) {
        g_set_error(error, ABFS_ERROR, EINVAL, "streams: at least one stream must be selected");
        ok = FALSE;
    }
    if (!ok) {
        g_strfreev(lines);
        json_object_put(streams);
        return FALSE;
    }
    g_strfreev(lines);
    json_object *configurations = json_object_new_object();
    json_object_object_add(configurations, "streams", streams);
    return patch_one(conn, "configurations", configurations, patch, error);
}

/* One tag name a line (blank lines and surrounding blanks ignored): the whole set of the
 * connection's tags, which the PATCH replaces. */
static gboolean parse_tags(const char *text, gsize len, json_object *conn, json_object **patch, GError **error)
{
    if (!no_nul(text, len, error))
        return FALSE;
    json_object *names = json_object_new_array();
    char **lines = g_strsplit(text, "\n", -1);
    for (char **l = lines; *l; l++) {
        char *name = g_strstrip(*l);
        if (*name)
            json_object_array_add(names, json_object_new_string(name));
    }
    g_strfreev(lines);
    return patch_one(conn, "tags", names, patch, error);
}

static gboolean parse_configurations(const char *text, gsize len, json_object *conn, json_object **patch,
                                     GError **error)
{
    json_object *value = abfs_json_parse(text, len, error);
    return value && patch_one(conn, "configurations", value, patch, error);
}

static gboolean parse_settings(const char *text, gsize len, json_object *conn, json_object **patch, GError **error)
{
    json_object *value = abfs_json_parse(text, len, error);
    if (!value)
        return FALSE;
    gboolean ok = abfs_settings_patch(conn, value, patch, error);
    json_object_put(value);
    return ok;
}

static const AbfsConnectionFile files[] = {
    {"name", render_name, parse_name, TRUE, "name"},
    {"prefix", render_prefix, parse_prefix, TRUE, "prefix"},
    {"enabled", render_enabled, parse_enabled, TRUE, "status"},
    {"status", render_status, NULL, FALSE, "status"},
    {"status_reason", render_status_reason, NULL, FALSE, "statusReason"},
    {"schedule", render_schedule, parse_schedule, TRUE, "schedule"},
    {"streams", render_streams, parse_streams, FALSE, "configurations"},
    {"tags", render_tags, parse_tags, FALSE, NULL},
    {"namespace_definition", render_namespace_definition, parse_namespace_definition, TRUE, "namespaceDefinition"},
    {"namespace_format", render_namespace_format, parse_namespace_format, TRUE, "namespaceFormat"},
    {"non_breaking_schema_updates_behavior", render_nonbreaking, parse_nonbreaking, TRUE, "nonBreakingSchemaUpdatesBehavior"},
    {"configurations.json", render_configurations, parse_configurations, FALSE, NULL},
    {"settings.json", render_settings, parse_settings, FALSE, NULL},
    {"source_id", render_source_id, NULL, FALSE, "sourceId"},
    {"destination_id", render_destination_id, NULL, FALSE, "destinationId"},
    {"workspace_id", render_workspace_id, NULL, FALSE, "workspaceId"},
    {"url", render_url, NULL, FALSE, "connectionId"},
    {"connection.json", render_connection_json, NULL, FALSE, NULL},
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
