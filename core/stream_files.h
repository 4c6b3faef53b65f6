/* stream_files.h — the setting files of one stream of a connection (streams.d/<stream>/), as data.
 *
 * Each renders from the stream's entry in the connection's `configurations` (the public API's
 * StreamConfiguration; streams named as stream_names.h says) and turns written text into a PATCH
 * of `configurations` that changes that one member of that one stream and keeps every other
 * stream and member as the server holds it (settings.h's canonical streams). Only selected streams
 * are in `configurations`, so only they have a directory.
 *
 *   selected         true (the stream is selected); writing false deselects it (not the last one)
 *   sync_mode        one of the API's ConnectionSyncModeEnum words
 *   cursor_field     the cursor's field path, its parts joined by "." (empty: none / the source's)
 *   primary_key      one key field a line, each path joined by "." (empty file: none)
 *   selected_fields  one selected field a line (empty file: every field)
 *   mappers.json     the stream's mappers, a JSON array
 * Every rendering ends with one newline, except an empty list (an empty file). */
#ifndef ABFS_STREAM_FILES_H
#define ABFS_STREAM_FILES_H

#include <glib.h>
#include <json-c/json.h>
#include "commit.h"

/* The setting files of a stream directory, in listing order (NULL-terminated). */
const char *const *abfs_stream_setting_names(void);
/* The index of a setting file, or -1. */
int abfs_stream_setting_index(const char *name);
/* TRUE for a file whose value is one line (sent from the write that completes it). */
gboolean abfs_stream_setting_single_line(guint file);

/* The labels of conn's selected streams (stream_names.h), in order; newly allocated. */
GPtrArray *abfs_stream_labels_of(json_object *conn);
/* The stream of conn labelled label (canonical form, a new reference), or NULL. */
json_object *abfs_stream_of(json_object *conn, const char *label);

/* The content of setting file `file` of the stream labelled label in conn; NULL with ENOENT when
 * conn has no such stream. Newly allocated. */
char *abfs_stream_setting_render(json_object *conn, const char *label, guint file, GError **error);

/* The PATCH body (*patch; NULL when nothing changes) for text (NUL-terminated at len, one trailing
 * newline already removed) written to setting file `file` of stream label. FALSE with EINVAL for a
 * bad value, ENOENT when the stream is gone. */
gboolean abfs_stream_setting_parse(json_object *conn, const char *label, guint file, const char *text, gsize len,
                                   json_object **patch, GError **error);

/* What commit.h needs to commit a stream's setting file: label and file must outlive *out's use. */
typedef struct {
    const char *label;
    guint file;
} AbfsStreamFileRef;
void abfs_stream_commit_file(const AbfsStreamFileRef *ref, AbfsCommitFile *out);

#endif
