/* plan.c — a plan of staged settings files against the workspace, and its apply (plan.h). */
#include "plan.h"
#include "commit.h"
#include "connection_files.h"
#include "create.h"
#include "error.h"
#include "json_util.h"
#include "resources.h"
#include "settings.h"
#include "tags.h"
#include "text.h"

#include <errno.h>
#include <string.h>

typedef enum { ITEM_CREATE, ITEM_CHANGE, ITEM_DELETE, ITEM_DRIFT, ITEM_CONFLICT, ITEM_INVALID } ItemKind;

static const char *const kind_names[] = {"create", "change", "delete", "drift", "conflict", "invalid"};

typedef struct {
    ItemKind kind;
    char *file;          /* the staged file (NULL for a deletion) */
    char *id;            /* the connection (change, delete, drift, conflict) */
    char *name;          /* its name, or the draft's */
    char *member;        /* change, drift, conflict */
    json_object *from;   /* change: the server's value (canonical) */
    json_object *to;     /* change: the file's value, as written */
    char *message;       /* invalid: why */
    char *draft;         /* create: the draft's text */
    char *result;        /* after apply: "done" or "failed: ..."; NULL before */
} Item;

struct AbfsPlan {
    GPtrArray *items; /* Item* */
    gboolean allow_delete;
    gboolean applied;
    guint done, failed;
};

static void item_free(gpointer p)
{
    Item *it = p;
    g_free(it->file);
    g_free(it->id);
    g_free(it->name);
    g_free(it->member);
    json_object_put(it->from);
    json_object_put(it->to);
    g_free(it->message);
    g_free(it->draft);
    g_free(it->result);
    g_free(it);
}

static Item *add(AbfsPlan *plan, ItemKind kind, const char *file, const char *id, const char *name)
{
    Item *it = g_new0(Item, 1);
    it->kind = kind;
    it->file = g_strdup(file);
    it->id = g_strdup(id);
    it->name = g_strdup(name);
    g_ptr_array_add(plan->items, it);
    return it;
}

static void add_invalid(AbfsPlan *plan, const char *file, const char *message)
{
    Item *it = add(plan, ITEM_INVALID, file, NULL, NULL);
    it->message = g_strdup(message);
    abfs_text_replace_controls(it->message, '?');
}

void abfs_plan_free(AbfsPlan *plan)
{
    if (!plan)
        return;
    g_ptr_array_free(plan->items, TRUE);
    g_free(plan);
}

/* ---- computing ---- */

/* The members of a staged <id>.json that differ from the connection, each as a change, a drift or
 * a conflict; the whole file as invalid when an apply would refuse it. */
static void plan_file(AbfsPlan *plan, AbfsStore *store, const AbfsStagedFile *f, const char *id, AbfsEntry *entry)
{
    GError *err = NULL;
    json_object *doc = abfs_json_parse(f->text, f->len, &err);
    json_object *conn = abfs_entry_parse(entry), *patch = NULL, *tags = NULL;
    gboolean ok = doc && abfs_settings_patch(conn, doc, &patch, &err);
    if (ok && patch && json_object_object_get(patch, "tags")) { /* tag names the workspace has */
        tags = json_object_new_object();
        json_object_object_add(tags, "tags", json_object_get(json_object_object_get(patch, "tags")));
        ok = abfs_tags_resolve_patch(abfs_store_tags(store), tags, &err);
    }
    if (!ok) {
        add_invalid(plan, f->name, err->message);
        g_error_free(err);
    }
    json_object *exported = json_object_object_get(doc, ABFS_SETTINGS_BASE_MEMBER);
    const char *name = abfs_entry_field(entry, ABFS_ENTRY_NAME);
    if (ok && patch) {
        json_object_object_foreach (patch, key, normalized) {
            json_object *current = abfs_setting_current(conn, key);
            const char *base = abfs_json_string(exported, key);
            ItemKind kind = ITEM_CHANGE;
            if (base) {
                char *server = abfs_setting_fingerprint(key, current);
                char *file = abfs_setting_fingerprint(key, json_object_object_get(doc, key));
                if (strcmp(server, base) != 0)
                    kind = strcmp(file, base) == 0 ? ITEM_DRIFT : ITEM_CONFLICT;
                g_free(server);
                g_free(file);
            }
            Item *it = add(plan, kind, f->name, id, name);
            it->member = g_strdup(key);
            it->from = current;
            it->to = json_object_get(kind == ITEM_CHANGE ? normalized : json_object_object_get(doc, key));
        }
    }
    json_object_put(tags);
    json_object_put(patch);
    json_object_put(conn);
    json_object_put(doc);
}

