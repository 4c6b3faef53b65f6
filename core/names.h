/* names.h — connection names as file names, for by-name/.
 *
 * A name becomes a safe file name: "/" becomes "∕" (U+2215), control characters become "�"
 * (U+FFFD), "." and ".." and the empty name get "∙" prepended/used, and the result is cut to 200
 * bytes on a UTF-8 boundary. Names that collide (after that) each get " [<connectionId>]" appended,
 * so every link name is stable whatever the order of the listing. */
#ifndef ABFS_NAMES_H
#define ABFS_NAMES_H

#include <glib.h>

char *abfs_safe_name(const char *name);

/* link name → connection id (both strings owned by the table) for n connections: connection
 * ids[i] is named names[i] (NULL: no name). The store keeps one per snapshot
 * (abfs_snapshot_by_name in store.h). */
GHashTable *abfs_by_name_table(guint n, const char *const *ids, const char *const *names);

#endif
