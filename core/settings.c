/* settings.c — canonical forms, validation and PATCH bodies of connection settings (settings.h).
 * Validation mirrors the server's (the Airbyte API contract: ConnectionPatchRequest, its
 * AirbyteApiConnectionSchedule and StreamConfigurations, and the server's cron rules) so a bad value is refused before
 * any request. */
#include "settings.h"
#include "cron.h"
#include "error.h"
#include "json_util.h"
#include "text.h"

#include <errno.h>
#include <string.h>

static const char *const namespace_definitions[] = {"source", "destination", "custom_format", NULL};
static const char *const nonbreaking_behaviors[] = {"ignore", "disable_connection", "propagate_columns",
                                                    "propagate_fully", NULL};
static const char *const statuses[] = {"active", "inactive", NULL};
static const char *const sync_modes[] = {"full_refresh_overwrite",      "full_refresh_overwrite_deduped",
                                         "full_refresh_append",         "full_refresh_update",
                                         "full_refresh_soft_delete",    "incremental_append",
                                         "incremental_deduped_history", "incremental_update",
                                         "incremental_soft_delete",     NULL};

static gboolean invalid(GError **error, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static gboolean invalid(GError **error, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    abfs_text_replace_controls(msg, '?'); /* user text in a message never breaks its line */
    g_set_error_literal(error, ABFS_ERROR, EINVAL, msg);
    g_free(msg);
    return FALSE;
}

static char *joined(const char *const *words)
{
    return g_strjoinv(", ", (char **)words);
}

static gboolean check_enum(const char *key, json_object *value, const char *const *allowed, GError **error)
{
    if (json_object_is_type(value, json_type_string) && g_strv_contains(allowed, json_object_get_string(value)))
        return TRUE;
    char *list = joined(allowed);
    invalid(error, "%s must be one of: %s", key, list);
    g_free(list);
    return FALSE;
}

static gboolean check_text(const char *key, json_object *value, gboolean allow_empty, GError **error)
{
    if (!json_object_is_type(value, json_type_string))
        return invalid(error, "%s must be a string", key);
    const char *s = json_object_get_string(value);
    if (abfs_text_has_control(s, (gsize)json_object_get_string_len(value)))
        return invalid(error, "%s must be one line without control characters", key);
    if (!allow_empty && !*s)
        return invalid(error, "%s must not be empty", key);
    if (!g_utf8_validate(s, -1, NULL))
        return invalid(error, "%s must be UTF-8 text", key);
    return TRUE;
}

/* ---- schedule ---- */

static json_object *schedule_current(json_object *conn)
{
    json_object *schedule = json_object_object_get(conn, "schedule");
    const char *type = abfs_json_string(schedule, "scheduleType");
    json_object *out = json_object_new_object();
    json_object_object_add(out, "scheduleType", json_object_new_string(type ? type : "manual"));
    if (g_strcmp0(type, "cron") == 0) {
        char *text = abfs_cron_without_utc(abfs_json_string(schedule, "cronExpression"));
        json_object_object_add(out, "cronExpression", json_object_new_string(text));
        g_free(text);
    } else if (g_strcmp0(type, "basic") == 0) {
        const char *timing = abfs_json_string(schedule, "basicTiming");
        if (timing)
            json_object_object_add(out, "basicTiming", json_object_new_string(timing));
    }
    return out;
}

static gboolean schedule_validate(json_object *value, json_object **normalized, GError **error)
{
    if (!json_object_is_type(value, json_type_object))
        return invalid(error, "schedule must be an object with scheduleType");
    const char *type = abfs_json_string(value, "scheduleType");
    json_object_object_foreach (value, key, member) {
        (void)member;
        if (strcmp(key, "scheduleType") != 0 && strcmp(key, "cronExpression") != 0 && strcmp(key, "basicTiming") != 0)
            return invalid(error, "schedule has an unknown member \"%s\"", key);
    }
    if (g_strcmp0(type, "manual") == 0) {
        *normalized = json_object_new_object();
        json_object_object_add(*normalized, "scheduleType", json_object_new_string("manual"));
        return TRUE;
    }
    if (g_strcmp0(type, "cron") == 0) {
        const char *cron = abfs_json_string(value, "cronExpression");
        if (!cron)
            return invalid(error, "schedule: a cron schedule needs cronExpression");
        GError *err = NULL;
        char *quartz = abfs_cron_normalize(cron, &err);
        if (!quartz) {
            invalid(error, "schedule: %s", err->message);
            g_error_free(err);
            return FALSE;
        }
        *normalized = json_object_new_object();
        json_object_object_add(*normalized, "scheduleType", json_object_new_string("cron"));
        json_object_object_add(*normalized, "cronExpression", json_object_new_string(quartz));
        g_free(quartz);
        return TRUE;
    }
    if (g_strcmp0(type, "basic") == 0)
        return invalid(error, "schedule: basic schedules cannot be set through the Airbyte API; "
                              "write `manual` or a cron expression");
    return invalid(error, "schedule: scheduleType must be manual or cron");
}

/* ---- configurations ---- */

static gboolean is_string_array(json_object *v)
{
    if (!json_object_is_type(v, json_type_array))
        return FALSE;
    for (size_t i = 0; i < json_object_array_length(v); i++)
        if (!json_object_is_type(json_object_array_get_idx(v, i), json_type_string))
            return FALSE;
    return TRUE;
}

/* A stream without the decorations the server adds on reads (`selectedFields: []`). */
static json_object *stream_canonical(json_object *stream)
{
    json_object *copy = NULL;
    json_object_deep_copy(stream, &copy, NULL);
    json_object *selected = json_object_object_get(copy, "selectedFields");
    if (selected && (json_object_is_type(selected, json_type_null) ||
                     (json_object_is_type(selected, json_type_array) && json_object_array_length(selected) == 0)))
        json_object_object_del(copy, "selectedFields");
    json_object *ns = json_object_object_get(copy, "namespace");
    if (ns && json_object_is_type(ns, json_type_null))
        json_object_object_del(copy, "namespace");
    return copy;
}

json_object *abfs_streams_current(json_object *conn)
{
    json_object *streams = json_object_object_get(json_object_object_get(conn, "configurations"), "streams");
    json_object *out = json_object_new_array();
    for (size_t i = 0;
         streams && json_object_is_type(streams, json_type_array) && i < json_object_array_length(streams); i++)
        json_object_array_add(out, stream_canonical(json_object_array_get_idx(streams, i)));
    return out;
}

static gboolean stream_validate(json_object *stream, size_t index, GError **error)
{
    if (!json_object_is_type(stream, json_type_object))
        return invalid(error, "configurations: stream #%zu is not an object", index + 1);
    const char *name = abfs_json_string(stream, "name");
    if (!name || !*name)
        return invalid(error, "configurations: stream #%zu has no name", index + 1);
    json_object_object_foreach (stream, key, v) {
        if (strcmp(key, "name") == 0 || strcmp(key, "mappers") == 0) {
            if (strcmp(key, "mappers") == 0 && !json_object_is_type(v, json_type_array))
                return invalid(error, "configurations: stream %s: mappers must be an array", name);
        } else if (strcmp(key, "namespace") == 0 || strcmp(key, "destinationObjectName") == 0) {
            if (!json_object_is_type(v, json_type_string))
                return invalid(error, "configurations: stream %s: %s must be a string", name, key);
        } else if (strcmp(key, "syncMode") == 0) {
            if (!json_object_is_type(v, json_type_string) || !g_strv_contains(sync_modes, json_object_get_string(v))) {
                char *list = joined(sync_modes);
                invalid(error, "configurations: stream %s: syncMode must be one of: %s", name, list);
                g_free(list);
                return FALSE;
            }
        } else if (strcmp(key, "cursorField") == 0) {
            if (!is_string_array(v))
                return invalid(error, "configurations: stream %s: cursorField must be an array of strings", name);
        } else if (strcmp(key, "primaryKey") == 0) {
            gboolean ok = json_object_is_type(v, json_type_array);
            for (size_t i = 0; ok && i < json_object_array_length(v); i++)
                ok = is_string_array(json_object_array_get_idx(v, i));
            if (!ok)
                return invalid(error, "configurations: stream %s: primaryKey must be an array of arrays of strings",
                               name);
        } else if (strcmp(key, "includeFiles") == 0) {
            if (!json_object_is_type(v, json_type_boolean))
                return invalid(error, "configurations: stream %s: includeFiles must be true or false", name);
        } else if (strcmp(key, "selectedFields") == 0) {
            gboolean ok = json_object_is_type(v, json_type_array) && json_object_array_length(v) > 0;
            for (size_t i = 0; ok && i < json_object_array_length(v); i++) {
                json_object *field = json_object_array_get_idx(v, i);
                json_object *path = json_object_object_get(field, "fieldPath");
                ok = json_object_is_type(field, json_type_object) && is_string_array(path) &&
                     json_object_array_length(path) == 1;
            }
            if (!ok)
                return invalid(error,
                               "configurations: stream %s: selectedFields must be a non-empty array of "
                               "{\"fieldPath\": [\"top_level_field\"]}; leave it out to sync every field",
                               name);
        } else
            return invalid(error, "configurations: stream %s has an unknown member \"%s\"", name, key);
    }
    return TRUE;
}

static char *stream_key(json_object *stream)
{
    const char *ns = abfs_json_string(stream, "namespace");
    return g_strdup_printf("%s\x1f%s", ns ? ns : "", abfs_json_string(stream, "name"));
}

static gint compare_stream_keys(gconstpointer a, gconstpointer b)
{
    char *ka = stream_key(*(json_object *const *)a), *kb = stream_key(*(json_object *const *)b);
    int r = strcmp(ka, kb);
    g_free(ka);
    g_free(kb);
    return r;
}

/* Streams are a set: equal when the same streams have the same settings, in any order. */
static gboolean streams_equal(json_object *a, json_object *b)
{
    size_t n = json_object_array_length(a);
    if (n != json_object_array_length(b))
        return FALSE;
    GPtrArray *sa = g_ptr_array_new(), *sb = g_ptr_array_new();
    for (size_t i = 0; i < n; i++) {
        g_ptr_array_add(sa, json_object_array_get_idx(a, i));
        g_ptr_array_add(sb, json_object_array_get_idx(b, i));
    }
    g_ptr_array_sort(sa, compare_stream_keys);
    g_ptr_array_sort(sb, compare_stream_keys);
    gboolean equal = TRUE;
    for (size_t i = 0; equal && i < n; i++)
        equal = json_object_equal(g_ptr_array_index(sa, i), g_ptr_array_index(sb, i));
    g_ptr_array_free(sa, TRUE);
    g_ptr_array_free(sb, TRUE);
    return equal;
}

static gboolean configurations_validate(json_object *value, json_object **normalized, GError **error)
{
    json_object *streams;
    if (!json_object_is_type(value, json_type_object) || !json_object_object_get_ex(value, "streams", &streams) ||
        !json_object_is_type(streams, json_type_array))
        return invalid(error, "configurations must be an object with a \"streams\" array");
    json_object_object_foreach (value, key, member) {
        (void)member;
        if (strcmp(key, "streams") != 0)
            return invalid(error, "configurations has an unknown member \"%s\"", key);
    }
    size_t n = json_object_array_length(streams);
    if (n == 0)
        return invalid(error, "configurations: at least one stream must be selected "
                              "(the API ignores an empty list)");
    GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    json_object *out = json_object_new_array();
    gboolean ok = TRUE;
    for (size_t i = 0; ok && i < n; i++) {
        json_object *stream = json_object_array_get_idx(streams, i);
        ok = stream_validate(stream, i, error);
        if (!ok)
            break;
        char *key = stream_key(stream);
        if (g_hash_table_contains(seen, key)) {
            ok = invalid(error, "configurations: stream %s is listed twice", abfs_json_string(stream, "name"));
            g_free(key);
            break;
        }
        g_hash_table_add(seen, key);
        json_object_array_add(out, stream_canonical(stream));
    }
    g_hash_table_destroy(seen);
    if (!ok) {
        json_object_put(out);
        return FALSE;
    }
    *normalized = json_object_new_object();
    json_object_object_add(*normalized, "streams", out);
    return TRUE;
}

static json_object *configurations_current(json_object *conn)
{
    json_object *out = json_object_new_object();
    json_object_object_add(out, "streams", abfs_streams_current(conn));
    return out;
}

/* ---- tags: a set of names ---- */

static gint compare_json_strings(gconstpointer a, gconstpointer b)
{
    return strcmp(json_object_get_string(*(json_object *const *)a), json_object_get_string(*(json_object *const *)b));
}

/* names (strings, borrowed) as a sorted array without duplicates. */
static json_object *sorted_names(GPtrArray *names)
{
    g_ptr_array_sort(names, compare_json_strings);
    json_object *out = json_object_new_array();
    const char *last = NULL;
    for (guint i = 0; i < names->len; i++) {
        const char *name = json_object_get_string(g_ptr_array_index(names, i));
        if (!last || strcmp(last, name) != 0)
            json_object_array_add(out, json_object_new_string(name));
        last = name;
    }
    return out;
}

static json_object *tags_current(json_object *conn)
{
    json_object *tags = json_object_object_get(conn, "tags");
    if (!json_object_is_type(tags, json_type_array))
        return NULL;
    GPtrArray *names = g_ptr_array_new();
    for (size_t i = 0; i < json_object_array_length(tags); i++) {
        json_object *name = json_object_object_get(json_object_array_get_idx(tags, i), "name");
        if (json_object_is_type(name, json_type_string))
            g_ptr_array_add(names, name);
    }
    json_object *out = sorted_names(names);
    g_ptr_array_free(names, TRUE);
    return out;
}

static gboolean tags_validate(json_object *value, json_object **normalized, GError **error)
{
    if (!json_object_is_type(value, json_type_array))
        return invalid(error, "tags must be an array of tag names");
    GPtrArray *names = g_ptr_array_new();
    gboolean ok = TRUE;
    for (size_t i = 0; ok && i < json_object_array_length(value); i++) {
        json_object *name = json_object_array_get_idx(value, i);
        ok = json_object_is_type(name, json_type_string) && check_text("tags", name, FALSE, error);
        if (!json_object_is_type(name, json_type_string))
            invalid(error, "tags must be an array of tag names");
        if (ok)
            g_ptr_array_add(names, name);
    }
    if (ok)
        *normalized = sorted_names(names);
    g_ptr_array_free(names, TRUE);
    return ok;
}

/* ---- the table ---- */

typedef struct {
    const char *key;
    json_object *(*current)(json_object *conn); /* NULL: the member as is */
    gboolean (*validate)(json_object *value, json_object **normalized, GError **error);
    const char *const *allowed; /* enum values, or NULL */
    int text;                   /* 0: not text; 1: text; 2: non-empty text */
} Setting;

static const Setting settings[] = {
    {"name", NULL, NULL, NULL, 2},
    {"prefix", NULL, NULL, NULL, 1},
    {"status", NULL, NULL, statuses, 0},
    {"schedule", schedule_current, schedule_validate, NULL, 0},
    {"namespaceDefinition", NULL, NULL, namespace_definitions, 0},
    {"namespaceFormat", NULL, NULL, NULL, 1},
    {"nonBreakingSchemaUpdatesBehavior", NULL, NULL, nonbreaking_behaviors, 0},
    {"configurations", configurations_current, configurations_validate, NULL, 0},
    {"tags", tags_current, tags_validate, NULL, 0},
};

static const Setting *setting_find(const char *key)
{
    for (gsize i = 0; i < G_N_ELEMENTS(settings); i++)
        if (strcmp(settings[i].key, key) == 0)
            return &settings[i];
    return NULL;
}

json_object *abfs_setting_current(json_object *conn, const char *key)
{
    const Setting *s = setting_find(key);
    if (!s)
        return NULL;
    if (s->current)
        return s->current(conn);
    json_object *v = json_object_object_get(conn, key), *copy = NULL;
    if (!v || json_object_is_type(v, json_type_null))
        return NULL;
    json_object_deep_copy(v, &copy, NULL); /* conn may be shared between threads */
    return copy;
}

json_object *abfs_settings_object(json_object *conn)
{
    json_object *out = json_object_new_object();
    for (gsize i = 0; i < G_N_ELEMENTS(settings); i++) {
        json_object *v = abfs_setting_current(conn, settings[i].key);
        if (v)
            json_object_object_add(out, settings[i].key, v);
    }
    return out;
}

static gboolean is_empty_string(json_object *v)
{
    return json_object_is_type(v, json_type_string) && json_object_get_string_len(v) == 0;
}

static gboolean values_equal(const Setting *s, json_object *a, json_object *b)
{
    /* A member the API left out shows as an empty line; writing that line back is no change. */
    if (!a || !b)
        return a == b || (!a && is_empty_string(b)) || (!b && is_empty_string(a));
    if (strcmp(s->key, "configurations") == 0) {
        json_object *sa = json_object_object_get(a, "streams"), *sb = json_object_object_get(b, "streams");
        if (json_object_is_type(sa, json_type_array) && json_object_is_type(sb, json_type_array))
            return streams_equal(sa, sb);
    }
    return json_object_equal(a, b);
}

gboolean abfs_setting_normalize(const char *key, json_object *value, json_object **normalized, GError **error)
{
    const Setting *s = setting_find(key);
    *normalized = NULL;
    if (!s)
        return invalid(error, "\"%s\" is not a writable setting", key);
    if (s->validate)
        return s->validate(value, normalized, error);
    if (s->allowed ? check_enum(key, value, s->allowed, error) : check_text(key, value, s->text == 1, error)) {
        *normalized = json_object_get(value);
        return TRUE;
    }
    return FALSE;
}

gboolean abfs_setting_is_known(const char *key)
{
    return setting_find(key) != NULL;
}

gboolean abfs_setting_add_to_patch(json_object *conn, const char *key, json_object *value, json_object *patch,
                                   GError **error)
{
    const Setting *s = setting_find(key);
    if (!s)
        return invalid(error, "\"%s\" is not a writable setting", key);
    json_object *current = abfs_setting_current(conn, key);
    /* What the connection already says is accepted as is (e.g. status "locked", a basic
     * schedule): reading a value and writing it back never fails and sends nothing. */
    if (values_equal(s, current, value)) {
        json_object_put(current);
        return TRUE;
    }
    json_object *normalized = NULL;
    gboolean ok = abfs_setting_normalize(key, value, &normalized, error);
    if (ok && !values_equal(s, current, normalized))
        json_object_object_add(patch, key, json_object_get(normalized));
    json_object_put(normalized);
    json_object_put(current);
    return ok;
}

gboolean abfs_settings_patch(json_object *conn, json_object *value, json_object **patch, GError **error)
{
    *patch = NULL;
    if (!json_object_is_type(value, json_type_object))
        return invalid(error, "settings must be a JSON object");
    json_object *out = json_object_new_object();
    json_object_object_foreach (value, key, member) {
        if (strcmp(key, ABFS_SETTINGS_BASE_MEMBER) == 0)
            continue; /* what the file was exported from: nothing to send (plan.h reads it) */
        if (!setting_find(key)) {
            json_object_put(out);
            return invalid(error, "settings: \"%s\" is not a writable setting", key);
        }
        if (!abfs_setting_add_to_patch(conn, key, member, out, error)) {
            json_object_put(out);
            return FALSE;
        }
    }
    if (json_object_object_length(out) == 0)
        json_object_put(out);
    else
        *patch = out;
    return TRUE;
}

char *abfs_setting_fingerprint(const char *key, json_object *value)
{
    json_object *normalized = NULL;
    if (!value || !abfs_setting_normalize(key, value, &normalized, NULL))
        normalized = value ? json_object_get(value) : NULL;
    json_object *canonical = abfs_json_sorted_copy(normalized);
    json_object *streams = json_object_object_get(canonical, "streams");
    if (strcmp(key, "configurations") == 0 && json_object_is_type(streams, json_type_array))
        json_object_array_sort(streams, compare_stream_keys); /* streams are a set */
    char *text = canonical ? abfs_json_compact(canonical) : g_strdup("null");
    char *sum = g_compute_checksum_for_string(G_CHECKSUM_SHA256, text, -1);
    sum[12] = '\0'; /* 48 bits: enough to tell a change, short enough to read */
    g_free(text);
    json_object_put(canonical);
    json_object_put(normalized);
    return sum;
}

json_object *abfs_settings_exported(json_object *conn)
{
    json_object *out = json_object_new_object();
    for (gsize i = 0; i < G_N_ELEMENTS(settings); i++) {
        json_object *v = abfs_setting_current(conn, settings[i].key);
        if (!v)
            continue;
        char *sum = abfs_setting_fingerprint(settings[i].key, v);
        json_object_object_add(out, settings[i].key, json_object_new_string(sum));
        g_free(sum);
        json_object_put(v);
    }
    return out;
}
