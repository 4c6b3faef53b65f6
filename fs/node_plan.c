/* node_plan.c — staging/, plan, plan.json and apply: a repository copied into staging/ (scratch
 * files, never sent) is compared with the live workspace by reading `plan` or `plan.json`
 * (core's plan.h; GETs only), and `echo apply > apply` applies exactly the plan that was read,
 * refusing (ESTALE) when the plan made now differs from it. After an apply, `plan` shows each
 * item's result until staging/ changes. */
#include "node.h"
#include "handles.h"

#include <errno.h>
#include <string.h>

#include "error.h"
#include "plan.h"
#include "scratch.h"

#define STAGING "/staging"

/* What the plan files keep between reads; under lock. */
static GMutex lock;
static char *read_text;          /* the text of the plan last read, not applied yet */
static char *applied_text;       /* the last apply's plan with its results */
static char *applied_json;
static char *applied_staging;    /* the staging/ fingerprint after that apply */
static GMutex apply_lock;        /* one apply at a time */

void abfs_plan_state_cleanup(void)
{
    g_free(read_text);
    g_free(applied_text);
    g_free(applied_json);
    g_free(applied_staging);
    read_text = applied_text = applied_json = applied_staging = NULL;
}

/* The files of staging/ (names and contents, newly allocated; free with free_staged). */
static GPtrArray *staged_files(void)
{
    GPtrArray *out = g_ptr_array_new();
    GPtrArray *names = abfs_scratch_list(STAGING);
    for (guint i = 0; i < names->len; i++) {
        char *path = g_strconcat(STAGING "/", g_ptr_array_index(names, i), NULL);
        Scratch *s = abfs_scratch_lookup(path);
        if (s) {
            AbfsStagedFile *f = g_new0(AbfsStagedFile, 1);
            f->name = g_strdup(g_ptr_array_index(names, i));
            f->text = abfs_scratch_content(s, &f->len);
            g_ptr_array_add(out, f);
            abfs_scratch_unref(s);
        }
        g_free(path);
    }
    g_ptr_array_free(names, TRUE);
    return out;
}

static void free_staged(GPtrArray *files)
{
    for (guint i = 0; i < files->len; i++) {
        AbfsStagedFile *f = g_ptr_array_index(files, i);
        g_free((char *)f->name);
        g_free((char *)f->text);
        g_free(f);
    }
    g_ptr_array_free(files, TRUE);
}

static gint compare_staged(gconstpointer a, gconstpointer b)
{
    return strcmp((*(AbfsStagedFile *const *)a)->name, (*(AbfsStagedFile *const *)b)->name);
}

/* A hash of staging/'s names and contents: whether it changed since an apply. */
static char *staging_fingerprint(void)
{
    GPtrArray *files = staged_files();
    g_ptr_array_sort(files, compare_staged);
    GChecksum *sum = g_checksum_new(G_CHECKSUM_SHA256);
    for (guint i = 0; i < files->len; i++) {
        AbfsStagedFile *f = g_ptr_array_index(files, i);
        g_checksum_update(sum, (const guchar *)f->name, (gssize)strlen(f->name) + 1);
        g_checksum_update(sum, (const guchar *)f->text, (gssize)f->len);
        g_checksum_update(sum, (const guchar *)"\0", 1);
    }
    char *out = g_strdup(g_checksum_get_string(sum));
    g_checksum_free(sum);
    free_staged(files);
    return out;
}

/* The plan of staging/ against the workspace now. */
static AbfsPlan *plan_now(GError **error)
{
    AbfsFs *fs = abfs_fs();
    GPtrArray *files = staged_files();
    GArray *flat = g_array_new(FALSE, TRUE, sizeof(AbfsStagedFile));
    for (guint i = 0; i < files->len; i++)
        g_array_append_val(flat, *(AbfsStagedFile *)g_ptr_array_index(files, i));
    AbfsPlan *plan = abfs_plan_compute(fs->store, fs->actors, (const AbfsStagedFile *)(void *)flat->data, flat->len,
                                       fs->allow_delete, error);
    g_array_free(flat, TRUE);
    free_staged(files);
    return plan;
}

/* ---- staging/ ---- */

static int staging_getattr(const AbfsNode *node, struct stat *st, GError **error)
{
    (void)node;
    (void)error;
    abfs_stat_dir(st, 0755, abfs_fs()->mount_time);
    return 0;
}

static int staging_readdir(const AbfsNode *node, AbfsDir *dir, GError **error)
{
    (void)error;
    abfs_dir_add_scratches(dir, node->path);
    return 0;
}

const AbfsNodeType abfs_node_staging = {
    .getattr = staging_getattr,
    .readdir = staging_readdir,
};

/* ---- plan, plan.json ---- */

/* The text of `plan` (json: of plan.json): the last apply's results while staging/ is as that apply
 * left it, else a plan made now, which becomes the plan `apply` applies. */
