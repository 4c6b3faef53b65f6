/* tree.c — path names → nodes of the mounted tree, and the fixed names of its directories
 * (tree.h). One table per directory serves both the parse of a path and the listing. */
#include "tree.h"
#include "actors.h"
#include "connection_files.h"
#include "forensics.h"
#include "health.h"
#include "jobs.h"
#include "resources.h"
#include "stream_files.h"

#include <string.h>

static const AbfsTreeName root_names[] = {
    {"connections", ABFS_NODE_CONNECTIONS, -1},
    {"settings", ABFS_NODE_SETTINGS, -1},
    {"errors", ABFS_NODE_ERRORS, -1},
    {".refresh", ABFS_NODE_REFRESH, -1},
    {"workspace.json", ABFS_NODE_WORKSPACE_JSON, -1},
    {"url", ABFS_NODE_WORKSPACE_URL, -1},
    {"by-name", ABFS_NODE_BY_NAME, -1},
    {"tags", ABFS_NODE_TAGS, -1},
    {"staging", ABFS_NODE_STAGING, -1},
    {"plan", ABFS_NODE_PLAN, -1},
    {"plan.json", ABFS_NODE_PLAN_JSON, -1},
    {"apply", ABFS_NODE_APPLY, -1},
    {"sources", ABFS_NODE_ACTORS, ABFS_ACTOR_SOURCE},
    {"destinations", ABFS_NODE_ACTORS, ABFS_ACTOR_DESTINATION},
    {"status", ABFS_NODE_STATUS, -1},
    {"jobs", ABFS_NODE_WSJOBS, -1},
};

/* Blocking streams of the root: reached by their name only, never listed, so that no tree walker
 * (grep -r, cp -r, tar, rsync, find) opens one and waits forever, as with a job's `wait`. */
static const AbfsTreeName root_streams[] = {
    {"events", ABFS_NODE_EVENTS, 0},
    {"events.json", ABFS_NODE_EVENTS, 1},
};

/* A connection directory holds these besides its connection_files rows. */
static const AbfsTreeName connection_names[] = {
    {"state.json", ABFS_NODE_ARTIFACT, 0},
    {"catalog.json", ABFS_NODE_ARTIFACT, 1},
    {"source", ABFS_NODE_CONNECTION_LINK, 0},
    {"destination", ABFS_NODE_CONNECTION_LINK, 1},
    {"run", ABFS_NODE_RUN, -1},
    {"jobs", ABFS_NODE_JOBS, -1},
    {"streams.d", ABFS_NODE_STREAMS, -1},
    {"timeline", ABFS_NODE_TIMELINE, 0},
    {"timeline.json", ABFS_NODE_TIMELINE, 1},
    {"health", ABFS_NODE_HEALTH_FILE, 0},
    {"health.json", ABFS_NODE_HEALTH_FILE, 1},
    {"last_success", ABFS_NODE_HEALTH_FILE, 2},
};

/* A stream's directory holds these besides its setting files (stream_files.h). */
static const AbfsTreeName stream_names[] = {
    {"state.json", ABFS_NODE_STREAM_STATE, -1},
    {"last_sync", ABFS_NODE_STREAM_LAST_SYNC, -1},
    {"refresh", ABFS_NODE_STREAM_CONTROL, 0},
    {"clear", ABFS_NODE_STREAM_CONTROL, 1},
};

/* status/ holds summary besides one directory per health word (health.h). */
static const AbfsTreeName status_names[] = {
    {"summary", ABFS_NODE_STATUS_SUMMARY, -1},
};

/* The root's jobs/ holds these besides the job ids. */
static const AbfsTreeName wsjobs_names[] = {
    {"running", ABFS_NODE_WSJOBS_SET, 0},
    {"failed", ABFS_NODE_WSJOBS_SET, 1},
    {"running.log", ABFS_NODE_RUNNING_LOG, -1},
};

/* jobs/ holds these besides the job ids (latest only while there is a job). */
static const AbfsTreeName jobs_names[] = {
    {"url", ABFS_NODE_JOBS_URL, -1},
    {"latest", ABFS_NODE_JOBS_LATEST, -1},
};

/* A job directory holds these besides its files (jobs.h); reached by name, not listed. */
static const AbfsTreeName job_names[] = {
    {"attempts", ABFS_NODE_JOB_ATTEMPTS, -1},
};

