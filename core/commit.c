/* commit.c — validate, compare, stale-check and PATCH a written connection file (commit.h). */
#include "commit.h"
#include "connection_files.h"
#include "error.h"
#include "resources.h"
#include "tags.h"

#include <errno.h>
#include <string.h>

static gboolean same_rendering(AbfsEntry *a, AbfsEntry *b, const AbfsCommitFile *file)
{
    char *ta = file->render(a, file->data, NULL);
    char *tb = file->render(b, file->data, NULL);
    gboolean same = strcmp(ta, tb) == 0;
    g_free(ta);
    g_free(tb);
    return same;
}

/* Whether text (one newline already stripped) is exactly what the file shows for e. Writing back
 * what was read never changes anything, even where the rendering cannot carry the value whole (a
 * name holding a NUL or a control character is shown with it replaced). */
static gboolean shows(AbfsEntry *e, const AbfsCommitFile *file, const char *text, gsize len)
{
    gsize n;
    char *shown = file->render(e, file->data, &n);
    abfs_strip_one_newline(shown, &n);
    gboolean same = n == len && memcmp(shown, text, len) == 0;
    g_free(shown);
    return same;
}

/* file->parse against an entry's connection. */
static gboolean parse_against(const AbfsCommitFile *file, const char *text, gsize len, AbfsEntry *e,
                              json_object **patch, GError **error)
{
    json_object *conn = abfs_entry_parse(e);
    gboolean ok = file->parse(text, len, conn, file->data, patch, error);
    json_object_put(conn);
    return ok;
}

/* After a PATCH that failed: reads the connection to tell whether it was applied all the same. TRUE
 * when the server holds the written value (the write is reported done); FALSE with *error: the
 * PATCH's own error when the server has something else or when the read failed after a definite
 * refusal, ABFS_EUNKNOWN when the read failed after a lost answer (lost: an attempt before the
 * final one lost its answer). Takes err. */
static gboolean check_lost_patch(AbfsStore *store, const AbfsCommitFile *row, const char *connection_id,
                                 const char *text, gsize len, GError *err, gboolean lost, GError **error)
{
    AbfsClient *client = abfs_store_client(store);
    const char *workspace = abfs_store_render_context(store)->workspace_id;
    GError *check_err = NULL;
    json_object *check = NULL;
    /* One failed look is not an answer: any failure but ENOENT is looked at again, while time is left. */
    for (guint attempt = 0; err->code != EINTR && attempt < 3; attempt++) {
        g_clear_error(&check_err);
        check = abfs_connection_get(client, workspace, connection_id, &check_err);
        if (check || check_err->code == ENOENT || check_err->code == EINTR ||
            g_get_monotonic_time() + 200 * 1000 >= abfs_client_deadline())
            break;
        g_usleep(100 * 1000);
    }
    /* A refusal proves nothing was done only when no attempt before it lost its answer and it is
     * not a "try later" (429) that may follow one libcurl resent by itself. */
    gboolean open = lost || abfs_error_outcome_unknown(err) || err->code == EAGAIN;
    if (!check && !open) {
        g_clear_error(&check_err);
        g_propagate_error(error, err);
        return FALSE;
    }
    if (!check) {
        char *what = g_strdup_printf("the PATCH of %s", row->name);
        char *reason = g_strdup_printf("reading the connection to check failed too (%s)",
                                       check_err ? check_err->message : "interrupted");
        abfs_error_set_unknown(error, err, what, reason);
        g_free(what);
        g_free(reason);
        g_clear_error(&check_err);
        return FALSE;
    }
    json_object *again = NULL;
    gboolean applied = row->parse(text, len, check, row->data, &again, NULL) && !again;
    json_object_put(again);
    if (!applied) {
        json_object_put(check);
        if (abfs_error_may_act_later(err)) {
            char *what = g_strdup_printf("the PATCH of %s", row->name);
            abfs_error_set_unknown(error, err, what,
                                   "the connection does not have the value yet, but " ABFS_MAY_ACT_LATER);
            g_free(what);
        } else
            g_propagate_error(error, err);
        return FALSE;
    }
    g_message("%s of connection %s: the answer was lost (%s) but the change is on the server", row->name, connection_id,
              err->message);
    g_error_free(err);
    abfs_store_put_connection(store, check);
    return TRUE;
}

