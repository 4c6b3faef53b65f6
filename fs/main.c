/* main.c — airbytefs's command line: options, configuration, the API check made before the
 * daemon detaches (so bad credentials fail on the terminal), and the FUSE session. */
#include "fs.h"
#include "node.h"
#include <fuse_lowlevel.h>

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <malloc.h>
#include <arpa/inet.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "config.h"
#include "error.h"
#include "log.h"
#include "pagecache.h"
#include "replace.h"
#include "resources.h"
#include "scratch.h"
#include "health.h"
#include "init_dirops.h"
#include "runlog.h"
#include "wsjobs.h"

#define UNSET_UINT G_MAXUINT

typedef struct {
    char *api_url;
    char *config_api_url;
    char *web_url;
    char *workspace;
    char *config_file;
    char *client_id;
    char *ca_file;
    unsigned cache_ttl;
    unsigned timeout;
    unsigned connect_timeout;
    unsigned jobs;
    unsigned wait_timeout;
    unsigned events_interval;
    unsigned list_parallel;
    unsigned file_timeout;
    int insecure;
    char *client_secret_file;
    char *bearer_token_file;
    unsigned max_body_mb;
    int allow_delete;
    int delete_source;
    int delete_destination;
    char *source; /* "airbyte:<workspace>", as mount(8) passes it */
    unsigned max_threads;
    int kernel_cache; /* -o kernel_cache or auto_cache (kept for libfuse too) */
    int secret_on_command_line;
} Options;

/* libfuse 3.14 serves with at most 10 threads by default; readers of a job's `wait` hold one each
 * for as long as the job runs, so the default is larger and a quarter of it never waits. */
#define DEFAULT_MAX_THREADS 64
/* jobs/running.log: at most 16 MiB; started afresh once nobody read it for a minute; a job that
 * ended is read for 3 s more (its last lines, past the jobs cache's 1 s TTL). */
#define RUNNING_LOG_MAX_BYTES (16u * 1024 * 1024)
#define RUNNING_LOG_IDLE_US (60 * G_USEC_PER_SEC)
#define RUNNING_LOG_LINGER_US (3 * G_USEC_PER_SEC)

#define OPT(t, p)                                                                                                      \
    {                                                                                                                  \
        t, offsetof(Options, p), 1                                                                                     \
    }
static const struct fuse_opt option_spec[] = {
    OPT("api_url=%s", api_url),
    OPT("config_api_url=%s", config_api_url),
    OPT("web_url=%s", web_url),
    OPT("workspace=%s", workspace),
    OPT("config=%s", config_file),
    OPT("client_id=%s", client_id),
    OPT("ca_file=%s", ca_file),
    OPT("cache_ttl=%u", cache_ttl),
    OPT("timeout=%u", timeout),
    OPT("connect_timeout=%u", connect_timeout),
    OPT("jobs=%u", jobs),
    OPT("wait_timeout=%u", wait_timeout),
    OPT("events_interval=%u", events_interval),
    OPT("list_parallel=%u", list_parallel),
    OPT("file_timeout=%u", file_timeout),
    OPT("insecure", insecure),
    OPT("client_secret_file=%s", client_secret_file),
    OPT("bearer_token_file=%s", bearer_token_file),
    OPT("max_body_mb=%u", max_body_mb),
    OPT("allow_delete", allow_delete),
    OPT("delete_source", delete_source),
    OPT("delete_destination", delete_destination),
    OPT("max_threads=%u", max_threads),
    FUSE_OPT_END,
};

/* Words that only mean something to mount(8) or fstab: accepted and ignored. */
static gboolean is_fstab_word(const char *arg)
{
    static const char *const words[] = {"_netdev", "noauto", "auto",     "user", "users", "nouser", "owner",
                                        "group",   "nofail", "defaults", "rw",   "nodev", "nosuid"};
    for (gsize i = 0; i < G_N_ELEMENTS(words); i++)
        if (strcmp(arg, words[i]) == 0)
            return TRUE;
    return g_str_has_prefix(arg, "x-systemd.") || g_str_has_prefix(arg, "comment=") || g_str_has_prefix(arg, "x-");
}