const AbfsTreeName *abfs_tree_names(AbfsNodeKind dir, guint *n)
{
    switch (dir) {
    case ABFS_NODE_ROOT: *n = G_N_ELEMENTS(root_names); return root_names;
    case ABFS_NODE_CONNECTION: *n = G_N_ELEMENTS(connection_names); return connection_names;
    case ABFS_NODE_JOBS: *n = G_N_ELEMENTS(jobs_names); return jobs_names;
    case ABFS_NODE_JOB: *n = G_N_ELEMENTS(job_names); return job_names;
    case ABFS_NODE_STREAM: *n = G_N_ELEMENTS(stream_names); return stream_names;
    case ABFS_NODE_STATUS: *n = G_N_ELEMENTS(status_names); return status_names;
    case ABFS_NODE_WSJOBS: *n = G_N_ELEMENTS(wsjobs_names); return wsjobs_names;
    default: *n = 0; return NULL;
    }
}

static const AbfsTreeName *find_name(AbfsNodeKind dir, const char *name)
{
    guint n;
    const AbfsTreeName *names = abfs_tree_names(dir, &n);
    for (guint i = 0; i < n; i++)
        if (strcmp(names[i].name, name) == 0)
            return &names[i];
    return NULL;
}

static gboolean set_id(AbfsNode *node, const char *id, gsize len)
{
    if (len >= sizeof node->id)
        return FALSE;
    memcpy(node->id, id, len);
    node->id[len] = '\0';
    return abfs_id_is_safe(node->id);
}

static gboolean set_kind(AbfsNode *node, AbfsNodeKind kind)
{
    node->kind = kind;
    return TRUE;
}

static gboolean set_leaf(AbfsNode *node, AbfsNodeKind kind, const char *leaf)
{
    if (strlen(leaf) >= sizeof node->leaf)
        return FALSE;
    g_strlcpy(node->leaf, leaf, sizeof node->leaf);
    return set_kind(node, kind);
}

static gboolean all_digits(const char *s, gsize max)
{
    gsize len = strlen(s);
    if (len == 0 || len >= max)
        return FALSE;
    for (gsize i = 0; i < len; i++)
        if (!g_ascii_isdigit(s[i]))
            return FALSE;
    return TRUE;
}

/* The part of a path below /connections/<id>/jobs/<job>/attempts: rest[0..n). */
static gboolean parse_attempts(char **rest, guint n, AbfsNode *node)
{
    if (n == 0)
        return set_kind(node, ABFS_NODE_JOB_ATTEMPTS);
    if (!all_digits(rest[0], 6))
        return FALSE;
    node->file = (int)g_ascii_strtoll(rest[0], NULL, 10);
    if (n == 1)
        return set_kind(node, ABFS_NODE_JOB_ATTEMPT);
    if (n == 2 && abfs_attempt_file_exists(rest[1]) && strlen(rest[1]) < sizeof node->job_file) {
        g_strlcpy(node->job_file, rest[1], sizeof node->job_file);
        return set_kind(node, ABFS_NODE_JOB_ATTEMPT_FILE);
    }
    return FALSE;
}

/* A job id: digits only, short enough for node->job. */
static gboolean set_job(AbfsNode *node, const char *id)
{
    gsize len = strlen(id);
    if (len == 0 || len >= sizeof node->job)
        return FALSE;
    for (gsize i = 0; i < len; i++)
        if (!g_ascii_isdigit(id[i]))
            return FALSE;
    g_strlcpy(node->job, id, sizeof node->job);
    return TRUE;
}

/* /status/...: parts[0] is "status". */
static gboolean parse_status(char **parts, guint n, AbfsNode *node)
{
    if (n == 1)
        return set_kind(node, ABFS_NODE_STATUS);
    const AbfsTreeName *fixed = n == 2 ? find_name(ABFS_NODE_STATUS, parts[1]) : NULL;
    if (fixed)
        return set_kind(node, fixed->kind);
    const char *const *words = abfs_health_words();
    for (int i = 0; words[i]; i++)
        if (strcmp(words[i], parts[1]) == 0) {
            node->file = i;
            return n == 2 ? set_kind(node, ABFS_NODE_STATUS_DIR)
                          : n == 3 && set_leaf(node, ABFS_NODE_STATUS_LINK, parts[2]);
        }
    return FALSE;
}

/* /jobs/... at the root: parts[0] is "jobs". */
static gboolean parse_wsjobs(char **parts, guint n, AbfsNode *node)
{
    if (n == 1)
        return set_kind(node, ABFS_NODE_WSJOBS);
    const AbfsTreeName *fixed = find_name(ABFS_NODE_WSJOBS, parts[1]);
    if (fixed) {
        node->file = fixed->file;
        if (n == 2)
            return set_kind(node, fixed->kind);
        return n == 3 && fixed->kind == ABFS_NODE_WSJOBS_SET && set_job(node, parts[2]) &&
               set_kind(node, ABFS_NODE_WSJOBS_SET_LINK);
    }
    return n == 2 && set_job(node, parts[1]) && set_kind(node, ABFS_NODE_WSJOBS_LINK);
}