static int plan_read(gboolean json, char **text, GError **error)
{
    char *fingerprint = staging_fingerprint();
    g_mutex_lock(&lock);
    if (applied_text && g_strcmp0(fingerprint, applied_staging) == 0) {
        *text = g_strdup(json ? applied_json : applied_text);
        g_mutex_unlock(&lock);
        g_free(fingerprint);
        return 0;
    }
    g_mutex_unlock(&lock);
    g_free(fingerprint);
    AbfsPlan *plan = plan_now(error);
    if (!plan)
        return -EIO;
    char *plain = abfs_plan_text(plan);
    *text = json ? abfs_plan_json(plan) : g_strdup(plain);
    abfs_plan_free(plan);
    g_mutex_lock(&lock);
    g_free(read_text);
    read_text = plain;
    g_mutex_unlock(&lock);
    return 0;
}

static int plan_getattr(const AbfsNode *node, struct stat *st, GError **error)
{
    (void)node;
    (void)error;
    /* generated when read (procfs): no size, so that stat never makes a plan */
    abfs_stat_file(st, 0444, 0, abfs_fs()->mount_time);
    return 0;
}

static int plan_text(const AbfsNode *node, char **text, GError **error)
{
    return plan_read(node->kind == ABFS_NODE_PLAN_JSON, text, error);
}

static int plan_open(const AbfsNode *node, int flags, AbfsHandle **handle, GError **error)
{
    int rc = abfs_handle_open_text(node, flags, handle, error);
    if (rc == 0)
        abfs_handle_set_direct_io(*handle); /* size 0: reads go past it */
    return rc;
}

const AbfsNodeType abfs_node_plan = {
    .getattr = plan_getattr,
    .open = plan_open,
    .read_text = plan_text,
};

const AbfsNodeType abfs_node_plan_json = {
    .getattr = plan_getattr,
    .open = plan_open,
    .read_text = plan_text,
};

/* ---- apply ---- */

/* A draft created by the apply: staging/ gets <new id>.json, as exported, in its place. */
static void on_created(const char *file, const char *id, gpointer data)
{
    (void)data;
    AbfsFs *fs = abfs_fs();
    abfs_node_record_created(id, file);
    char *draft = g_strconcat(STAGING "/", file, NULL);
    abfs_scratch_unlink(draft);
    g_free(draft);
    AbfsEntry *e = abfs_store_entry(fs->store, id, NULL);
    if (e) {
        gsize len;
        char *text = abfs_entry_render(e, (guint)abfs_connection_file_index("settings.json"), &len);
        char *path = g_strdup_printf(STAGING "/%s.json", id);
        Scratch *s = NULL;
        if (abfs_scratch_create(path, 0644, &s) == 0) {
            abfs_scratch_write(s, text, len, 0);
            abfs_scratch_unref(s);
        }
        g_free(path);
        g_free(text);
        abfs_entry_unref(e);
    }
}

static int apply_getattr(const AbfsNode *node, struct stat *st, GError **error)
{
    (void)node;
    (void)error;
    abfs_stat_file(st, 0600, 0, abfs_fs()->mount_time);
    return 0;
}

static int apply_act(const AbfsNode *node, const char *text, gsize len, GError **error)
{
    (void)node;
    char *word = g_strstrip(g_strndup(text, len));
    gboolean asked = strcmp(word, "apply") == 0;
    g_free(word);
    if (!asked) {
        g_set_error(error, ABFS_ERROR, EINVAL, "write \"apply\" to apply the plan that was read");
        return -EINVAL;
    }
    AbfsFs *fs = abfs_fs();
    g_mutex_lock(&apply_lock);
    g_mutex_lock(&lock);
    char *expected = g_strdup(read_text);
    g_mutex_unlock(&lock);
    int rc = 0;
    AbfsPlan *plan = NULL;
    if (!expected) {
        g_set_error(error, ABFS_ERROR, EINVAL, "read MOUNT/plan (or plan.json) first: apply applies the plan that was read");
        rc = -EINVAL;
    } else if (!(plan = plan_now(error)))
        rc = -EIO;
    if (rc == 0) {
        char *now = abfs_plan_text(plan);
        if (strcmp(now, expected) != 0) {
            g_set_error(error, ABFS_ERROR, ESTALE,
                        "the workspace or staging/ changed since the plan was read: nothing was applied; read plan "
                        "again");
            rc = -ESTALE;
        }
        g_free(now);
    }
    if (rc == 0) {
        if (!abfs_plan_apply(plan, fs->store, fs->actors, on_created, NULL, error))
            rc = -EIO;
        char *fingerprint = staging_fingerprint();
        g_mutex_lock(&lock);
        g_free(applied_text);
        g_free(applied_json);
        g_free(applied_staging);
        applied_text = abfs_plan_text(plan);
        applied_json = abfs_plan_json(plan);
        applied_staging = fingerprint;
        g_free(read_text);
        read_text = NULL; /* applied: a new apply needs a new read */
        g_mutex_unlock(&lock);
        abfs_invalidate_later("/connections");
        abfs_invalidate_later("/settings");
        abfs_invalidate_later("/staging");
        abfs_invalidate_later("/by-name");
    }
    abfs_plan_free(plan);
    g_free(expected);
    g_mutex_unlock(&apply_lock);
    return rc;
}

const AbfsNodeType abfs_node_apply = {
    .getattr = apply_getattr,
    .open = abfs_handle_open_control,
    .act = apply_act,
};