static int option_proc(void *data, const char *arg, int key, struct fuse_args *out)
{
    Options *opts = data;
    (void)out;
    if (key == FUSE_OPT_KEY_OPT && is_fstab_word(arg))
        return 0;
    /* A secret given as an option would reach the process list, and libfuse would print it back
     * in "unknown option": refuse it here without repeating it. */
    if (key == FUSE_OPT_KEY_OPT &&
        (g_str_has_prefix(arg, "client_secret=") || g_str_has_prefix(arg, "bearer_token="))) {
        fprintf(stderr,
                "airbytefs: -o %.*s=... refused: a secret never goes on the command line (use the "
                "environment, the config file, or -o %.*s_file=FILE)\n",
                (int)strcspn(arg, "="), arg, (int)strcspn(arg, "="), arg);
        opts->secret_on_command_line = 1;
        return 0;
    }
    if (key == FUSE_OPT_KEY_OPT && (strcmp(arg, "kernel_cache") == 0 || strcmp(arg, "auto_cache") == 0))
        opts->kernel_cache = 1;
    /* mount(8) and fstab pass the source first: `airbytefs airbyte:<workspace> MOUNTPOINT`. */
    if (key == FUSE_OPT_KEY_NONOPT && !opts->source && g_str_has_prefix(arg, "airbyte:")) {
        opts->source = g_strdup(arg);
        return 0;
    }
    return 1;
}

static void usage(const char *prog)
{
    printf("usage: %s [options] [airbyte:WORKSPACE] MOUNTPOINT\n\n"
           "Mounts an Airbyte workspace: connections are directories, their settings are files.\n\n"
           "airbytefs options:\n"
           "    -o workspace=ID          workspace to mount (or AIRBYTE_CLOUD_WORKSPACE_ID)\n"
           "    -o api_url=URL           public API root (or AIRBYTE_CLOUD_API_URL;\n"
           "                             default %s)\n"
           "    -o config_api_url=URL    Config API root (or AIRBYTE_CLOUD_CONFIG_API_URL;\n"
           "                             default: derived from api_url as PyAirbyte does)\n"
           "    -o web_url=URL           web UI root for url files (default: derived)\n"
           "    -o config=FILE           key file with [airbytefs] settings and secrets\n"
           "                             (default ~/.config/airbytefs/config if present)\n"
           "    -o client_id=ID          client id (the secret comes from the environment\n"
           "                             or the config file, never the command line)\n"
           "    -o ca_file=FILE          CA bundle for TLS verification\n"
           "    -o insecure              turn TLS verification off (prints a warning)\n"
           "    -o client_secret_file=FILE, bearer_token_file=FILE\n"
           "                             read the secret from a file (mode 0600)\n"
           "    -o max_body_mb=N         refuse API answers larger than N MiB (default 64)\n"
           "    -o cache_ttl=SECONDS     how long a listing is trusted (default 30)\n"
           "    -o timeout=SECONDS       bound on one API operation (default 60)\n"
           "    -o connect_timeout=SECONDS  bound on connecting (default 10)\n"
           "    -o jobs=N                how many recent jobs jobs/ shows (default 25, max 100)\n"
           "    -o wait_timeout=SECONDS  bound on reading a job's wait file (default 3600)\n"
           "    -o events_interval=SECONDS  how often the API is polled while events or\n"
           "                             events.json is open (default 10, at least 1)\n"
           "    -o list_parallel=N       list pages in flight at once (default 16)\n"
           "    -o file_timeout=SECONDS  how long the kernel keeps the names and attributes of\n"
           "                             a connection's files (default 10; 0: attr_timeout)\n"
           "    -o max_threads=N         FUSE worker threads (default %d); readers of a job's\n"
           "                             wait may hold all but a quarter of them (then EAGAIN)\n"
           "    -o allow_delete          rmdir connections/ID deletes the connection\n"
           "    -o delete_source         ... and its source, unless another connection uses it\n"
           "    -o delete_destination    ... and its destination, likewise\n"
           "\nCredentials: AIRBYTE_CLOUD_CLIENT_ID + AIRBYTE_CLOUD_CLIENT_SECRET, or\n"
           "AIRBYTE_CLOUD_BEARER_TOKEN (or the same keys in the config file).\n\n",
           prog, ABFS_CLOUD_API_ROOT, DEFAULT_MAX_THREADS);
}

