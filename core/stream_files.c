/* stream_files.c — a stream's setting files: rendering and PATCHes of `configurations`
 * (stream_files.h). */
#include "stream_files.h"
#include "error.h"
#include "json_util.h"
#include "settings.h"
#include "stream_names.h"
#include "text.h"

#include <errno.h>
#include <string.h>

enum { SELECTED, SYNC_MODE, CURSOR_FIELD, PRIMARY_KEY, SELECTED_FIELDS, MAPPERS, N_FILES };

static const char *const names[] = {"selected",    "sync_mode",       "cursor_field",
                                    "primary_key", "selected_fields", "mappers.json", NULL};
G_STATIC_ASSERT(G_N_ELEMENTS(names) == N_FILES + 1);

const char *const *abfs_stream_setting_names(void)
{
    return names;
}

int abfs_stream_setting_index(const char *name)
{
    for (int i = 0; i < N_FILES; i++)
        if (strcmp(names[i], name) == 0)
            return i;
    return -1;
}

gboolean abfs_stream_setting_single_line(guint file)
{
    return file == SELECTED || file == SYNC_MODE || file == CURSOR_FIELD;
}

GPtrArray *abfs_stream_labels_of(json_object *conn)
{
    json_object *streams = abfs_streams_current(conn);
    GPtrArray *labels = abfs_stream_labels(streams, "name", "namespace");
    json_object_put(streams);
    return labels;
}

/* The index of label in streams (canonical), or -1 with ENOENT. */
static int find(json_object *streams, const char *label, GError **error)
{
    int i = abfs_stream_find(streams, "name", "namespace", label);
    if (i < 0)
        g_set_error(error, ABFS_ERROR, ENOENT, "the connection has no selected stream %s", label);
    return i;
}

json_object *abfs_stream_of(json_object *conn, const char *label)
{
    json_object *streams = abfs_streams_current(conn);
    int i = find(streams, label, NULL);
    json_object *s = i >= 0 ? json_object_get(json_object_array_get_idx(streams, (gsize)i)) : NULL;
    json_object_put(streams);
    return s;
}

/* A field path (array of strings) as text: its parts joined by ".". */
static void append_path(GString *out, json_object *path)
{
    for (gsize i = 0; json_object_is_type(path, json_type_array) && i < json_object_array_length(path); i++) {
        json_object *part = json_object_array_get_idx(path, i);
        g_string_append_printf(out, "%s%s", i ? "." : "",
                               json_object_is_type(part, json_type_string) ? json_object_get_string(part) : "");
    }
}

char *abfs_stream_setting_render(json_object *conn, const char *label, guint file, GError **error)
{
    json_object *s = abfs_stream_of(conn, label);
    if (!s) {
        find(NULL, label, error);
        return NULL;
    }
    GString *out = g_string_new(NULL);
    json_object *v;
    switch (file) {
    case SELECTED: g_string_append(out, "true\n"); break;
    case SYNC_MODE: {
        const char *mode = abfs_json_string(s, "syncMode");
        g_string_append_printf(out, "%s\n", mode ? mode : "full_refresh_overwrite"); /* the API's default */
        break;
    }
    case CURSOR_FIELD:
        append_path(out, json_object_object_get(s, "cursorField"));
        g_string_append_c(out, '\n');
        break;
    case PRIMARY_KEY:
        v = json_object_object_get(s, "primaryKey");
        for (gsize i = 0; json_object_is_type(v, json_type_array) && i < json_object_array_length(v); i++) {
            append_path(out, json_object_array_get_idx(v, i));
            g_string_append_c(out, '\n');
        }
        break;
    case SELECTED_FIELDS:
        v = json_object_object_get(s, "selectedFields");
        for (gsize i = 0; json_object_is_type(v, json_type_array) && i < json_object_array_length(v); i++) {
            append_path(out, json_object_object_get(json_object_array_get_idx(v, i), "fieldPath"));
            g_string_append_c(out, '\n');
        }
        break;
    default: {
        v = json_object_object_get(s, "mappers");
        json_object *mappers = v ? json_object_get(v) : json_object_new_array();
        char *text = abfs_json_pretty(mappers);
        g_string_append(out, text);
        g_free(text);
        json_object_put(mappers);
    }
    }
    json_object_put(s);
    return g_string_free(out, FALSE);
}

/* "a.b" → ["a","b"]; NULL with EINVAL for an empty part. */
static json_object *parse_path(const char *text, const char *what, GError **error)
{
    char **parts = g_strsplit(text, ".", -1);
    json_object *path = json_object_new_array();
    for (char **p = parts; *p; p++) {
        if (!**p) {
            g_set_error(error, ABFS_ERROR, EINVAL, "%s: \"%s\" has an empty field name", what, text);
            json_object_put(path);
            path = NULL;
            break;
        }
        json_object_array_add(path, json_object_new_string(*p));
    }
    g_strfreev(parts);
    return path;
}

