/* tests/fuzz/fuzz_write_parsers.c — libFuzzer harness for the write side of
 * core/connection_files.c: the `parse` of every writable row (enabled, schedule, streams, name,
 * prefix, namespace_definition, namespace_format, non_breaking_schema_updates_behavior,
 * configurations.json, settings.json) and, through them, core/settings.c and core/cron.c.
 *
 * Input: byte 0 selects the row (byte % rows) and one of the fixed connections of fuzz_fixtures.h
 * (byte / rows % connections); the rest is the written text, one trailing newline (or CRLF) removed
 * as abfs_commit_connection_file does, NUL bytes kept.
 *
 * Invariants:
 *  - FALSE: an EINVAL error whose message is non-empty and one line, and no patch;
 *  - TRUE: no error, and a patch that is NULL or a non-empty JSON object whose keys are writable
 *    settings; writing the same text again once the patch is applied (merged into the connection)
 *    is TRUE with no patch;
 *  - an input of the selector byte alone writes back the row's own rendering of the connection
 *    (less one newline): TRUE with a NULL patch (reading a file and writing it back never fails and
 *    sends nothing). The seed corpus has one such input per row and connection. */
#include "connection_files.h"
#include "error.h"
#include "fuzz_common.h"
#include "fuzz_fixtures.h"
#include "json_util.h"
#include "resources.h"

#include <errno.h>

static const char *const writable_settings[] = {
    "name", "prefix", "status", "schedule", "namespaceDefinition", "namespaceFormat",
    "nonBreakingSchemaUpdatesBehavior", "configurations", "tags", NULL};

static json_object *connections[ABFS_FUZZ_N_CONNECTIONS];
static const AbfsConnectionFile *writable[32];
static guint n_writable;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    for (size_t i = 0; i < ABFS_FUZZ_N_CONNECTIONS; i++) {
        GError *error = NULL;
        const char *text = abfs_fuzz_connections[i];
        connections[i] = abfs_json_parse(text, strlen(text), &error);
        FUZZ_CHECK(connections[i] != NULL, "fixture %zu: %s", i, error ? error->message : "null");
        FUZZ_CHECK(abfs_connection_check(connections[i], &error), "fixture %zu: %s", i, error->message);
    }
    guint n;
    const AbfsConnectionFile *rows = abfs_connection_files(&n);
    for (guint i = 0; i < n; i++)
        if (rows[i].parse && n_writable < G_N_ELEMENTS(writable))
            writable[n_writable++] = &rows[i];
    FUZZ_CHECK(n_writable >= 9, "only %u writable rows", n_writable);
    return 0;
}

/* conn with the patch's members in place of its own, as the server would store them. */
static json_object *applied(json_object *conn, json_object *patch)
{
    json_object *copy = NULL;
    json_object_deep_copy(conn, &copy, NULL);
    json_object_object_foreach(patch, key, value) {
        json_object *v = NULL;
        if (strcmp(key, "tags") == 0) { /* names in the patch; the server stores Tag objects */
            v = json_object_new_array();
            for (size_t i = 0; i < json_object_array_length(value); i++) {
                json_object *tag = json_object_new_object();
                json_object_object_add(tag, "tagId", json_object_new_string("7a670000-0000-4000-8000-000000000001"));
                json_object_object_add(tag, "name", json_object_get(json_object_array_get_idx(value, i)));
                json_object_array_add(v, tag);
            }
        } else
            json_object_deep_copy(value, &v, NULL);
        json_object_object_add(copy, key, v);
    }
    return copy;
}

static void check_parse(const AbfsConnectionFile *row, json_object *conn, const char *text, gsize len,
                        gboolean must_be_unchanged)
{
    json_object *patch = NULL;
    GError *error = NULL;
    gboolean ok = row->parse(text, len, conn, &patch, &error);
    if (!ok) {
        FUZZ_CHECK(!must_be_unchanged, "%s: writing back the rendering fails: %s\n[%s]", row->name,
                   error ? error->message : "(no error)", text);
        fuzz_check_error(error, row->name);
        FUZZ_CHECK(error->domain == ABFS_ERROR && error->code == EINVAL, "%s: error code %d", row->name,
                   error->code);
        FUZZ_CHECK(patch == NULL, "%s: FALSE with a patch", row->name);
        g_error_free(error);
        return;
    }
    FUZZ_CHECK(error == NULL, "%s: TRUE with an error: %s", row->name, error->message);
    if (!patch)
        return;
    FUZZ_CHECK(!must_be_unchanged, "%s: writing back the rendering sends %s\n[%s]", row->name,
               json_object_to_json_string(patch), text);
    FUZZ_CHECK(json_object_is_type(patch, json_type_object), "%s: the patch is not an object", row->name);
    FUZZ_CHECK(json_object_object_length(patch) > 0, "%s: an empty patch instead of NULL", row->name);
    json_object_object_foreach(patch, key, value) {
        (void)value;
        FUZZ_CHECK(g_strv_contains(writable_settings, key), "%s: the patch sets \"%s\"", row->name, key);
    }
    /* Once the server has it, the same write is no change. */
    json_object *updated = applied(conn, patch);
    json_object *again = NULL;
    GError *again_error = NULL;
    gboolean again_ok = row->parse(text, len, updated, &again, &again_error);
    FUZZ_CHECK(again_ok, "%s: the second write fails: %s", row->name, again_error ? again_error->message : "(no error)");
    FUZZ_CHECK(again == NULL, "%s: the second write sends %s after %s", row->name,
               json_object_to_json_string(again), json_object_to_json_string(patch));
    json_object_put(updated);
    json_object_put(patch);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const AbfsConnectionFile *row = writable[data[0] % n_writable];
    json_object *conn = connections[data[0] / n_writable % ABFS_FUZZ_N_CONNECTIONS];
    if (size == 1) {
        char *text = row->render(conn, &abfs_fuzz_render_context);
        gsize len = strlen(text);
        abfs_strip_one_newline(text, &len);
        check_parse(row, conn, text, len, TRUE);
        g_free(text);
        return 0;
    }
    char *text = fuzz_copy(data + 1, size - 1);
    gsize len = size - 1;
    abfs_strip_one_newline(text, &len);
    check_parse(row, conn, text, len, FALSE);
    g_free(text);
    return 0;
}