static void free_options(Options *o)
{
    g_free(o->api_url);
    g_free(o->config_api_url);
    g_free(o->web_url);
    g_free(o->workspace);
    g_free(o->config_file);
    g_free(o->client_id);
    g_free(o->ca_file);
    g_free(o->source);
    g_free(o->client_secret_file);
    g_free(o->bearer_token_file);
}

/* Builds the configuration: defaults < config file < environment < options. */
static AbfsConfig *build_config(const Options *o, GError **error)
{
    AbfsConfig *cfg = abfs_config_new();
    char *default_file = g_build_filename(g_get_user_config_dir(), "airbytefs", "config", NULL);
    const char *file = o->config_file                                  ? o->config_file
                       : g_file_test(default_file, G_FILE_TEST_EXISTS) ? default_file
                                                                       : NULL;
    gboolean ok = !file || abfs_config_load_file(cfg, file, error);
    g_free(default_file);
    if (!ok) {
        abfs_config_free(cfg);
        return NULL;
    }
    abfs_config_load_env(cfg);
    if (o->api_url)
        abfs_config_set(&cfg->api_root, o->api_url);
    if (o->config_api_url)
        abfs_config_set(&cfg->config_api_root, o->config_api_url);
    if (o->web_url)
        abfs_config_set(&cfg->web_root, o->web_url);
    if (o->source && o->source[strlen("airbyte:")])
        abfs_config_set(&cfg->workspace_id, o->source + strlen("airbyte:"));
    if (o->workspace)
        abfs_config_set(&cfg->workspace_id, o->workspace);
    if (o->client_id) {
        abfs_config_set(&cfg->client_id, o->client_id);
        abfs_config_set(&cfg->bearer_token, NULL);
    }
    if (o->ca_file)
        abfs_config_set(&cfg->ca_file, o->ca_file);
    if (o->client_secret_file && o->bearer_token_file) {
        g_set_error(error, ABFS_ERROR, EINVAL,
                    "both client_secret_file and bearer_token_file were given; use one of them");
        goto fail;
    }
    if (o->client_secret_file) {
        abfs_config_set(&cfg->bearer_token, NULL);
        if (!abfs_config_load_secret_file(&cfg->client_secret, o->client_secret_file, error))
            goto fail;
    }
    if (o->bearer_token_file) {
        abfs_config_set(&cfg->client_id, NULL);
        abfs_config_set(&cfg->client_secret, NULL);
        if (!abfs_config_load_secret_file(&cfg->bearer_token, o->bearer_token_file, error))
            goto fail;
    }
    cfg->insecure = o->insecure;
    if (o->max_body_mb > 0)
        cfg->max_body_bytes = (gsize)o->max_body_mb * 1024 * 1024;
    if (o->cache_ttl != UNSET_UINT)
        cfg->cache_ttl_s = o->cache_ttl;
    if (o->timeout != UNSET_UINT && o->timeout > 0)
        cfg->request_timeout_s = o->timeout;
    if (o->connect_timeout != UNSET_UINT && o->connect_timeout > 0)
        cfg->connect_timeout_s = o->connect_timeout;
    if (!abfs_config_finish(cfg, error))
        goto fail;
    return cfg;
fail:
    abfs_config_free(cfg);
    return NULL;
}

/* Set once the FUSE session exists: before that, libfuse's per-thread context is not set up. */
static gboolean fuse_ready;

/* Whether the FUSE request this thread serves was interrupted (Ctrl-C), or this is the events
 * poller and the session is ending: the HTTP client's cancel check. FALSE outside requests. */
static gboolean request_interrupted(void)
{
    if (abfs_events_thread_stopping())
        return TRUE;
    if (!__atomic_load_n(&fuse_ready, __ATOMIC_ACQUIRE))
        return FALSE;
    struct fuse_context *ctx = fuse_get_context();
    return ctx && ctx->fuse && fuse_interrupted() != 0;
}

static struct fuse *the_fuse; /* set with fuse_ready */