/* The part of a path below /connections/<id>/jobs: rest[0..n). */
static gboolean parse_jobs(char **rest, guint n, AbfsNode *node)
{
    if (n == 0)
        return set_kind(node, ABFS_NODE_JOBS);
    const AbfsTreeName *fixed = n == 1 ? find_name(ABFS_NODE_JOBS, rest[0]) : NULL;
    if (fixed)
        return set_kind(node, fixed->kind);
    if (!all_digits(rest[0], sizeof node->job))
        return FALSE;
    g_strlcpy(node->job, rest[0], sizeof node->job);
    if (n == 1)
        return set_kind(node, ABFS_NODE_JOB);
    const AbfsTreeName *in_job = find_name(ABFS_NODE_JOB, rest[1]);
    if (in_job && in_job->kind == ABFS_NODE_JOB_ATTEMPTS)
        return parse_attempts(rest + 2, n - 2, node);
    if (n == 2 && abfs_job_file_exists(rest[1]) && strlen(rest[1]) < sizeof node->job_file) {
        g_strlcpy(node->job_file, rest[1], sizeof node->job_file);
        return set_kind(node, ABFS_NODE_JOB_FILE);
    }
    return FALSE;
}

/* /connections/<id>/streams.d/...: rest[0..n) after streams.d. */
static gboolean parse_streams(char **rest, guint n, AbfsNode *node)
{
    if (n == 0)
        return set_kind(node, ABFS_NODE_STREAMS);
    if (!*rest[0] || strlen(rest[0]) >= sizeof node->leaf)
        return FALSE;
    g_strlcpy(node->leaf, rest[0], sizeof node->leaf);
    if (n == 1)
        return set_kind(node, ABFS_NODE_STREAM);
    if (n != 2)
        return FALSE;
    const AbfsTreeName *fixed = find_name(ABFS_NODE_STREAM, rest[1]);
    if (fixed) {
        node->file = fixed->file;
        return set_kind(node, fixed->kind);
    }
    node->file = abfs_stream_setting_index(rest[1]);
    return node->file >= 0 && set_kind(node, ABFS_NODE_STREAM_SETTING);
}

/* /connections/<id>/...: rest[0..n) after the id. */
static gboolean parse_connection(char **rest, guint n, AbfsNode *node)
{
    if (n == 0)
        return set_kind(node, ABFS_NODE_CONNECTION);
    if (strcmp(rest[0], "jobs") == 0)
        return parse_jobs(rest + 1, n - 1, node);
    if (strcmp(rest[0], "streams.d") == 0)
        return parse_streams(rest + 1, n - 1, node);
    if (n != 1)
        return FALSE;
    const AbfsTreeName *fixed = find_name(ABFS_NODE_CONNECTION, rest[0]);
    if (fixed) {
        node->file = fixed->file;
        return set_kind(node, fixed->kind);
    }
    node->file = abfs_connection_file_index(rest[0]);
    /* any other name is an editor's or a tool's temporary file */
    g_snprintf(node->parent, sizeof node->parent, "/connections/%s", node->id);
    return set_kind(node, node->file >= 0 ? ABFS_NODE_CONNECTION_FILE : ABFS_NODE_SCRATCH);
}

/* /sources/<id>/... and /destinations/<id>/...: parts[0] names the kind, parts[1] the id. */
static gboolean parse_actor(char **parts, guint n, AbfsNode *node)
{
    node->file = parts[0][0] == 's' ? ABFS_ACTOR_SOURCE : ABFS_ACTOR_DESTINATION;
    if (n == 1)
        return set_kind(node, ABFS_NODE_ACTORS);
    if (!set_id(node, parts[1], strlen(parts[1])))
        return FALSE;
    if (n == 2)
        return set_kind(node, ABFS_NODE_ACTOR);
    if (n == 3 && strcmp(parts[2], "connections") == 0)
        return set_kind(node, ABFS_NODE_ACTOR_CONNECTIONS);
    if (n == 3 && g_strv_contains(abfs_actor_files(), parts[2]))
        return set_leaf(node, ABFS_NODE_ACTOR_FILE, parts[2]);
    if (n == 3) { /* an editor's temporary file beside `name` */
        g_snprintf(node->parent, sizeof node->parent, "/%s/%s", parts[0], node->id);
        return set_kind(node, ABFS_NODE_SCRATCH);
    }
    if (n == 4 && strcmp(parts[2], "connections") == 0 && abfs_id_is_safe(parts[3]) && strlen(parts[3]) < 40)
        return set_leaf(node, ABFS_NODE_ACTOR_CONNECTION_LINK, parts[3]);
    return FALSE;
}