static gboolean commit_within_deadline(AbfsStore *store, const char *connection_id, const AbfsCommitFile *row,
                                       AbfsEntry *base, char *text, gsize len, GError **error)
{
    abfs_strip_one_newline(text, &len);

    AbfsEntry *seen = base ? abfs_entry_ref(base) : abfs_store_entry(store, connection_id, error);
    if (!seen)
        return FALSE;
    if (shows(seen, row, text, len)) { /* what the file showed, written back: nothing changes */
        abfs_entry_unref(seen);
        return TRUE;
    }
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
    if (!same_rendering(seen, now, row)) {
        gsize n;
        char *current = row->render(now, row->data, &n);
        g_set_error(error, ABFS_ERROR, ESTALE,
                    "%s changed on the server since it was opened (now: %.*s); read it again and retry", row->name,
                    (int)MIN(n > 0 && current[n - 1] == '\n' ? n - 1 : n, 200), current);
        g_free(current);
        ok = FALSE;
    } else
        ok = parse_against(row, text, len, now, &patch, error);
    abfs_entry_unref(seen);
    abfs_entry_unref(now);
    if (!ok || !patch)
        return ok;
    if (!abfs_tags_resolve_patch(abfs_store_tags(store), patch, error)) { /* tag names → Tag objects */
        json_object_put(patch);
        return FALSE;
    }

    GError *err = NULL;
    gint64 outer = abfs_client_deadline_keep_for_check();
    json_object *updated = abfs_connection_patch(client, workspace, connection_id, patch, &err);
    abfs_client_deadline_set(outer);
    json_object_put(patch);
    if (updated) {
        abfs_store_put_connection(store, updated);
        return TRUE;
    }
    /* The writer must never be told "failed" about a change that happened, so every failed PATCH
     * is checked: an answer can be lost without us seeing it (libcurl resends a request on a reused
     * connection that the server closed after acting, and the resend's 409 or 429, like that of
     * our own retry, says nothing about the first attempt). Before the PATCH the server did not
     * hold the value; if it holds it now, the write is done. */
    return check_lost_patch(store, row, connection_id, text, len, err, abfs_client_last_call_lost_an_answer(), error);
}

/* A connection_files.h row as a commit file: rendered by the store (its sizes are cached there). */
static char *row_render(AbfsEntry *entry, gconstpointer data, gsize *len)
{
    guint n;
    const AbfsConnectionFile *rows = abfs_connection_files(&n);
    return abfs_entry_render(entry, (guint)((const AbfsConnectionFile *)data - rows), len);
}

static gboolean row_parse(const char *text, gsize len, json_object *conn, gconstpointer data, json_object **patch,
                          GError **error)
{
    return ((const AbfsConnectionFile *)data)->parse(text, len, conn, patch, error);
}

static AbfsCommitFile row_file(guint file)
{
    guint n;
    const AbfsConnectionFile *row = &abfs_connection_files(&n)[file];
    AbfsCommitFile f = {row->name, row_render, row->parse ? row_parse : NULL, row};
    return f;
}

gboolean abfs_commit_file(AbfsStore *store, const char *connection_id, const AbfsCommitFile *file, AbfsEntry *base,
                          char *text, gsize len, GError **error)
{
    if (!file->parse) {
        g_set_error(error, ABFS_ERROR, EACCES, "%s is read-only", file->name);
        return FALSE;
    }
    /* read, PATCH and check are one operation: all of it ends within -o timeout */
    gint64 saved = abfs_client_deadline_begin(abfs_store_client(store));
    gboolean ok = commit_within_deadline(store, connection_id, file, base, text, len, error);
    abfs_client_deadline_end(saved);
    return ok;
}

gboolean abfs_commit_connection_file(AbfsStore *store, const char *connection_id, guint file, AbfsEntry *base,
                                     char *text, gsize len, GError **error)
{
    AbfsCommitFile row = row_file(file);
    return abfs_commit_file(store, connection_id, &row, base, text, len, error);
}

gboolean abfs_validate_file(const AbfsCommitFile *file, AbfsEntry *base, const char *text, gsize len, GError **error)
{
    if (!file->parse) {
        g_set_error(error, ABFS_ERROR, EACCES, "%s is read-only", file->name);
        return FALSE;
    }
    char *copy = g_strndup(text, len);
    abfs_strip_one_newline(copy, &len);
    json_object *patch = NULL;
    gboolean ok = parse_against(file, copy, len, base, &patch, error);
    json_object_put(patch);
    g_free(copy);
    return ok;
}

gboolean abfs_validate_connection_file(guint file, AbfsEntry *base, const char *text, gsize len, GError **error)
{
    AbfsCommitFile row = row_file(file);
    return abfs_validate_file(&row, base, text, len, error);
}