gboolean abfs_fs_wait_should_stop(void)
{
    return request_interrupted() ||
           (__atomic_load_n(&fuse_ready, __ATOMIC_ACQUIRE) && fuse_session_exited(fuse_get_session(the_fuse)));
}

/* How many readers of `wait` may block at once: all threads but a quarter (at least 2), at least 1. */
/* The jobs' end hook: a connection's job ended, so its state (and catalog), each stream's state
 * and last sync, and its timeline may have changed. */
static void forget_artifacts(const char *connection_id, gpointer data)
{
    AbfsFs *fs = data;
    abfs_artifacts_forget(fs->artifacts, connection_id);
    abfs_streams_forget(fs->streams, connection_id);
    abfs_timeline_forget(fs->timeline, connection_id);
    char *path = g_strdup_printf("/connections/%s/state.json", connection_id);
    abfs_invalidate_later(path);
    g_free(path);
}

static guint max_waiters(guint max_threads)
{
    guint reserve = MAX(2, max_threads / 4);
    return max_threads > reserve ? max_threads - reserve : 1;
}

/* Whether a URL's host is this machine: localhost (RFC 6761 names) or a loopback address. */
static gboolean host_is_loopback(const char *host)
{
    if (g_ascii_strcasecmp(host, "localhost") == 0 || g_ascii_strcasecmp(host, "localhost.") == 0 ||
        g_str_has_suffix(host, ".localhost") || g_str_has_suffix(host, ".localhost."))
        return TRUE;
    struct in_addr v4;
    struct in6_addr v6;
    if (inet_pton(AF_INET, host, &v4) == 1)
        return (ntohl(v4.s_addr) >> 24) == 127;
    return inet_pton(AF_INET6, host, &v6) == 1 &&
           (IN6_IS_ADDR_LOOPBACK(&v6) || (IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127));
}

/* Plain http to another host sends the credentials and every setting readable on the way. */
static void warn_if_plain_http(const char *what, const char *url)
{
    GUri *uri = url ? g_uri_parse(url, G_URI_FLAGS_NONE, NULL) : NULL;
    if (uri && g_ascii_strcasecmp(g_uri_get_scheme(uri), "http") == 0 && g_uri_get_host(uri) &&
        !host_is_loopback(g_uri_get_host(uri)))
        fprintf(stderr,
                "airbytefs: warning: %s %s is plain http to %s, not this machine: the token and "
                "every setting cross the network unencrypted (use https)\n",
                what, url, g_uri_get_host(uri));
    if (uri)
        g_uri_unref(uri);
}

/* The topmost mount on mountpoint, from /proc/self/mountinfo: whether it is airbytefs's, and its
 * device minor (the name of its directory in /sys/fs/fuse/connections). */
static gboolean airbytefs_mount_at(const char *mountpoint, guint *minor)
{
    char *text = NULL;
    gboolean found = FALSE;
    if (!g_file_get_contents("/proc/self/mountinfo", &text, NULL, NULL))
        return FALSE;
    char **lines = g_strsplit(text, "\n", -1);
    for (char **l = lines; *l; l++) {
        char **f = g_strsplit(*l, " ", -1);
        const char *sep = strstr(*l, " - ");
        if (g_strv_length(f) > 5 && sep) {
            char *point = g_strcompress(f[4]); /* octal escapes: \040 is a space */
            if (strcmp(point, mountpoint) == 0) {
                found = g_str_has_prefix(sep, " - fuse.airbytefs ");
                const char *colon = strchr(f[2], ':');
                if (found && minor && colon)
                    *minor = (guint)g_ascii_strtoull(colon + 1, NULL, 10);
            }
            g_free(point);
        }
        g_strfreev(f);
    }
    g_strfreev(lines);
    g_free(text);
    return found;
}

/* A daemon killed with -9 leaves its mount point answering ENOTCONN, and mounting on it fails.
 * An airbytefs mount in that state is unmounted lazily first, as sshfs users expect. */
