/* scratch.h — in-memory scratch files: names that editors and tools create beside setting files
 * (sed's sedXXXXXX, vim's 4913 and swap files, rsync's .name.XXXXXX, gedit's .goutputstream-*).
 * They are never sent to the API; renaming one over a setting file commits its content. Bounded
 * in count (ENOSPC) and size (EFBIG). Thread-safe; a Scratch stays valid while referenced even if
 * it is unlinked or renamed meanwhile. */
#ifndef ABFS_SCRATCH_H
#define ABFS_SCRATCH_H

#include <glib.h>
#include <sys/types.h>

#define ABFS_SCRATCH_MAX_FILES 256
#define ABFS_SCRATCH_MAX_BYTES (4u * 1024 * 1024)

typedef struct Scratch Scratch;

void abfs_scratch_init(void);
void abfs_scratch_cleanup(void);

/* The scratch at path (a new reference) or NULL. */
Scratch *abfs_scratch_lookup(const char *path);
/* Creates (or, when it exists, truncates) the scratch at path. -errno on failure. */
int abfs_scratch_create(const char *path, mode_t mode, Scratch **out);
int abfs_scratch_unlink(const char *path);
/* Moves the scratch at from to to (replacing a scratch there). */
int abfs_scratch_rename(const char *from, const char *to);
/* Drops every scratch whose path starts with prefix + "/" (a vanished directory). */
void abfs_scratch_forget_under(const char *prefix);

void abfs_scratch_unref(Scratch *s);
int abfs_scratch_read(Scratch *s, char *buf, size_t size, off_t offset);
int abfs_scratch_write(Scratch *s, const char *buf, size_t size, off_t offset);
int abfs_scratch_truncate(Scratch *s, off_t size);
/* A copy of the content (NUL-terminated) and its length. */
char *abfs_scratch_content(Scratch *s, gsize *len);
void abfs_scratch_stat(Scratch *s, mode_t *mode, off_t *size, gint64 *mtime);
void abfs_scratch_set_mode(Scratch *s, mode_t mode);
void abfs_scratch_set_mtime(Scratch *s, gint64 mtime);

/* What the scratch's creator saw of the file it will replace (for ESTALE on the rename that
 * commits it, and on the kernel's retry of that rename alike): set once by the creator, freed with
 * the scratch (destroy may be NULL); borrowed while the caller holds a reference to s. */
void abfs_scratch_set_origin(Scratch *s, gpointer origin, GDestroyNotify destroy);
gpointer abfs_scratch_origin(Scratch *s);

/* Names of the scratches directly inside dir (newly allocated list of strings). */
GPtrArray *abfs_scratch_list(const char *dir);

#endif
