/* connection_files.h — the files of a connection directory, as data.
 *
 * One row per file: its name, whether it is JSON, how it renders from the connection as the
 * API returns it (ConnectionResponse), and — for writable files — how written bytes become a
 * PATCH body. Adding a file to every connection directory is adding a row. Every rendering ends
 * with exactly one newline, except a list with no items (`streams` or `tags` of a connection
 * without any), which is an empty file. */
#ifndef ABFS_CONNECTION_FILES_H
#define ABFS_CONNECTION_FILES_H

#include <glib.h>
#include <json-c/json.h>
#include "text.h" /* abfs_strip_one_newline(), which writers of these files use */

typedef struct {
    const char *web_root; /* e.g. https://cloud.airbyte.com */
    const char *workspace_id;
} AbfsRenderContext;

typedef struct {
    const char *name;
    /* The file's content for conn (newly allocated). */
    char *(*render)(json_object *conn, const AbfsRenderContext *ctx);
    /* NULL for read-only files. Otherwise turns the written text (one trailing newline or CRLF
     * already removed, NUL-terminated) into a PATCH body for conn; sets *patch to NULL when the
     * text says what conn already says. A bad value: FALSE with an EINVAL error, nothing to send. */
    gboolean (*parse)(const char *text, gsize len, json_object *conn, json_object **patch, GError **error);
    /* The value is one line: once a write ends with a newline the value is complete, so it can be
     * validated then and refused by write(2) itself (a shell ignores errors of close(2)). */
    gboolean single_line;
    /* The one top-level member of conn that render reads, or NULL when it reads more: the store
     * then hands render an object holding only that member, parsed from the connection's text
     * alone (opening `name` does not parse the whole connection). */
    const char *member;
} AbfsConnectionFile;

/* The rows, in directory order. */
const AbfsConnectionFile *abfs_connection_files(guint *count);

/* Index of the row named name, or -1. */
int abfs_connection_file_index(const char *name);

/* The web URL of a connection, as PyAirbyte builds it: {web}/workspaces/{ws}/connections/{id}. */
char *abfs_connection_url(const AbfsRenderContext *ctx, const char *connection_id);

/* The schedule as its file shows it: "manual", the cron expression without the " UTC" the
 * server appends, or a basic schedule as the API states it ("Every 24 HOURS"). No newline. */
char *abfs_schedule_text(json_object *conn);

/* true/false, 1/0, yes/no, on/off in any case, surrounding blanks ignored. */
gboolean abfs_parse_bool(const char *text, gboolean *value);

#endif
