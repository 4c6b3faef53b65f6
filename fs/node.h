/* node.h — the node table: what each kind of node of the tree (tree.h) does, as one struct of
 * functions per kind. The kinds of one subtree live in one node_*.c file; fs/ops.c parses a path,
 * looks its kind up with abfs_node_type() and calls the function. Adding a file to a connection
 * directory is a row in core's connection_files table; adding a subtree is a node_*.c file, rows
 * in tree.c's path table and one line per kind in node.c's table (docs/hacking.md).
 *
 * Every function returns 0 (or a count) on success and -errno on failure. A failure with a reason
 * a user should read also sets *error (ABFS_ERROR, code = the errno); the operation's boundary in
 * ops.c decides whether it goes to `errors`. No function here records a failure itself. A NULL
 * member means the operation does not apply to the kind; ops.c answers with the errno Linux gives
 * for it (EISDIR, ENOTDIR, EINVAL, EPERM, EACCES; see each member). */
#ifndef ABFS_NODE_H
#define ABFS_NODE_H

#include "fs.h"

typedef struct AbfsHandle AbfsHandle;

/* A readdir buffer. Listings are given with offsets (the index of the next entry): libfuse 3.14
 * passes an entry's attributes to the kernel (readdirplus) only then, so that `ls -l` needs no
 * LOOKUP per entry; a listing too big for one buffer is asked for again from where it stopped,
 * and the entries before that offset are counted but not given. */
typedef struct {
    void *buf;
    fuse_fill_dir_t fill;
    off_t skip;    /* entries the kernel already has (its offset) */
    off_t count;   /* entries added so far, given or skipped */
    gboolean full; /* the buffer took no more: the rest is for the next call */
} AbfsDir;

/* Adds name to a listing. With st, the kernel takes the attributes from the listing (readdirplus);
 * without, it asks getattr when it needs them. TRUE when the buffer is full. */
gboolean abfs_dir_add(AbfsDir *dir, const char *name, const struct stat *st);

/* TRUE, counting the entry, when the kernel already has the next entry of the listing (it is
 * before the offset asked for): a big listing need not make what it would skip. */
gboolean abfs_dir_skip(AbfsDir *dir);

/* Adds name, a node of kind, with its file type only (d_type) and no attributes: walkers such as
 * find learn a file is a file without stat'ing it, and nothing is fetched to list it. */
gboolean abfs_dir_add_kind(AbfsDir *dir, const char *name, AbfsNodeKind kind);

/* Adds every id of ids (a list of strings, freed) as a node of kind. */
void abfs_dir_add_ids(AbfsDir *dir, GPtrArray *ids, AbfsNodeKind kind);