/* A draft: what its create would send, checked as the create checks it. */
static void plan_draft(AbfsPlan *plan, const AbfsStagedFile *f, AbfsStore *store, AbfsActors *actors,
                       GHashTable *planned)
{
    char *stem = g_strndup(f->name, strlen(f->name) - strlen(".json"));
    GError *err = NULL;
    json_object *request = abfs_create_request_for(store, actors, f->text, f->len, stem, &err);
    g_free(stem);
    if (request && abfs_create_check(store, request, &err)) {
        char *key = g_strdup_printf("%s\x1f%s\x1f%s", abfs_json_string(request, "name"),
                                    abfs_json_string(request, "sourceId"), abfs_json_string(request, "destinationId"));
        const char *other = g_hash_table_lookup(planned, key);
        if (other) {
            char *msg = g_strdup_printf("%s makes a connection of the same name, source and destination", other);
            add_invalid(plan, f->name, msg);
            g_free(msg);
            g_free(key);
        } else {
            g_hash_table_replace(planned, key, g_strdup(f->name));
            Item *it = add(plan, ITEM_CREATE, f->name, NULL, abfs_json_string(request, "name"));
            it->draft = g_strndup(f->text, f->len);
        }
    } else {
        add_invalid(plan, f->name, err->message);
        g_error_free(err);
    }
    json_object_put(request);
}

static gint compare_files(gconstpointer a, gconstpointer b)
{
    return strcmp(((const AbfsStagedFile *)a)->name, ((const AbfsStagedFile *)b)->name);
}

AbfsPlan *abfs_plan_compute(AbfsStore *store, AbfsActors *actors, const AbfsStagedFile *files, guint n,
                            gboolean allow_delete, GError **error)
{
    /* the live workspace, not a listing of a minute ago */
    abfs_store_invalidate(store);
    abfs_actors_invalidate(actors);
    if (abfs_store_tags(store))
        abfs_tags_invalidate(abfs_store_tags(store));
    gint64 saved = abfs_client_deadline_begin(abfs_store_client(store));
    AbfsSnapshot *snap = abfs_store_snapshot(store, error);
    abfs_client_deadline_end(saved);
    if (!snap)
        return NULL;
    AbfsPlan *plan = g_new0(AbfsPlan, 1);
    plan->items = g_ptr_array_new_with_free_func(item_free);
    plan->allow_delete = allow_delete;
    AbfsStagedFile *sorted = n > 0 ? g_memdup2(files, sizeof *files * n) : NULL;
    if (n > 0)
        qsort(sorted, n, sizeof *sorted, compare_files);
    GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    GHashTable *planned = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    guint staged = 0;
    for (guint i = 0; i < n; i++) {
        const AbfsStagedFile *f = &sorted[i];
        if (f->name[0] == '.' || !g_str_has_suffix(f->name, ".json") || strlen(f->name) <= 5)
            continue; /* not a settings file: a README, a tool's temporary file */
        staged++;
        char *stem = g_strndup(f->name, strlen(f->name) - 5);
        saved = abfs_client_deadline_begin(abfs_store_client(store)); /* each file its own -o timeout */
        if (abfs_id_is_safe(stem)) {
            AbfsEntry *e = abfs_snapshot_lookup(snap, stem);
            g_hash_table_add(seen, g_strdup(stem));
            if (e)
                plan_file(plan, store, f, stem, e);
            else {
                char *msg = g_strdup_printf("no connection %s in this workspace (deleted?)", stem);
                add_invalid(plan, f->name, msg);
                g_free(msg);
            }
        } else
            plan_draft(plan, f, store, actors, planned);
        abfs_client_deadline_end(saved);
        g_free(stem);
    }
    if (allow_delete && staged > 0) /* an empty staging/ never deletes the workspace */
        for (guint i = 0; i < abfs_snapshot_count(snap); i++) {
            const char *id = abfs_snapshot_id(snap, i);
            if (!g_hash_table_contains(seen, id))
                add(plan, ITEM_DELETE, NULL, id, abfs_entry_field(abfs_snapshot_lookup(snap, id), ABFS_ENTRY_NAME));
        }
    g_hash_table_destroy(planned);
    g_hash_table_destroy(seen);
    g_free(sorted);
    abfs_snapshot_unref(snap);
    return plan;
}

/* ---- showing ---- */

/* A value as a plan line shows it: a schedule as its file does (manual, or a quoted cron
 * expression), anything else as compact JSON; cut at 200 bytes. */