/* One path a line (blank lines skipped) → an array of paths, or of {"fieldPath": path}. */
static json_object *parse_path_lines(const char *text, const char *what, gboolean field_info, GError **error)
{
    char **lines = g_strsplit(text, "\n", -1);
    json_object *out = json_object_new_array();
    for (char **l = lines; out && *l; l++) {
        char *line = g_strstrip(*l);
        if (!*line)
            continue;
        json_object *path = parse_path(line, what, error);
        if (!path) {
            json_object_put(out);
            out = NULL;
            break;
        }
        if (field_info) {
            json_object *info = json_object_new_object();
            json_object_object_add(info, "fieldPath", path);
            path = info;
        }
        json_object_array_add(out, path);
    }
    g_strfreev(lines);
    return out;
}

/* Sets member key of stream s to value (taken); NULL value removes the member. */
static void set_member(json_object *s, const char *key, json_object *value)
{
    if (value)
        json_object_object_add(s, key, value);
    else
        json_object_object_del(s, key);
}

/* The new value of the stream (modified in place); FALSE with EINVAL; *drop: deselect it. */
static gboolean apply(json_object *s, guint file, const char *text, gsize len, gboolean *drop, GError **error)
{
    const char *what = names[file];
    if (strlen(text) != len) {
        g_set_error(error, ABFS_ERROR, EINVAL, "%s: the value contains a NUL byte", what);
        return FALSE;
    }
    if (abfs_stream_setting_single_line(file) && strchr(text, '\n')) {
        g_set_error(error, ABFS_ERROR, EINVAL, "%s takes one line", what);
        return FALSE;
    }
    char *value = g_strstrip(g_strdup(text));
    gboolean ok = TRUE, on;
    json_object *v = NULL;
    switch (file) {
    case SELECTED:
        if (!abfs_parse_bool(value, &on)) {
            g_set_error(error, ABFS_ERROR, EINVAL, "selected must be true or false (or 1/0, yes/no, on/off)");
            ok = FALSE;
        } else
            *drop = !on;
        break;
    case SYNC_MODE: set_member(s, "syncMode", json_object_new_string(value)); break;
    case CURSOR_FIELD:
        v = *value ? parse_path(value, what, error) : json_object_new_array();
        ok = v != NULL;
        if (ok)
            set_member(s, "cursorField", v);
        break;
    case PRIMARY_KEY:
    case SELECTED_FIELDS:
        v = parse_path_lines(value, what, file == SELECTED_FIELDS, error);
        ok = v != NULL;
        if (ok && file == SELECTED_FIELDS && json_object_array_length(v) == 0) {
            json_object_put(v); /* no selection: every field */
            v = NULL;
        }
        if (ok)
            set_member(s, file == PRIMARY_KEY ? "primaryKey" : "selectedFields", v);
        break;
    default:
        v = abfs_json_parse(text, len, error);
        if (v && !json_object_is_type(v, json_type_array)) {
            g_set_error(error, ABFS_ERROR, EINVAL, "mappers.json must be a JSON array");
            json_object_put(v);
            v = NULL;
        }
        ok = v != NULL;
        if (ok)
            set_member(s, "mappers", v);
    }
    g_free(value);
    return ok;
}

gboolean abfs_stream_setting_parse(json_object *conn, const char *label, guint file, const char *text, gsize len,
                                   json_object **patch, GError **error)
{
    *patch = NULL;
    json_object *streams = abfs_streams_current(conn);
    int i = find(streams, label, error);
    gboolean drop = FALSE;
    gboolean ok = i >= 0 && apply(json_object_array_get_idx(streams, (gsize)i), file, text, len, &drop, error);
    if (ok && drop) {
        if (json_object_array_length(streams) == 1) {
            g_set_error(error, ABFS_ERROR, EINVAL, "selected: %s is the last selected stream; a connection keeps one",
                        label);
            ok = FALSE;
        } else
            json_object_array_del_idx(streams, (gsize)i, 1);
    }
    if (!ok) {
        json_object_put(streams);
        return FALSE;
    }
    json_object *configurations = json_object_new_object();
    json_object_object_add(configurations, "streams", streams);
    json_object *out = json_object_new_object();
    ok = abfs_setting_add_to_patch(conn, "configurations", configurations, out, error);
    json_object_put(configurations);
    if (ok && json_object_object_length(out) > 0)
        *patch = out;
    else
        json_object_put(out);
    if (!ok && error && *error)
        g_prefix_error(error, "streams.d/%s/%s: ", label, names[file]);
    return ok;
}

static char *commit_render(AbfsEntry *entry, gconstpointer data, gsize *len)
{
    const AbfsStreamFileRef *ref = data;
    json_object *conn = abfs_entry_parse(entry);
    char *text = abfs_stream_setting_render(conn, ref->label, ref->file, NULL);
    json_object_put(conn);
    if (!text) /* the stream is gone: differs from any content it had */
        text = g_strdup("");
    if (len)
        *len = strlen(text);
    return text;
}

static gboolean commit_parse(const char *text, gsize len, json_object *conn, gconstpointer data, json_object **patch,
                             GError **error)
{
    const AbfsStreamFileRef *ref = data;
    return abfs_stream_setting_parse(conn, ref->label, ref->file, text, len, patch, error);
}

void abfs_stream_commit_file(const AbfsStreamFileRef *ref, AbfsCommitFile *out)
{
    out->name = names[ref->file];
    out->render = commit_render;
    out->parse = commit_parse;
    out->data = ref;
}