/* /settings/...: <id>.json is the connection's settings.json; another <name>.json is a draft of a
 * new connection (tools' temporary files start with a dot or do not end with .json); any other
 * name a scratch file. */
static gboolean parse_settings(char **parts, guint n, AbfsNode *node)
{
    if (n == 1)
        return set_kind(node, ABFS_NODE_SETTINGS);
    if (n != 2)
        return FALSE;
    gsize len = strlen(parts[1]);
    if (strcmp(parts[1], ".last-created") == 0)
        return set_kind(node, ABFS_NODE_LAST_CREATED);
    if (g_str_has_suffix(parts[1], ".json") && set_id(node, parts[1], len - 5)) {
        node->file = abfs_connection_file_index("settings.json");
        return set_kind(node, ABFS_NODE_CONNECTION_FILE);
    }
    memset(node->id, 0, sizeof node->id);
    g_strlcpy(node->parent, "/settings", sizeof node->parent);
    if (len > 5 && g_str_has_suffix(parts[1], ".json") && parts[1][0] != '.')
        return set_leaf(node, ABFS_NODE_DRAFT, parts[1]);
    return set_kind(node, ABFS_NODE_SCRATCH);
}

/* /tags/<name>/...: parts[1] is the tag's (listed) name. */
static gboolean parse_tags(char **parts, guint n, AbfsNode *node)
{
    if (n == 1)
        return set_kind(node, ABFS_NODE_TAGS);
    if (!*parts[1] || !set_leaf(node, ABFS_NODE_TAG, parts[1]))
        return FALSE;
    if (n == 2)
        return TRUE;
    if (n == 3 && strcmp(parts[2], "color") == 0)
        return set_kind(node, ABFS_NODE_TAG_COLOR);
    if (strcmp(parts[2], "connections") != 0)
        return FALSE;
    if (n == 3)
        return set_kind(node, ABFS_NODE_TAG_CONNECTIONS);
    if (n == 4 && *parts[3] && strlen(parts[3]) < sizeof node->sub) {
        g_strlcpy(node->sub, parts[3], sizeof node->sub);
        return set_kind(node, ABFS_NODE_TAG_CONNECTION_LINK);
    }
    return FALSE;
}

gboolean abfs_tree_parse(const char *path, AbfsNode *node)
{
    memset(node, 0, sizeof *node);
    node->file = -1;
    node->path = path;
    if (strcmp(path, "/") == 0)
        return set_kind(node, ABFS_NODE_ROOT);
    char **parts = g_strsplit(path + 1, "/", 9);
    guint n = g_strv_length(parts);
    const AbfsTreeName *top = n >= 1 ? find_name(ABFS_NODE_ROOT, parts[0]) : NULL;
    for (guint i = 0; !top && n >= 1 && i < G_N_ELEMENTS(root_streams); i++)
        if (strcmp(root_streams[i].name, parts[0]) == 0)
            top = &root_streams[i];
    gboolean ok = FALSE;
    if (!top)
        ok = FALSE;
    else if (top->kind == ABFS_NODE_CONNECTIONS)
        ok = n == 1 ? set_kind(node, ABFS_NODE_CONNECTIONS)
                    : set_id(node, parts[1], strlen(parts[1])) && parse_connection(parts + 2, n - 2, node);
    else if (top->kind == ABFS_NODE_SETTINGS)
        ok = parse_settings(parts, n, node);
    else if (top->kind == ABFS_NODE_ACTORS)
        ok = parse_actor(parts, n, node);
    else if (top->kind == ABFS_NODE_TAGS)
        ok = parse_tags(parts, n, node);
    else if (top->kind == ABFS_NODE_STAGING && n == 2) { /* anything copied in is a scratch file */
        g_strlcpy(node->parent, "/staging", sizeof node->parent);
        ok = set_kind(node, ABFS_NODE_SCRATCH);
    }
    else if (top->kind == ABFS_NODE_STATUS)
        ok = parse_status(parts, n, node);
    else if (top->kind == ABFS_NODE_WSJOBS)
        ok = parse_wsjobs(parts, n, node);
    else if (top->kind == ABFS_NODE_BY_NAME)
        ok = n == 1 ? set_kind(node, ABFS_NODE_BY_NAME) : n == 2 && set_leaf(node, ABFS_NODE_BY_NAME_LINK, parts[1]);
    else if (n == 1) {
        node->file = top->file;
        ok = set_kind(node, top->kind);
    }
    g_strfreev(parts);
    return ok;
}

char *abfs_tree_settings_name(const char *connection_id)
{
    return g_strconcat(connection_id, ".json", NULL);
}
