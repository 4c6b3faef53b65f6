/* tree.h — the shape of the mounted tree: which path names which node, and the fixed names of
 * each directory (parsing and listing share one table). No I/O here.
 *
 *   /                             ROOT
 *   /errors                       ERRORS             recent failures, read-only
 *   /.refresh                     REFRESH            write-only: drop every cache
 *   /connections                  CONNECTIONS
 *   /connections/<id>             CONNECTION          (id: a UUID or an integer)
 *   /connections/<id>/<file>      CONNECTION_FILE     (file: a row of connection_files.h)
 *   /connections/<id>/state.json  ARTIFACT (file 0)   Config API state
 *   /connections/<id>/catalog.json ARTIFACT (file 1)  Config API sync catalog
 *   /connections/<id>/run         RUN                 write-only: sync, reset, clear, refresh
 *   /connections/<id>/jobs        JOBS                recent jobs, newest first
 *   /connections/<id>/jobs/latest JOBS_LATEST         symlink to the newest job
 *   /connections/<id>/jobs/url    JOBS_URL            the connection's timeline URL
 *   /connections/<id>/jobs/<job>  JOB
 *   /connections/<id>/jobs/<job>/<file>  JOB_FILE    (file: jobs.h's job files)
 *   /connections/<id>/jobs/<job>/attempts        JOB_ATTEMPTS  the job's attempts
 *   /connections/<id>/jobs/<job>/attempts/<n>    JOB_ATTEMPT   (file: the attempt number)
 *   /connections/<id>/jobs/<job>/attempts/<n>/<f> JOB_ATTEMPT_FILE (job_file: forensics.h's files)
 *   /connections/<id>/timeline    TIMELINE (file 0; 1: timeline.json)  events, newest first
 *   /connections/<id>/streams.d   STREAMS             one directory per selected stream
 *   /connections/<id>/streams.d/<s>       STREAM              (leaf: the stream's label)
 *   /connections/<id>/streams.d/<s>/<f>   STREAM_SETTING      (leaf; file: stream_files.h's row)
 *   /connections/<id>/streams.d/<s>/state.json  STREAM_STATE  the stream's part of the state
 *   /connections/<id>/streams.d/<s>/last_sync   STREAM_LAST_SYNC
 *   /connections/<id>/streams.d/<s>/refresh     STREAM_CONTROL (file 0; 1: clear) write-only
 *   /connections/<id>/<other>     SCRATCH             (exists only if created)
 *   /workspace.json               WORKSPACE_JSON      the workspace as the API returns it
 *   /url                          WORKSPACE_URL
 *   /by-name                      BY_NAME             one symlink per connection, named after it
 *   /by-name/<name>               BY_NAME_LINK        (leaf: the link name)
 *   /sources, /destinations       ACTORS              (file: AbfsActorKind)
 *   /sources/<id>                 ACTOR
 *   /sources/<id>/<file>          ACTOR_FILE          (leaf: name, type, ..., see actors.h)
 *   /sources/<id>/<other>         SCRATCH             (file: AbfsActorKind)
 *   /sources/<id>/connections     ACTOR_CONNECTIONS   symlinks to the connections using it
 *   /sources/<id>/connections/<c> ACTOR_CONNECTION_LINK (leaf: connection id)
 *   /connections/<id>/source      CONNECTION_LINK     (file 0: source, 1: destination)
 *   /settings                     SETTINGS            one settings.json per connection, for GitOps
 *   /settings/<id>.json           CONNECTION_FILE     (the row of settings.json)
 *   /settings/<name>.json         DRAFT               a new connection, sent when closed (leaf: the
 *                                                     file name; name is not an id, not ".*")
 *   /settings/.last-created       LAST_CREATED        the connections this mount created, not listed
 *   /settings/<other>             SCRATCH
 *   /staging                      STAGING             staged files (scratch files), never sent
 *   /staging/<name>               SCRATCH
 *   /plan, /plan.json             PLAN, PLAN_JSON     what applying staging/ would change
 *   /apply                        APPLY               write-only: apply the plan that was read
 *   /tags                         TAGS                one directory per tag of the workspace
 *   /tags/<name>                  TAG                 (leaf: the tag's name as listed)
 *   /tags/<name>/color            TAG_COLOR
 *   /tags/<name>/connections      TAG_CONNECTIONS     links to the connections that carry it
 *   /tags/<name>/connections/<l>  TAG_CONNECTION_LINK (sub: the link name, as in by-name/)
 *   /connections/<id>/health      HEALTH_FILE         (file 0: health, 1: health.json, 2: last_success)
 *   /status                       STATUS              one directory per health word, and summary
 *   /status/summary               STATUS_SUMMARY
 *   /status/<word>                STATUS_DIR          (file: the word's index in health.h's words)
 *   /status/<word>/<name>         STATUS_LINK         (leaf: the link name, as in by-name/)
 *   /jobs                         WSJOBS              the workspace's newest jobs, running/, failed/
 *   /jobs/<job>                   WSJOBS_LINK         (job: the id)
 *   /jobs/running, /jobs/failed   WSJOBS_SET          (file 0: running, 1: failed)
 *   /jobs/running/<job>           WSJOBS_SET_LINK     (file as above; job: the id)
 *   /jobs/running.log             RUNNING_LOG         the running jobs' logs, prefixed
 *   /events, /events.json         EVENTS              (file 0: lines, 1: JSON lines) a blocking
 *                                                     stream, reached by name only (never listed) */