typedef struct {
    /* Attributes (mode includes the file type). NULL: never (every kind has it). */
    int (*getattr)(const AbfsNode *node, struct stat *st, GError **error);
    /* The entries of a directory, without "." and "..". NULL: ENOTDIR. */
    int (*readdir)(const AbfsNode *node, AbfsDir *dir, GError **error);
    /* Opens the node (flags: open(2)'s). NULL: EISDIR. */
    int (*open)(const AbfsNode *node, int flags, AbfsHandle **handle, GError **error);
    /* creat(2)/open(O_CREAT) of a name that does not exist yet. NULL: EACCES. */
    int (*create)(const AbfsNode *node, mode_t mode, int flags, AbfsHandle **handle, GError **error);
    /* A symbolic link's target, newly allocated. NULL: EINVAL. */
    int (*readlink)(const AbfsNode *node, char **target, GError **error);
    /* What a reader of the file sees now, newly allocated: for an editor's backup copy (rename
     * of the file onto a scratch name) and for a log that grows while it is read. */
    int (*read_text)(const AbfsNode *node, char **text, GError **error);
    /* Sends text (NUL-terminated at len) as the file's new content: a buffered write's commit and
     * the rename of a scratch file onto the node. base: what the writer saw when it opened the
     * file (a connection's entry), or NULL. NULL member: the file is not writable (EACCES). */
    int (*commit)(const AbfsNode *node, AbfsEntry *base, const char *text, gsize len, GError **error);
    /* TRUE for a file that holds one line: its value is sent from write(2) as soon as it is complete
     * (it ends with a newline), so that the API's answer comes back from write(2), where a shell
     * sees it (sysfs's convention: bash's builtin echo ignores close(2)). NULL: commit at close. */
    gboolean (*one_line)(const AbfsNode *node);
    /* TRUE when the file accepts new content through commit (a writable setting, state.json, a
     * source's name): what an unlink followed by a create may replace (replace.c). NULL: never. */
    gboolean (*writable)(const AbfsNode *node);
    /* A control file's action (run, cancel, .refresh) on what was written (NUL-terminated). */
    int (*act)(const AbfsNode *node, const char *text, gsize len, GError **error);
    /* truncate(2) of the path without an open file. NULL: EISDIR for a directory, else EACCES. */
    int (*truncate)(const AbfsNode *node, off_t size, GError **error);
    /* unlink(2). NULL: EPERM (an API-backed file cannot be removed). */
    int (*unlink)(const AbfsNode *node, GError **error);
    /* rmdir(2). NULL: EPERM. */
    int (*rmdir)(const AbfsNode *node, GError **error);
    /* mkdir(2) of name in this directory (the node is the parent: the new name has no node yet).
     * NULL: EPERM. */
    int (*mkdir)(const AbfsNode *dir, const char *name, mode_t mode, GError **error);
    /* rename(2) of this node onto dst. NULL: abfs_node_rename's rules for scratch files. */
    int (*rename)(const AbfsNode *src, const AbfsNode *dst, unsigned int flags, GError **error);
    /* For a file kept in memory until it is sent (a draft): TRUE when what was written (text, NUL-
     * terminated at len) is whole, so that it is sent from the write(2) that completed it and its
     * answer is that write's, where a shell sees it. NULL (or FALSE): sent at close. */
    gboolean (*complete)(const AbfsNode *node, const char *text, gsize len);
    /* The value of extended attribute name, newly allocated. NULL member: the node has none. */
    int (*getxattr)(const AbfsNode *node, const char *name, char **value, GError **error);
    /* chmod(2) and utimens(2): NULL accepts them and changes nothing (rsync, cp -p, editors). */
    int (*chmod)(const AbfsNode *node, mode_t mode, GError **error);
    int (*utimens)(const AbfsNode *node, const struct timespec tv[2], GError **error);
    /* ---- a stream (Plan 9's blocking file: `events`): its open makes a stream handle
     * (abfs_handle_stream) around a state of its own, and these act on that state ---- */
    /* Takes up to size bytes of what is pending; with nothing pending, blocks until something is
     * unless flags (the open file's, at this read) hold O_NONBLOCK (then EAGAIN). 0: its end. */
    int (*read_stream)(const AbfsNode *node, gpointer stream, char *buf, size_t size, int flags, GError **error);
    /* poll(2): *revents receives what is ready now (POLLIN when a read would not block); ph, when
     * not NULL, is the stream's to keep (fuse_notify_poll() once something is pending, then
     * fuse_pollhandle_destroy()). NULL member: an ordinary file, always ready. */
    int (*poll)(const AbfsNode *node, gpointer stream, struct fuse_pollhandle *ph, unsigned *revents);
    /* The last close of a stream (or the unmount of a file still open): frees stream. */
    void (*release_stream)(const AbfsNode *node, gpointer stream);
    /* The names getxattr answers (NULL-terminated), for listxattr. NULL: user.airbyte.id and
     * user.airbyte.url. */
    const char *const *xattr_names;
} AbfsNodeType;

/* The functions of a kind. */
const AbfsNodeType *abfs_node_type(AbfsNodeKind kind);

/* ---- the kinds, one table each, defined in their node_*.c file ---- */
/* node_root.c: the mount's root and its files. */
extern const AbfsNodeType abfs_node_root, abfs_node_errors, abfs_node_refresh, abfs_node_workspace_json,
    abfs_node_workspace_url;
/* node_connection.c: connections/, a connection, its setting files, settings/ and its files. */
extern const AbfsNodeType abfs_node_connections, abfs_node_connection, abfs_node_connection_file, abfs_node_settings,
    abfs_node_connection_link;
/* node_artifact.c: state.json and catalog.json. */
extern const AbfsNodeType abfs_node_artifact;
/* node_jobs.c: run, jobs/, a job and its files. */
extern const AbfsNodeType abfs_node_run, abfs_node_jobs, abfs_node_jobs_latest, abfs_node_jobs_url, abfs_node_job,
    abfs_node_job_file;
