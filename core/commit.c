/* commit.c — validate, compare, stale-check and PATCH a written connection file (commit.h). */
#include "commit.h"
#include "connection_files.h"
#include "error.h"
#include "resources.h"

#include <errno.h>
#include <string.h>

static gboolean same_rendering(AbfsEntry *a, AbfsEntry *b, guint file)
{
    char *ta = abfs_entry_render(a, file, NULL);
    char *tb = abfs_entry_render(b, file, NULL);
    gboolean same = strcmp(ta, tb) == 0;
    g_free(ta);
    g_free(tb);
    return same;
}

/* row->parse against an entry's connection. */
static gboolean parse_against(const AbfsConnectionFile *row, const char *text, gsize len, AbfsEntry *e,
                              json_object **patch, GError **error)
{
    json_object *conn = abfs_entry_parse(e);
    gboolean ok = row->parse(text, len, conn, patch, error);
    json_object_put(conn);
    return ok;
}

gboolean abfs_commit_connection_file(AbfsStore *store, const char *connection_id, guint file,
                                     AbfsEntry *base, char *text, gsize len, GError **error)
{
    guint nfiles;
    const AbfsConnectionFile *row = &abfs_connection_files(&nfiles)[file];
    if (!row->parse) {
        g_set_error(error, ABFS_ERROR, EACCES, "%s is read-only", row->name);
        return FALSE;
    }
    abfs_strip_one_newline(text, &len);

    AbfsEntry *seen = base ? abfs_entry_ref(base) : abfs_store_entry(store, connection_id, error);
    if (!seen)
        return FALSE;
    json_object *patch = NULL;
    gboolean ok = parse_against(row, text, len, seen, &patch, error);
    if (!ok || !patch) { /* invalid, or what the writer saw already: nothing to send */
        abfs_entry_unref(seen);
        return ok;
    }
    json_object_put(patch);
    patch = NULL;

    AbfsClient *client = abfs_store_client(store);
    const char *workspace = abfs_store_render_context(store)->workspace_id;
    json_object *fresh = abfs_connection_get(client, workspace, connection_id, error);
    if (!fresh) {
        abfs_entry_unref(seen);
        return FALSE;
    }
    abfs_store_put_connection(store, fresh);
    AbfsEntry *now = abfs_store_entry(store, connection_id, error);
    if (!now) {
        abfs_entry_unref(seen);
        return FALSE;
    }
    if (!same_rendering(seen, now, file)) {
        gsize n;
        char *current = abfs_entry_render(now, file, &n);
        g_set_error(error, ABFS_ERROR, ESTALE,
                    "%s changed on the server since it was opened (now: %.*s); read it again and retry",
                    row->name, (int)MIN(n > 0 && current[n - 1] == '\n' ? n - 1 : n, 200), current);
        g_free(current);
        ok = FALSE;
    } else
        ok = parse_against(row, text, len, now, &patch, error);
    abfs_entry_unref(seen);
    abfs_entry_unref(now);
    if (!ok || !patch)
        return ok;

    GError *err = NULL;
    json_object *updated = abfs_connection_patch(client, workspace, connection_id, patch, &err);
    json_object_put(patch);
    if (updated) {
        abfs_store_put_connection(store, updated);
        return TRUE;
    }
    if (abfs_error_outcome_unknown(err)) {
        /* The answer was lost, but the PATCH may have been applied: look before reporting a failure
         * (the writer must never be told "failed" about a change that happened). */
        json_object *check = abfs_connection_get(client, workspace, connection_id, NULL);
        json_object *conn = check ? json_object_get(check) : NULL;
        json_object *again = NULL;
        gboolean applied = conn && row->parse(text, len, conn, &again, NULL) && !again;
        json_object_put(again);
        json_object_put(conn);
        if (applied) {
            g_message("%s of connection %s: the answer was lost (%s) but the change is on the server",
                      row->name, connection_id, err->message);
            g_error_free(err);
            abfs_store_put_connection(store, check);
            return TRUE;
        }
        json_object_put(check);
    }
    g_propagate_error(error, err);
    return FALSE;
}

gboolean abfs_validate_connection_file(guint file, AbfsEntry *base, const char *text, gsize len,
                                       GError **error)
{
    guint nfiles;
    const AbfsConnectionFile *row = &abfs_connection_files(&nfiles)[file];
    if (!row->parse) {
        g_set_error(error, ABFS_ERROR, EACCES, "%s is read-only", row->name);
        return FALSE;
    }
    char *copy = g_strndup(text, len);
    abfs_strip_one_newline(copy, &len);
    json_object *patch = NULL;
    gboolean ok = parse_against(row, copy, len, base, &patch, error);
    json_object_put(patch);
    g_free(copy);
    return ok;
}