#ifndef ABFS_TREE_H
#define ABFS_TREE_H

#include <glib.h>

typedef enum {
    ABFS_NODE_ROOT,
    ABFS_NODE_ERRORS,
    ABFS_NODE_CONNECTIONS,
    ABFS_NODE_CONNECTION,
    ABFS_NODE_CONNECTION_FILE,
    ABFS_NODE_SETTINGS,
    ABFS_NODE_SCRATCH,
    ABFS_NODE_RUN,
    ABFS_NODE_JOBS,
    ABFS_NODE_JOBS_LATEST,
    ABFS_NODE_JOBS_URL,
    ABFS_NODE_JOB,
    ABFS_NODE_JOB_FILE,
    ABFS_NODE_ARTIFACT,
    ABFS_NODE_WORKSPACE_JSON,
    ABFS_NODE_WORKSPACE_URL,
    ABFS_NODE_BY_NAME,
    ABFS_NODE_BY_NAME_LINK,
    ABFS_NODE_ACTORS,
    ABFS_NODE_ACTOR,
    ABFS_NODE_ACTOR_FILE,
    ABFS_NODE_ACTOR_CONNECTIONS,
    ABFS_NODE_ACTOR_CONNECTION_LINK,
    ABFS_NODE_CONNECTION_LINK,
    ABFS_NODE_REFRESH,
    ABFS_NODE_DRAFT,
    ABFS_NODE_LAST_CREATED,
    ABFS_NODE_TAGS,
    ABFS_NODE_TAG,
    ABFS_NODE_TAG_COLOR,
    ABFS_NODE_TAG_CONNECTIONS,
    ABFS_NODE_TAG_CONNECTION_LINK,
    ABFS_NODE_STAGING,
    ABFS_NODE_PLAN,
    ABFS_NODE_PLAN_JSON,
    ABFS_NODE_APPLY,
    ABFS_NODE_JOB_ATTEMPTS,
    ABFS_NODE_JOB_ATTEMPT,
    ABFS_NODE_JOB_ATTEMPT_FILE,
    ABFS_NODE_STREAMS,
    ABFS_NODE_STREAM,
    ABFS_NODE_STREAM_SETTING,
    ABFS_NODE_STREAM_STATE,
    ABFS_NODE_STREAM_LAST_SYNC,
    ABFS_NODE_STREAM_CONTROL,
    ABFS_NODE_TIMELINE,
    ABFS_NODE_EVENTS,
    ABFS_NODE_HEALTH_FILE,
    ABFS_NODE_STATUS,
    ABFS_NODE_STATUS_SUMMARY,
    ABFS_NODE_STATUS_DIR,
    ABFS_NODE_STATUS_LINK,
    ABFS_NODE_WSJOBS,
    ABFS_NODE_WSJOBS_LINK,
    ABFS_NODE_WSJOBS_SET,
    ABFS_NODE_WSJOBS_SET_LINK,
    ABFS_NODE_RUNNING_LOG,
    ABFS_NODE_KINDS /* how many there are */
} AbfsNodeKind;

typedef struct {
    AbfsNodeKind kind;
    const char *path;  /* the path it was parsed from (borrowed from the caller) */
    char id[40];       /* connection id, for CONNECTION, CONNECTION_FILE and SCRATCH in a connection */
    int file;          /* connection file row, for CONNECTION_FILE; attempt number for JOB_ATTEMPT(_FILE) */
    char parent[64];   /* for SCRATCH: the directory's path ("/settings", "/staging", "/connections/<id>") */
    char job[24];      /* job id, for JOB and JOB_FILE */
    char job_file[16]; /* for JOB_FILE and JOB_ATTEMPT_FILE */
    char leaf[256];    /* for BY_NAME_LINK, ACTOR_FILE, ACTOR_CONNECTION_LINK, a stream's label for STREAM*, DRAFT
                        * and TAG* */
    char sub[256];     /* for TAG_CONNECTION_LINK: the link name */
} AbfsNode;

/* Fills *node for path (node->path borrows path). FALSE when no node can have that path (ENOENT
 * without asking the API). */
gboolean abfs_tree_parse(const char *path, AbfsNode *node);

/* A fixed name of a directory: its kind, and the node's `file` (e.g. which artifact). */
typedef struct {
    const char *name;
    AbfsNodeKind kind;
    int file;
} AbfsTreeName;

/* The fixed names of a directory kind (ROOT, CONNECTION: besides the connection_files rows,
 * JOBS: besides the job ids, JOB: besides its files, STREAM: besides its setting files, STATUS:
 * besides the words, WSJOBS: besides the job ids), in listing order; *n receives how many. NULL for
 * other kinds. The root's streams (events) are not among them: they are reached by name and never
 * listed. */
const AbfsTreeName *abfs_tree_names(AbfsNodeKind dir, guint *n);

/* The name of the settings file of a connection in /settings: "<id>.json" (newly allocated). */
char *abfs_tree_settings_name(const char *connection_id);

#endif
