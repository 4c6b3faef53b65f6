/* commit.h — applying the bytes written to a connection file.
 *
 * The order is the contract (docs/file-tree.md, "How writing works"): one trailing newline (or CRLF) dropped; the value
 * validated against what the writer saw (`base`) — a bad value is EINVAL and nothing is sent; a
 * value equal to what the writer saw sends nothing; otherwise the connection is read fresh, and if
 * that file's content changed remotely since the writer saw it the commit fails with ESTALE (the
 * store learns the new value, so a re-read shows it); then one PATCH, whose answer updates the
 * store. When the PATCH's answer is lost (transport error, timeout, interrupt), the connection is
 * read again: if the server has the new value the commit succeeded. The error message is one
 * line for the `errors` file. */
#ifndef ABFS_COMMIT_H
#define ABFS_COMMIT_H

#include <glib.h>
#include "store.h"

/* A file whose content renders from a connection and whose written text becomes a PATCH of it:
 * a row of connection_files.h, or a file of one stream (stream_files.h). */
typedef struct {
    const char *name; /* for messages */
    /* The file's content for an entry (newly allocated; *len its length when len is not NULL). */
    char *(*render)(AbfsEntry *entry, gconstpointer data, gsize *len);
    /* As AbfsConnectionFile's parse, with data; NULL: read-only (EACCES). */
    gboolean (*parse)(const char *text, gsize len, json_object *conn, gconstpointer data, json_object **patch,
                      GError **error);
    gconstpointer data;
} AbfsCommitFile;

/* The commit above for any such file: what abfs_commit_connection_file does for a row. */
gboolean abfs_commit_file(AbfsStore *store, const char *connection_id, const AbfsCommitFile *file, AbfsEntry *base,
                          char *text, gsize len, GError **error);
/* The first step alone, as abfs_validate_connection_file. */
gboolean abfs_validate_file(const AbfsCommitFile *file, AbfsEntry *base, const char *text, gsize len, GError **error);

/* text (NUL-terminated at len) is modified in place. base: the entry the writer opened, or NULL for
 * the store's current one (e.g. a scratch file renamed over the setting). */
gboolean abfs_commit_connection_file(AbfsStore *store, const char *connection_id, guint file, AbfsEntry *base,
                                     char *text, gsize len, GError **error);

/* Only the first step: checks text (NUL-terminated at len; one trailing newline dropped) as a
 * value of file against base, without sending anything. */
gboolean abfs_validate_connection_file(guint file, AbfsEntry *base, const char *text, gsize len, GError **error);

#endif