static void unmount_if_dead(const char *mountpoint)
{
    struct statvfs st; /* always a request to the daemon: a stat may be answered from the cache */
    if (statvfs(mountpoint, &st) == 0 || errno != ENOTCONN || !airbytefs_mount_at(mountpoint, NULL))
        return;
    gboolean ok;
    if (geteuid() == 0) {
        ok = umount2(mountpoint, MNT_DETACH) == 0;
    } else {
        char *argv[] = {"fusermount3", "-u", "-z", "--", (char *)mountpoint, NULL};
        int wait_status = 0;
        ok = g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, NULL,
                          &wait_status, NULL) &&
             g_spawn_check_wait_status(wait_status, NULL);
    }
    if (ok)
        fprintf(stderr, "airbytefs: %s was a dead airbytefs mount (its daemon is gone): unmounted it\n", mountpoint);
}

/* The last resort when a thread is stuck in the kernel on this connection: abort it through the
 * fuse control filesystem (if mounted), which fails every request still waiting. */
static void abort_connection(guint minor)
{
    char *path = g_strdup_printf("/sys/fs/fuse/connections/%u/abort", minor);
    gboolean ok = minor && g_file_set_contents(path, "1", 1, NULL);
    g_warning("a thread is stuck in the kernel at exit; %s", ok ? "aborted the connection" : "exiting without it");
    g_free(path);
}