/* node_forensics.c: a job's attempts/ and each attempt's files. */
extern const AbfsNodeType abfs_node_job_attempts, abfs_node_job_attempt, abfs_node_job_attempt_file;
/* node_streams.c: streams.d/, each stream's directory and files. */
extern const AbfsNodeType abfs_node_streams, abfs_node_stream, abfs_node_stream_setting, abfs_node_stream_state,
    abfs_node_stream_last_sync, abfs_node_stream_control;
/* node_timeline.c: a connection's timeline and timeline.json. */
extern const AbfsNodeType abfs_node_timeline;
/* node_actor.c: sources/ and destinations/. */
extern const AbfsNodeType abfs_node_actors, abfs_node_actor, abfs_node_actor_file, abfs_node_actor_connections,
    abfs_node_actor_connection_link;
/* node_byname.c: by-name/. */
extern const AbfsNodeType abfs_node_by_name, abfs_node_by_name_link;
/* node_health.c: a connection's health, health.json and last_success. */
extern const AbfsNodeType abfs_node_health_file;
/* node_status.c: status/, its summary, one directory per health word and its links. */
extern const AbfsNodeType abfs_node_status, abfs_node_status_summary, abfs_node_status_dir, abfs_node_status_link;
/* node_wsjobs.c: jobs/ at the root, its links, running/ and failed/, running.log. */
extern const AbfsNodeType abfs_node_wsjobs, abfs_node_wsjobs_link, abfs_node_wsjobs_set, abfs_node_wsjobs_set_link,
    abfs_node_running_log;
/* node_scratch.c: editors' temporary files. */
extern const AbfsNodeType abfs_node_scratch;
/* node_draft.c: settings/<name>.json, a new connection, and settings/.last-created. */
extern const AbfsNodeType abfs_node_draft, abfs_node_last_created;
/* node_plan.c: staging/, plan, plan.json and apply. */
extern const AbfsNodeType abfs_node_staging, abfs_node_plan, abfs_node_plan_json, abfs_node_apply;
/* Frees what the plan files keep between reads (at exit). */
void abfs_plan_state_cleanup(void);
/* node_tags.c: tags/, a tag, its color and the links to the connections that carry it. */
extern const AbfsNodeType abfs_node_tags, abfs_node_tag, abfs_node_tag_color, abfs_node_tag_connections,
    abfs_node_tag_connection_link;
/* node_events.c: events and events.json. */
extern const AbfsNodeType abfs_node_events;

/* rename(2): node_scratch.c. Scratch files move; a scratch onto an API-backed file commits it; an
 * API-backed file onto a scratch name leaves a copy (an editor's backup); anything else EPERM. */
int abfs_node_rename(const AbfsNode *src, const AbfsNode *dst, unsigned int flags, GError **error);

/* ---- helpers shared by the node files ---- */
/* Fills *st for a directory or a regular file owned by the mounting user. */
void abfs_stat_dir(struct stat *st, mode_t perm, gint64 mtime);
void abfs_stat_file(struct stat *st, mode_t perm, gsize size, gint64 mtime);
void abfs_stat_link(struct stat *st, gsize target_len);
/* Adds a line "<id> <file>" to settings/.last-created (node_draft.c). */
void abfs_node_record_created(const char *id, const char *file);
/* Adds the scratch files of directory path to a listing. */
void abfs_dir_add_scratches(AbfsDir *dir, const char *path);
/* ENOENT unless the connection node->id exists now (from the listing, or read alone). */
int abfs_node_connection_exists(const AbfsNode *node, GError **error);
/* getattr of a symbolic link, sized by its type's readlink. */
int abfs_node_getattr_link(const AbfsNode *node, struct stat *st, GError **error);
/* The extended attributes of a connection or an actor: user.airbyte.id (id) and user.airbyte.url
 * (url, taken); ENODATA for any other name. */
int abfs_node_id_url_xattr(const char *name, const char *id, char *url, char **value);
/* user.airbyte.health of connection node->id: its health word (node_health.c). */
int abfs_node_health_xattr(const AbfsNode *node, char **value, GError **error);
/* getattr of a read-only file sized by its type's read_text (read when stat'ed). */
int abfs_node_getattr_text(const AbfsNode *node, struct stat *st, GError **error);
/* Whether open(2)'s flags ask to write (or truncate). */
gboolean abfs_open_wants_write(int flags);

#endif