static char *shown(const char *key, json_object *v)
{
    char *text;
    if (!v)
        text = g_strdup("(none)");
    else if (strcmp(key, "schedule") == 0 && g_strcmp0(abfs_json_string(v, "scheduleType"), "manual") == 0)
        text = g_strdup("manual");
    else if (strcmp(key, "schedule") == 0 && abfs_json_string(v, "cronExpression"))
        text = g_strdup_printf("\"%s\"", abfs_json_string(v, "cronExpression"));
    else if (strcmp(key, "schedule") == 0 && abfs_json_string(v, "basicTiming"))
        text = g_strdup_printf("\"%s\"", abfs_json_string(v, "basicTiming"));
    else
        text = abfs_json_compact(v);
    if (strlen(text) > 200) {
        const char *end = g_utf8_find_prev_char(text, text + 197);
        text[end - text] = '\0';
        char *cut = g_strconcat(text, "...", NULL);
        g_free(text);
        text = cut;
    }
    abfs_text_replace_controls(text, '?');
    return text;
}

static char *quoted_name(const char *name)
{
    char *q = g_strdup_printf("\"%s\"", name ? name : "");
    abfs_text_replace_controls(q, '?');
    return q;
}

static void item_line(GString *out, const Item *it)
{
    char *name = quoted_name(it->name);
    switch (it->kind) {
    case ITEM_CREATE:
        g_string_append_printf(out, "+ create %s %s", it->file, name);
        break;
    case ITEM_CHANGE: {
        char *from = shown(it->member, it->from), *to = shown(it->member, it->to);
        g_string_append_printf(out, "~ %s %s: %s %s -> %s", it->id, name, it->member, from, to);
        g_free(from);
        g_free(to);
        break;
    }
    case ITEM_DELETE:
        g_string_append_printf(out, "- delete %s %s", it->id, name);
        break;
    case ITEM_DRIFT:
        g_string_append_printf(out, "! %s: %s changed on the server since it was exported", it->id, it->member);
        break;
    case ITEM_CONFLICT:
        g_string_append_printf(out, "! %s: %s changed on the server and in the file since it was exported", it->id,
                               it->member);
        break;
    case ITEM_INVALID:
        g_string_append_printf(out, "! %s: %s", it->file, it->message);
        break;
    }
    g_free(name);
    if (it->result)
        g_string_append_printf(out, " => %s", it->result);
    g_string_append_c(out, '\n');
}

void abfs_plan_counts(const AbfsPlan *plan, guint *create, guint *change, guint *remove)
{
    *create = *change = *remove = 0;
    GHashTable *changed = g_hash_table_new(g_str_hash, g_str_equal);
    for (guint i = 0; i < plan->items->len; i++) {
        const Item *it = g_ptr_array_index(plan->items, i);
        if (it->kind == ITEM_CREATE)
            (*create)++;
        else if (it->kind == ITEM_DELETE)
            (*remove)++;
        else if (it->kind == ITEM_CHANGE)
            g_hash_table_add(changed, it->id);
    }
    *change = g_hash_table_size(changed);
    g_hash_table_destroy(changed);
}

char *abfs_plan_text(const AbfsPlan *plan)
{
    GString *out = g_string_new(NULL);
    for (guint i = 0; i < plan->items->len; i++)
        item_line(out, g_ptr_array_index(plan->items, i));
    guint c, u, d;
    abfs_plan_counts(plan, &c, &u, &d);
    g_string_append_printf(out, "Plan: %u to create, %u to change, %u to delete.\n", c, u, d);
    if (plan->applied)
        g_string_append_printf(out, "Applied: %u done, %u failed.\n", plan->done, plan->failed);
    return g_string_free(out, FALSE);
}

char *abfs_plan_json(const AbfsPlan *plan)
{
    json_object *root = json_object_new_object(), *items = json_object_new_array();
    for (guint i = 0; i < plan->items->len; i++) {
        const Item *it = g_ptr_array_index(plan->items, i);
        json_object *o = json_object_new_object();
        json_object_object_add(o, "action", json_object_new_string(kind_names[it->kind]));
        if (it->file)
            json_object_object_add(o, "file", json_object_new_string(it->file));
        if (it->id)
            json_object_object_add(o, "connectionId", json_object_new_string(it->id));
        if (it->name)
            json_object_object_add(o, "name", json_object_new_string(it->name));
        if (it->member)
            json_object_object_add(o, "member", json_object_new_string(it->member));
        if (it->kind == ITEM_CHANGE) {
            json_object_object_add(o, "from", it->from ? json_object_get(it->from) : NULL);
            json_object_object_add(o, "to", json_object_get(it->to));
        }
        if (it->message)
            json_object_object_add(o, "message", json_object_new_string(it->message));
        if (it->result)
            json_object_object_add(o, "result", json_object_new_string(it->result));
        json_object_array_add(items, o);
    }
    guint c, u, d;
    abfs_plan_counts(plan, &c, &u, &d);
    json_object *summary = json_object_new_object();
    json_object_object_add(summary, "create", json_object_new_int64(c));
    json_object_object_add(summary, "change", json_object_new_int64(u));
    json_object_object_add(summary, "delete", json_object_new_int64(d));
    json_object_object_add(root, "items", items);
    json_object_object_add(root, "summary", summary);
    json_object_object_add(root, "applied", json_object_new_boolean(plan->applied));
    if (plan->applied) {
        json_object_object_add(root, "done", json_object_new_int64(plan->done));
        json_object_object_add(root, "failed", json_object_new_int64(plan->failed));
    }
    char *text = abfs_json_pretty(root);
    json_object_put(root);
    return text;
}