int main(int argc, char *argv[])
{
    struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
    struct fuse_cmdline_opts cmd = {0};
    Options opts = {.cache_ttl = UNSET_UINT,
                    .timeout = UNSET_UINT,
                    .connect_timeout = UNSET_UINT,
                    .jobs = 25,
                    .wait_timeout = 3600,
                    .events_interval = 10,
                    .list_parallel = 16,
                    .file_timeout = ABFS_PAGECACHE_FILE_TIMEOUT,
                    .max_threads = DEFAULT_MAX_THREADS};
    int status = 1;
    AbfsFs fs = {0};
    struct fuse *fuse = NULL;
    GError *err = NULL;
    guint minor = 0;

    /* The daemon's memory holds the API credentials: no core dumps, no ptrace by the same user.
     * (Not under AddressSanitizer: its leak checker ptraces the process at exit, and ASan turns
     * core dumps off by itself.) */
#ifndef __SANITIZE_ADDRESS__
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
#endif
    if (fuse_opt_parse(&args, &opts, option_spec, option_proc) == -1 || opts.secret_on_command_line)
        goto out_args;
    if (fuse_parse_cmdline(&args, &cmd) != 0)
        goto out_args;
    if (cmd.show_version) {
        printf("airbytefs version %s\nFUSE library version %s\n", ABFS_VERSION, fuse_pkgversion());
        fflush(stdout); /* before libfuse's own lines */
        fuse_lowlevel_version();
        status = 0;
        goto out_args;
    }
    if (cmd.show_help) {
        usage(argv[0]);
        printf("FUSE options:\n");
        fuse_cmdline_help();
        fuse_lib_help(&args);
        status = 0;
        goto out_args;
    }
    if (!cmd.mountpoint) {
        fprintf(stderr, "airbytefs: no mount point given (see %s --help)\n", argv[0]);
        goto out_args;
    }

    /* Every FUSE worker thread would get its own malloc arena; the memory the daemon holds is small
     * and shared, so two arenas keep the resident size close to what is live. */
    mallopt(M_ARENA_MAX, 2);
    abfs_log_init(cmd.debug);
    abfs_http_global_init();
    AbfsConfig *cfg = build_config(&opts, &err);
    if (!cfg) {
        fprintf(stderr, "airbytefs: %s\n", err->message);
        goto out_http;
    }
    warn_if_plain_http("api_url", cfg->api_root);
    if (cfg->config_api_root && g_strcmp0(cfg->config_api_root, cfg->api_root) != 0)
        warn_if_plain_http("config_api_url", cfg->config_api_root);
    if (cfg->insecure)
        fprintf(stderr, "airbytefs: warning: TLS verification is OFF (-o insecure): anyone on the network path "
                        "can read and change what airbytefs sends, credentials included\n");
    fs.client = abfs_client_new(cfg, cmd.debug, request_interrupted);
    fs.cfg = abfs_client_config(fs.client);
    /* Contact the API before detaching: a wrong URL, bad credentials or an unknown workspace
     * must fail here, on the terminal, with nothing mounted. */
    fs.workspace = abfs_workspace_get(fs.client, fs.cfg->workspace_id, &err);
    if (!fs.workspace) {
        fprintf(stderr, "airbytefs: cannot mount %s: %s\n", fs.cfg->api_root, err->message);
        goto out_client;
    }
    fs.store = abfs_store_new(fs.client, fs.cfg->workspace_id, fs.cfg->web_root, fs.cfg->cache_ttl_s * 1000);
    abfs_store_set_parallel(fs.store, opts.list_parallel);
    abfs_store_set_change_hook(fs.store, abfs_fs_on_change, &fs);
    abfs_store_set_stale_hook(fs.store, abfs_fs_on_stale, &fs);
    fs.errlog = abfs_errlog_new(100);
    fs.jobs = abfs_jobs_new(fs.client, opts.jobs, 1000);
    fs.health = abfs_health_new(fs.client, fs.store, fs.cfg->cache_ttl_s * 1000);
    fs.wsjobs = abfs_wsjobs_new(fs.client, fs.jobs, fs.cfg->workspace_id, opts.jobs, 1000);
    fs.runlog = abfs_runlog_new(RUNNING_LOG_MAX_BYTES, RUNNING_LOG_IDLE_US, RUNNING_LOG_LINGER_US);
    fs.wait_timeout_s = opts.wait_timeout;
    if (opts.max_threads == 0 || opts.max_threads > 100000)
        opts.max_threads = DEFAULT_MAX_THREADS;
    fs.max_waiters = max_waiters(opts.max_threads);
    fs.actors = abfs_actors_new(fs.client, fs.cfg->workspace_id, fs.cfg->web_root, fs.cfg->cache_ttl_s * 1000);
    fs.tags = abfs_tags_new(fs.client, fs.cfg->workspace_id, fs.cfg->cache_ttl_s * 1000);
    abfs_store_set_tags(fs.store, fs.tags);
    fs.artifacts = abfs_artifacts_new(fs.client, fs.cfg->cache_ttl_s * 1000);
    fs.streams = abfs_streams_new(fs.client, fs.artifacts, fs.cfg->cache_ttl_s * 1000);
    fs.timeline = abfs_timeline_new(fs.client, fs.cfg->cache_ttl_s * 1000);
    abfs_jobs_set_end_hook(fs.jobs, forget_artifacts, &fs);
    fs.events = abfs_events_new(fs.client, fs.store, fs.cfg->workspace_id, MAX(opts.events_interval, 1) * 1000);
    abfs_events_set_failure_hook(fs.events, abfs_fs_on_events_failure, &fs);
    fs.allow_delete = opts.allow_delete;
    fs.delete_source = opts.delete_source;
    fs.delete_destination = opts.delete_destination;
    abfs_scratch_init();
    fs.created = g_ptr_array_new_with_free_func(g_free);
    fs.uid = getuid();
    fs.gid = getgid();
    fs.mount_time = g_get_real_time() / G_USEC_PER_SEC;

    char *mount_opts =
        g_strdup_printf("-ofsname=airbyte:%s,subtype=airbytefs,default_permissions", fs.cfg->workspace_id);
    fuse_opt_add_arg(&args, mount_opts);
    g_free(mount_opts);
    /* Values change remotely: the kernel trusts names and attributes for a second (changes found
     * by a refresh are invalidated explicitly) and drops a file's pages on open. These come first
     * so the user's -o entry_timeout=, attr_timeout=, kernel_cache win. */
    fuse_opt_insert_arg(&args, 1, "-oentry_timeout=1,attr_timeout=1,negative_timeout=0");

    abfs_pagecache_set_file_timeout(opts.file_timeout);
    fuse = fuse_new(&args, abfs_replace_wrap(abfs_pagecache_wrap(abfs_fs_operations(), opts.kernel_cache)),
                    sizeof(struct fuse_operations), &fs);
    if (!fuse)
        goto out_store;
    the_fuse = fuse;
    __atomic_store_n(&fuse_ready, TRUE, __ATOMIC_RELEASE);
    unmount_if_dead(cmd.mountpoint);
    if (fuse_mount(fuse, cmd.mountpoint) != 0)
        goto out_fuse;
    int dirops = abfs_init_dirops_install(fuse_get_session(fuse));
    if (dirops != 0) /* lookups in one directory stay one at a time; everything else works */
        g_warning("cannot ask the kernel for parallel lookups: %s", g_strerror(-dirops));
    airbytefs_mount_at(cmd.mountpoint, &minor);
    if (fuse_daemonize(cmd.foreground) != 0)
        goto out_unmount;
    if (!cmd.foreground)
        abfs_log_use_syslog();
    if (fuse_set_signal_handlers(fuse_get_session(fuse)) != 0)
        goto out_unmount;

    abfs_invalidator_start(fuse, &fs); /* threads only after fuse_daemonize() forked */
    g_message("mounted workspace %s of %s on %s", fs.cfg->workspace_id, fs.cfg->api_root, cmd.mountpoint);
    struct fuse_loop_config *loop = fuse_loop_cfg_create();
    fuse_loop_cfg_set_clone_fd(loop, cmd.clone_fd);
    if (cmd.max_idle_threads != UINT_MAX) /* unset: keep libfuse's default */
        fuse_loop_cfg_set_idle_threads(loop, cmd.max_idle_threads);
    fuse_loop_cfg_set_max_threads(loop, opts.max_threads);
    int rc = fuse_loop_mt(fuse, loop);
    fuse_loop_cfg_destroy(loop);
    /* The loop ends with the signal's number after SIGTERM or SIGINT, and with -ECONNABORTED (or
     * -ENODEV) when an unmount tears the connection down while a worker is reading a request:
     * all of them are the session ending as asked. */
    status = rc >= 0 || rc == -ECONNABORTED || rc == -ENODEV ? 0 : 1;
    /* Nobody answers requests any more. Closing the session's fd (fuse_unmount) makes the kernel
     * fail every request still waiting with ENOTCONN, but only once no thread is inside a call on
     * that fd: stop the invalidation thread's notifications first. */
    fuse_remove_signal_handlers(fuse_get_session(fuse));
    abfs_fs_streams_quiesce(); /* no poll notification of `events` either */
    if (!abfs_invalidator_quiesce(2000))
        abort_connection(minor);
    fuse_unmount(fuse);
    if (!abfs_invalidator_stop(2000))
        goto out_args; /* a thread still runs: free nothing it may use */
    if (!abfs_events_stop(fs.events, 2000)) {
        g_warning("the events poller did not stop within 2 s; exiting without it");
        goto out_args;
    }
    abfs_handles_cleanup();
    abfs_pagecache_cleanup();
    if (cmd.debug) {
        guint64 requests, bytes, millis;
        abfs_http_totals(abfs_client_http(fs.client), &requests, &bytes, &millis);
        g_message("api totals: %" G_GUINT64_FORMAT " requests, %" G_GUINT64_FORMAT " bytes, %" G_GUINT64_FORMAT " ms",
                  requests, bytes, millis);
    }
    goto out_fuse;
out_unmount:
    fuse_unmount(fuse);
out_fuse:
    fuse_destroy(fuse);
out_store:
    if (fs.events && abfs_events_stop(fs.events, 2000))
        abfs_events_free(fs.events);
    abfs_runlog_free(fs.runlog);
    abfs_wsjobs_free(fs.wsjobs);
    abfs_health_free(fs.health);
    abfs_store_free(fs.store);
    abfs_errlog_free(fs.errlog);
    abfs_jobs_free(fs.jobs);
    abfs_streams_free(fs.streams);
    abfs_timeline_free(fs.timeline);
    abfs_actors_free(fs.actors);
    abfs_tags_free(fs.tags);
    abfs_plan_state_cleanup();
    if (fs.created)
        g_ptr_array_free(fs.created, TRUE);
    abfs_artifacts_free(fs.artifacts);
    if (fs.errlog)
        abfs_scratch_cleanup();
    json_object_put(fs.workspace);
out_client:
    abfs_client_free(fs.client);
out_http:
    abfs_http_global_cleanup();
    g_clear_error(&err);
out_args:
    free(cmd.mountpoint);
    free_options(&opts);
    fuse_opt_free_args(&args);
    return status;
}
