/* tests/fuzz/fuzz_connection.c — libFuzzer harness for a ConnectionResponse as the server may send
 * it: core/resources.c abfs_connection_check, then every row of core/connection_files.c and
 * core/settings.c abfs_settings_object on the connections that pass the check.
 *
 * Input: the JSON body (parsed with abfs_json_parse; other texts are skipped).
 *
 * Invariants: the check passes or fails with a one-line error; on a connection that passes, every
 * row renders, and each rendering is empty (only `streams`, for a connection without any) or ends
 * with "\n"; JSON rows (connection.json, configurations.json, settings.json) parse back, and
 * settings.json equals abfs_settings_object, whose keys are writable settings.
 *
 * With ABFS_FUZZ_ROUNDTRIP=1 in the environment it also checks, for every writable row, that
 * writing back what was read (the rendering less one newline) is accepted and sends nothing: the
 * promise of settings.h, here for any connection the check lets through rather than the fixed ones
 * of fuzz_write_parsers. Off by default: it finds connections the server would not send (stream
 * names with blanks around them, say), which are worth knowing about but not a crash. */
#include "connection_files.h"
#include "error.h"
#include "fuzz_common.h"
#include "fuzz_fixtures.h"
#include "json_util.h"
#include "resources.h"
#include "settings.h"

#include <errno.h>

static const char *const writable_settings[] = {
    "name", "prefix", "status", "schedule", "namespaceDefinition", "namespaceFormat",
    "nonBreakingSchemaUpdatesBehavior", "configurations", "tags", NULL};

static int roundtrip = -1;

static void check_json_text(const char *text, const char *row)
{
    GError *error = NULL;
    json_object *value = abfs_json_parse(text, strlen(text), &error);
    FUZZ_CHECK(error == NULL, "%s does not parse back: %s", row, error->message);
    json_object_put(value);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (roundtrip < 0)
        roundtrip = g_strcmp0(g_getenv("ABFS_FUZZ_ROUNDTRIP"), "1") == 0;
    char *input = fuzz_copy(data, size);
    json_object *conn = abfs_json_parse(input, size, NULL);
    g_free(input);
    if (!conn) /* not JSON: fuzz_json_parse's business */
        return 0;

    GError *error = NULL;
    if (!abfs_connection_check(conn, &error)) {
        fuzz_check_error(error, "abfs_connection_check");
        FUZZ_CHECK(error->domain == ABFS_ERROR && error->code == EIO, "code %d", error->code);
        g_error_free(error);
        json_object_put(conn);
        return 0;
    }
    FUZZ_CHECK(error == NULL, "check passed with an error set");

    guint n;
    const AbfsConnectionFile *rows = abfs_connection_files(&n);
    for (guint i = 0; i < n; i++) {
        char *text = rows[i].render(conn, &abfs_fuzz_render_context);
        FUZZ_CHECK(text != NULL, "%s rendered NULL", rows[i].name);
        size_t len = strlen(text);
        FUZZ_CHECK(len == 0 || text[len - 1] == '\n', "%s does not end with a newline", rows[i].name);
        /* a list with no items (streams, tags) is an empty file */
        FUZZ_CHECK(len > 0 || strcmp(rows[i].name, "streams") == 0 || strcmp(rows[i].name, "tags") == 0,
                   "%s is empty", rows[i].name);
        if (g_str_has_suffix(rows[i].name, ".json"))
            check_json_text(text, rows[i].name);
        if (roundtrip && rows[i].parse) {
            gsize plen = len;
            abfs_strip_one_newline(text, &plen);
            json_object *patch = NULL;
            GError *perr = NULL;
            gboolean ok = rows[i].parse(text, plen, conn, &patch, &perr);
            FUZZ_CHECK(ok, "writing back %s fails: %s\n[%s]", rows[i].name, perr ? perr->message : "(no error)", text);
            FUZZ_CHECK(patch == NULL, "writing back %s sends %s", rows[i].name, json_object_to_json_string(patch));
        }
        g_free(text);
    }

    json_object *settings = abfs_settings_object(conn);
    FUZZ_CHECK(json_object_is_type(settings, json_type_object), "settings object is not an object");
    json_object_object_foreach(settings, key, value) {
        (void)value;
        FUZZ_CHECK(g_strv_contains(writable_settings, key), "settings object has \"%s\"", key);
    }
    /* settings.json adds what it was exported from: a hash of each member */
    json_object *exported = abfs_settings_exported(conn);
    json_object_object_foreach(exported, member, hash) {
        FUZZ_CHECK(json_object_object_get(settings, member) != NULL, "_exported has \"%s\", the settings do not", member);
        FUZZ_CHECK(json_object_get_string_len(hash) == 12, "_exported's hash of %s is not 12 digits", member);
    }
    FUZZ_CHECK(json_object_object_length(exported) == json_object_object_length(settings),
               "_exported and the settings have other members");
    json_object_object_add(settings, ABFS_SETTINGS_BASE_MEMBER, exported);
    char *pretty = abfs_json_pretty(settings);
    int row = abfs_connection_file_index("settings.json");
    FUZZ_CHECK(row >= 0, "no settings.json row");
    char *rendered = rows[row].render(conn, &abfs_fuzz_render_context);
    FUZZ_CHECK(strcmp(pretty, rendered) == 0, "settings.json differs from abfs_settings_object");
    g_free(rendered);
    g_free(pretty);
    json_object_put(settings);

    json_object_put(conn);
    return 0;
}