gboolean abfs_plan_applicable(const AbfsPlan *plan, GError **error)
{
    for (guint i = 0; i < plan->items->len; i++) {
        const Item *it = g_ptr_array_index(plan->items, i);
        if (it->kind == ITEM_INVALID) {
            g_set_error(error, ABFS_ERROR, EINVAL, "the plan cannot be applied: %s: %s", it->file, it->message);
            return FALSE;
        }
        if (it->kind == ITEM_CONFLICT) {
            g_set_error(error, ABFS_ERROR, EINVAL,
                        "the plan cannot be applied: %s of %s changed on the server and in %s; merge it and stage "
                        "again",
                        it->member, it->id, it->file);
            return FALSE;
        }
    }
    return TRUE;
}

/* ---- applying ---- */

static void set_result(AbfsPlan *plan, Item *it, gboolean ok, const GError *err, GError **first)
{
    if (ok) {
        it->result = g_strdup("done");
        plan->done++;
        return;
    }
    it->result = g_strdup_printf("failed (%s)", err ? err->message : "unknown");
    abfs_text_replace_controls(it->result, '?');
    plan->failed++;
    if (first && !*first && err)
        *first = g_error_copy(err);
}

gboolean abfs_plan_apply(AbfsPlan *plan, AbfsStore *store, AbfsActors *actors, AbfsPlanCreated created,
                         gpointer data, GError **error)
{
    if (plan->applied) {
        g_set_error(error, ABFS_ERROR, EINVAL, "this plan was applied already: read plan again");
        return FALSE;
    }
    if (!abfs_plan_applicable(plan, error))
        return FALSE;
    plan->applied = TRUE;
    GError *first = NULL;
    int settings_row = abfs_connection_file_index("settings.json");
    for (guint i = 0; i < plan->items->len; i++) {
        Item *it = g_ptr_array_index(plan->items, i);
        GError *err = NULL;
        if (it->result || it->kind == ITEM_DRIFT) {
            if (!it->result)
                it->result = g_strdup("kept");
            continue;
        }
        if (it->kind == ITEM_CREATE) {
            char *stem = g_strndup(it->file, strlen(it->file) - 5);
            json_object *request = abfs_create_request_for(store, actors, it->draft, strlen(it->draft), stem, &err);
            char *id = request ? abfs_connection_create(store, request, &err) : NULL;
            json_object_put(request);
            g_free(stem);
            set_result(plan, it, id != NULL, err, &first);
            if (id && created)
                created(it->file, id, data);
            g_free(id);
        } else if (it->kind == ITEM_CHANGE) {
            /* every planned member of this connection in one PATCH: a settings.json of just those */
            json_object *body = json_object_new_object();
            GPtrArray *same = g_ptr_array_new();
            for (guint j = i; j < plan->items->len; j++) {
                Item *other = g_ptr_array_index(plan->items, j);
                if (other->kind == ITEM_CHANGE && !other->result && strcmp(other->id, it->id) == 0) {
                    json_object_object_add(body, other->member, json_object_get(other->to));
                    g_ptr_array_add(same, other);
                }
            }
            char *text = abfs_json_compact(body);
            gboolean ok =
                abfs_commit_connection_file(store, it->id, (guint)settings_row, NULL, text, strlen(text), &err);
            for (guint j = 0; j < same->len; j++)
                set_result(plan, g_ptr_array_index(same, j), ok, err, j == 0 ? &first : NULL);
            g_free(text);
            json_object_put(body);
            g_ptr_array_free(same, TRUE);
        } else if (it->kind == ITEM_DELETE) {
            gboolean ok = abfs_connection_delete(abfs_store_client(store), it->id, &err);
            set_result(plan, it, ok, err, &first);
        }
        g_clear_error(&err);
    }
    abfs_store_invalidate(store);
    if (first) {
        g_propagate_prefixed_error(error, first, "%u of %u items failed: ", plan->failed, plan->done + plan->failed);
        return FALSE;
    }
    return TRUE;
}
