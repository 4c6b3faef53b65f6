/* test_core.c — unit tests of core/ against its headers (config.h, error.h, http.h, auth.h,
 * client.h, resources.h, json_util.h, connection_files.h, store.h).
 *
 * The HTTP tests run against a small HTTP/1.1 server on 127.0.0.1 written below (one GThread
 * accepting, one GThread per connection, Content-Length bodies, "Connection: close"). It records
 * every request (method, target, headers, body) so a test can assert exactly what was sent.
 * Self-contained: links only with abfscore. */
#include <glib.h>
#include <glib/gstdio.h>
#include <json-c/json.h>

#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth.h"
#include "client.h"
#include "config.h"
#include "connection_files.h"
#include "error.h"
#include "http.h"
#include "json_util.h"
#include "resources.h"
#include "store.h"
#include "jobs.h"
#include "commit.h"
#include "actors.h"

#define WS "11111111-2222-4333-8444-555555555555"
#define OTHER_WS "99999999-8888-4777-8666-555555555555"
#define CONN_A "aaaaaaaa-0000-4000-8000-000000000001"
#define CONN_B "bbbbbbbb-0000-4000-8000-000000000002"
#define TOKEN_PATH "/api/public/v1/applications/token"
#define LIST_PATH "/api/public/v1/connections"

/* ---------------------------------------------------------------------------------------------
 * The fake HTTP server
 * ------------------------------------------------------------------------------------------- */

typedef struct {
    char *method;
    char *target; /* path?query as sent */
    char *path;
    char *query;  /* NULL when none */
    GHashTable *headers; /* lower-case name → value */
    char *body;
    gsize body_len;
} FakeRequest;

typedef struct {
    int status; /* 0: hang up without answering */
    GString *body;
    gboolean cut;        /* announce the whole body, send half of it, hang up */
    const char *headers; /* extra header lines ("Name: value\r\n"...), or NULL */
} FakeResponse;

typedef struct FakeServer FakeServer;
typedef void (*FakeHandler)(FakeServer *srv, const FakeRequest *req, FakeResponse *resp, gpointer data);

struct FakeServer {
    int fd;
    guint16 port;
    char *root; /* http://127.0.0.1:PORT */
    GThread *acceptor;
    gint stop;
    GMutex lock;
    GPtrArray *requests; /* FakeRequest*, in arrival order */
    GPtrArray *workers;  /* GThread* */
    FakeHandler handler;
    gpointer data;
};

static void fake_request_free(gpointer p)
{
    FakeRequest *r = p;
    g_free(r->method);
    g_free(r->target);
    g_free(r->path);
    g_free(r->query);
    g_free(r->body);
    g_hash_table_unref(r->headers);
    g_free(r);
}

static const char *fake_header(const FakeRequest *r, const char *name)
{
    char *lower = g_ascii_strdown(name, -1);
    const char *v = g_hash_table_lookup(r->headers, lower);
    g_free(lower);
    return v;
}

static gboolean read_some(int fd, GString *buf)
{
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, 5000) <= 0)
        return FALSE;
    char tmp[8192];
    ssize_t n = recv(fd, tmp, sizeof tmp, 0);
    if (n <= 0)
        return FALSE;
    g_string_append_len(buf, tmp, n);
    return TRUE;
}

static FakeRequest *read_request(int fd)
{
    GString *buf = g_string_new(NULL);
    char *end;
    while (!(end = strstr(buf->str, "\r\n\r\n")))
        if (!read_some(fd, buf)) {
            g_string_free(buf, TRUE);
            return NULL;
        }
    gsize head_len = (gsize)(end - buf->str) + 4;
    char *head = g_strndup(buf->str, (gsize)(end - buf->str));
    char **lines = g_strsplit(head, "\r\n", -1);
    g_free(head);
    FakeRequest *r = g_new0(FakeRequest, 1);
    r->headers = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    char **parts = g_strsplit(lines[0], " ", 3);
    r->method = g_strdup(parts[0] ? parts[0] : "");
    r->target = g_strdup(parts[0] && parts[1] ? parts[1] : "");
    g_strfreev(parts);
    const char *q = strchr(r->target, '?');
    r->path = q ? g_strndup(r->target, (gsize)(q - r->target)) : g_strdup(r->target);
    r->query = q ? g_strdup(q + 1) : NULL;
    gsize content_length = 0;
    for (guint i = 1; lines[i]; i++) {
        char *colon = strchr(lines[i], ':');
        if (!colon)
            continue;
        char *name = g_ascii_strdown(lines[i], colon - lines[i]);
        char *value = g_strstrip(g_strdup(colon + 1));
        if (strcmp(name, "content-length") == 0)
            content_length = (gsize)g_ascii_strtoull(value, NULL, 10);
        const char *old = g_hash_table_lookup(r->headers, name);
        if (old) {
            char *joined = g_strdup_printf("%s, %s", old, value);
            g_free(value);
            value = joined;
        }
        g_hash_table_replace(r->headers, name, value);
    }
    g_strfreev(lines);
    while (buf->len < head_len + content_length)
        if (!read_some(fd, buf))
            break;
    gsize have = MIN(content_length, buf->len - head_len);
    r->body = g_strndup(buf->str + head_len, have);
    r->body_len = have;
    g_string_free(buf, TRUE);
    return r;
}

static void send_all(int fd, const char *data, gsize len)
{
    while (len > 0) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
        if (n <= 0)
            return;
        data += n;
        len -= (gsize)n;
    }
}

static const char *fake_reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 409: return "Conflict";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Status";
    }
}

typedef struct {
    FakeServer *srv;
    int fd;
} FakeConn;

static gpointer fake_conn_thread(gpointer p)
{
    FakeConn *c = p;
    FakeServer *srv = c->srv;
    FakeRequest *req = read_request(c->fd);
    if (req) {
        g_mutex_lock(&srv->lock);
        g_ptr_array_add(srv->requests, req); /* owned by the array until the server is freed */
        g_mutex_unlock(&srv->lock);
        FakeResponse resp = {200, g_string_new(NULL), FALSE, NULL};
        srv->handler(srv, req, &resp, srv->data);
        if (resp.status > 0) {
            char *head = g_strdup_printf("HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
                                         "Content-Length: %zu\r\n%sConnection: close\r\n\r\n",
                                         resp.status, fake_reason(resp.status), resp.body->len,
                                         resp.headers ? resp.headers : "");
            send_all(c->fd, head, strlen(head));
            send_all(c->fd, resp.body->str, resp.cut ? resp.body->len / 2 : resp.body->len);
            g_free(head);
        }
        g_string_free(resp.body, TRUE);
    }
    shutdown(c->fd, SHUT_WR);
    close(c->fd);
    g_free(c);
    return NULL;
}

static gpointer fake_accept_thread(gpointer p)
{
    FakeServer *srv = p;
    while (!g_atomic_int_get(&srv->stop)) {
        struct pollfd pfd = {srv->fd, POLLIN, 0};
        if (poll(&pfd, 1, 20) <= 0)
            continue;
        int cfd = accept(srv->fd, NULL, NULL);
        if (cfd < 0)
            continue;
        FakeConn *c = g_new0(FakeConn, 1);
        c->srv = srv;
        c->fd = cfd;
        GThread *t = g_thread_new("fake-conn", fake_conn_thread, c);
        g_mutex_lock(&srv->lock);
        g_ptr_array_add(srv->workers, t);
        g_mutex_unlock(&srv->lock);
    }
    return NULL;
}

static FakeServer *fake_start(FakeHandler handler, gpointer data)
{
    FakeServer *srv = g_new0(FakeServer, 1);
    srv->handler = handler;
    srv->data = data;
    g_mutex_init(&srv->lock);
    srv->requests = g_ptr_array_new_with_free_func(fake_request_free);
    srv->workers = g_ptr_array_new();
    srv->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    g_assert_cmpint(srv->fd, >=, 0);
    int one = 1;
    setsockopt(srv->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr = {0};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    g_assert_cmpint(bind(srv->fd, (struct sockaddr *)&addr, sizeof addr), ==, 0);
    g_assert_cmpint(listen(srv->fd, 64), ==, 0);
    socklen_t len = sizeof addr;
    getsockname(srv->fd, (struct sockaddr *)&addr, &len);
    srv->port = ntohs(addr.sin_port);
    srv->root = g_strdup_printf("http://127.0.0.1:%u", srv->port);
    srv->acceptor = g_thread_new("fake-accept", fake_accept_thread, srv);
    return srv;
}

/* Stops accepting and closes the listening socket: later connects are refused. */
static void fake_shutdown(FakeServer *srv)
{
    if (!srv->acceptor)
        return;
    g_atomic_int_set(&srv->stop, 1);
    g_thread_join(srv->acceptor);
    srv->acceptor = NULL;
    close(srv->fd);
    srv->fd = -1;
}

static void fake_free(FakeServer *srv)
{
    fake_shutdown(srv);
    for (guint i = 0; i < srv->workers->len; i++)
        g_thread_join(g_ptr_array_index(srv->workers, i));
    g_ptr_array_free(srv->workers, TRUE);
    g_ptr_array_free(srv->requests, TRUE);
    g_mutex_clear(&srv->lock);
    g_free(srv->root);
    g_free(srv);
}

/* Number of recorded requests with this method (NULL: any) and exact path (NULL: any). */
static guint fake_count(FakeServer *srv, const char *method, const char *path)
{
    guint n = 0;
    g_mutex_lock(&srv->lock);
    for (guint i = 0; i < srv->requests->len; i++) {
        FakeRequest *r = g_ptr_array_index(srv->requests, i);
        if ((!method || strcmp(r->method, method) == 0) && (!path || strcmp(r->path, path) == 0))
            n++;
    }
    g_mutex_unlock(&srv->lock);
    return n;
}

/* The n-th (0-based) recorded request with this method and path, or NULL. Borrowed: valid until
 * fake_free. */
static FakeRequest *fake_nth(FakeServer *srv, const char *method, const char *path, guint n)
{
    FakeRequest *found = NULL;
    g_mutex_lock(&srv->lock);
    for (guint i = 0; i < srv->requests->len && !found; i++) {
        FakeRequest *r = g_ptr_array_index(srv->requests, i);
        if ((!method || strcmp(r->method, method) == 0) && (!path || strcmp(r->path, path) == 0) &&
            n-- == 0)
            found = r;
    }
    g_mutex_unlock(&srv->lock);
    return found;
}

/* ---------------------------------------------------------------------------------------------
 * A scripted Airbyte API on the fake server
 * ------------------------------------------------------------------------------------------- */

typedef struct {
    int status;
    char *body;
    guint delay_ms;
    gboolean cut;        /* see FakeResponse */
    const char *headers; /* static text, see FakeResponse */
} Step;

typedef struct {
    GMutex lock;
    GCond cond;
    GPtrArray *conns;            /* what GET /connections lists (json_object*) */
    guint tokens;                /* tokens issued so far */
    int token_status;            /* 0: 200 */
    const char *token_body;      /* body of a refused token request, or of a 200 when set */
    char *token_value;           /* access_token to hand out instead of tok-N */
    guint token_delay_ms;
    guint token_busy;            /* this many token requests get 503 first */
    guint list_delay_ms;
    int list_status;             /* 0: serve the listing */
    const char *list_raw;        /* when set: the listing's body as is */
    gboolean gate_closed;        /* the listing waits while TRUE */
    gboolean reject_first_token; /* 401 for "Bearer tok-1" */
    gboolean always_401;
    GQueue steps;                /* answers to other requests, in order; then the default */
    int default_status;
    char *default_body;
} Api;

static void api_handler(FakeServer *srv, const FakeRequest *req, FakeResponse *resp, gpointer data);

static Api *api_new(void)
{
    Api *api = g_new0(Api, 1);
    g_mutex_init(&api->lock);
    g_cond_init(&api->cond);
    api->conns = g_ptr_array_new_with_free_func(abfs_json_free);
    g_queue_init(&api->steps);
    api->default_status = 200;
    api->default_body = g_strdup("{\"workspaceId\":\"" WS "\",\"name\":\"ws\"}");
    return api;
}

static void step_free(gpointer p)
{
    Step *s = p;
    g_free(s->body);
    g_free(s);
}

static void api_free(Api *api)
{
    g_ptr_array_free(api->conns, TRUE);
    g_queue_clear_full(&api->steps, step_free);
    g_free(api->default_body);
    g_free(api->token_value);
    g_mutex_clear(&api->lock);
    g_cond_clear(&api->cond);
    g_free(api);
}

static void api_push(Api *api, int status, const char *body, guint delay_ms)
{
    Step *s = g_new0(Step, 1);
    s->status = status;
    s->body = g_strdup(body ? body : "");
    s->delay_ms = delay_ms;
    g_mutex_lock(&api->lock);
    g_queue_push_tail(&api->steps, s);
    g_mutex_unlock(&api->lock);
}

/* Like api_push(), with a body cut in half and/or extra header lines. */
static void api_push_ex(Api *api, int status, const char *body, gboolean cut, const char *headers)
{
    api_push(api, status, body, 0);
    g_mutex_lock(&api->lock);
    Step *s = g_queue_peek_tail(&api->steps);
    s->cut = cut;
    s->headers = headers;
    g_mutex_unlock(&api->lock);
}

static void api_set_default(Api *api, int status, const char *body)
{
    g_mutex_lock(&api->lock);
    api->default_status = status;
    g_free(api->default_body);
    api->default_body = g_strdup(body ? body : "");
    g_mutex_unlock(&api->lock);
}

static void api_open_gate(Api *api)
{
    g_mutex_lock(&api->lock);
    api->gate_closed = FALSE;
    g_cond_broadcast(&api->cond);
    g_mutex_unlock(&api->lock);
}

static char *conn_id_for(guint i)
{
    return g_strdup_printf("%08x-1111-4222-8333-%012x", i, i);
}

/* A ConnectionResponse (CONTRACT §3.1). */
static json_object *make_conn(const char *id, const char *ws, const char *name)
{
    char *text = g_strdup_printf(
        "{\"connectionId\":\"%s\",\"name\":\"%s\","
        "\"sourceId\":\"5ce5ce5c-0000-4000-8000-000000000001\","
        "\"destinationId\":\"de57de57-0000-4000-8000-000000000001\","
        "\"workspaceId\":\"%s\",\"status\":\"active\","
        "\"schedule\":{\"scheduleType\":\"cron\",\"cronExpression\":\"0 0 12 * * ? UTC\"},"
        "\"nonBreakingSchemaUpdatesBehavior\":\"ignore\",\"namespaceDefinition\":\"destination\","
        "\"namespaceFormat\":\"${SOURCE_NAMESPACE}\",\"prefix\":\"airbyte_\","
        "\"configurations\":{\"streams\":[{\"name\":\"users\",\"syncMode\":\"incremental_append\","
        "\"cursorField\":[\"updated_at\"]},{\"name\":\"orders\"}]},"
        "\"createdAt\":1000,\"tags\":[]}",
        id, name, ws);
    json_object *conn = json_tokener_parse(text);
    g_free(text);
    g_assert_nonnull(conn);
    return conn;
}

static void api_add_conns(Api *api, guint n)
{
    g_mutex_lock(&api->lock);
    for (guint i = 0; i < n; i++) {
        char *id = conn_id_for(i);
        char *name = g_strdup_printf("conn %u", i);
        g_ptr_array_add(api->conns, make_conn(id, WS, name));
        g_free(id);
        g_free(name);
    }
    g_mutex_unlock(&api->lock);
}

/* Changes the name of connection id on the server. */
static void api_rename(Api *api, const char *id, const char *name)
{
    g_mutex_lock(&api->lock);
    for (guint i = 0; i < api->conns->len; i++) {
        json_object *c = g_ptr_array_index(api->conns, i);
        if (g_strcmp0(abfs_json_string(c, "connectionId"), id) == 0)
            json_object_object_add(c, "name", json_object_new_string(name));
    }
    g_mutex_unlock(&api->lock);
}

static void problem(GString *out, int status, const char *title, const char *detail)
{
    g_string_printf(out,
                    "{\"type\":\"https://reference.airbyte.com/reference/errors#%s\",\"title\":\"%s\","
                    "\"status\":%d,\"detail\":\"%s\"}",
                    title, title, status, detail);
}

static void serve_listing(Api *api, const FakeRequest *req, FakeResponse *resp)
{
    GHashTable *params = req->query ? g_uri_parse_params(req->query, -1, "&", G_URI_PARAMS_NONE, NULL)
                                    : NULL;
    const char *l = params ? g_hash_table_lookup(params, "limit") : NULL;
    const char *o = params ? g_hash_table_lookup(params, "offset") : NULL;
    guint limit = l ? (guint)g_ascii_strtoull(l, NULL, 10) : 20;
    guint offset = o ? (guint)g_ascii_strtoull(o, NULL, 10) : 0;
    json_object *page = json_object_new_object();
    json_object *data = json_object_new_array();
    for (guint i = offset; i < api->conns->len && i < offset + limit; i++)
        json_object_array_add(data, json_object_get(g_ptr_array_index(api->conns, i)));
    /* `next` as self-managed servers fill it: an internal host. Following it fails. */
    char *next = json_object_array_length(data) == 0
                     ? g_strdup("")
                     : g_strdup_printf("http://127.0.0.1:1/api/public/v1/connections?limit=%u&offset=%u",
                                       limit, offset + limit);
    json_object_object_add(page, "previous", json_object_new_string(""));
    json_object_object_add(page, "next", json_object_new_string(next));
    json_object_object_add(page, "data", data);
    g_string_assign(resp->body, json_object_to_json_string_ext(page, JSON_C_TO_STRING_PLAIN));
    json_object_put(page);
    g_free(next);
    if (params)
        g_hash_table_unref(params);
}

static void api_handler(FakeServer *srv, const FakeRequest *req, FakeResponse *resp, gpointer data)
{
    (void)srv;
    Api *api = data;
    guint delay_ms = 0;
    g_mutex_lock(&api->lock);
    if (strcmp(req->method, "POST") == 0 && strcmp(req->path, TOKEN_PATH) == 0) {
        delay_ms = api->token_delay_ms;
        if (api->token_busy > 0) {
            api->token_busy--;
            resp->status = 503;
            g_string_assign(resp->body, "upstream connect error");
        } else if (api->token_status && api->token_status != 200) {
            resp->status = api->token_status;
            g_string_assign(resp->body, api->token_body ? api->token_body : "");
        } else if (api->token_body) {
            g_string_assign(resp->body, api->token_body);
            api->tokens++;
        } else {
            api->tokens++;
            char *value = api->token_value ? g_strdup(api->token_value)
                                           : g_strdup_printf("tok-%u", api->tokens);
            g_string_printf(resp->body, "{\"access_token\":\"%s\",\"token_type\":\"Bearer\",\"expires_in\":900}",
                            value);
            g_free(value);
        }
    } else if (api->always_401 ||
               (api->reject_first_token && g_strcmp0(fake_header(req, "Authorization"), "Bearer tok-1") == 0)) {
        resp->status = 401;
        problem(resp->body, 401, "invalid-api-key", "Invalid API key");
    } else if (strcmp(req->method, "GET") == 0 && strcmp(req->path, LIST_PATH) == 0) {
        while (api->gate_closed)
            g_cond_wait(&api->cond, &api->lock);
        delay_ms = api->list_delay_ms;
        if (api->list_status) {
            resp->status = api->list_status;
            problem(resp->body, api->list_status, "forbidden", "listing refused by the test");
        } else if (api->list_raw)
            g_string_assign(resp->body, api->list_raw);
        else
            serve_listing(api, req, resp);
    } else {
        Step *s = g_queue_pop_head(&api->steps);
        if (s) {
            resp->status = s->status;
            g_string_assign(resp->body, s->body);
            delay_ms = s->delay_ms;
            resp->cut = s->cut;
            resp->headers = s->headers;
            step_free(s);
        } else {
            resp->status = api->default_status;
            g_string_assign(resp->body, api->default_body);
        }
    }
    g_mutex_unlock(&api->lock);
    if (delay_ms)
        g_usleep(delay_ms * 1000);
}

/* ---------------------------------------------------------------------------------------------
 * Fixtures
 * ------------------------------------------------------------------------------------------- */

typedef struct {
    Api *api;
    FakeServer *srv;
    AbfsClient *client;
} Fx;

static AbfsConfig *config_for(FakeServer *srv, const char *bearer, guint request_timeout_s)
{
    AbfsConfig *cfg = abfs_config_new();
    char *root = g_strdup_printf("%s/api/public/v1", srv->root);
    abfs_config_set(&cfg->api_root, root);
    g_free(root);
    abfs_config_set(&cfg->workspace_id, WS);
    if (bearer)
        abfs_config_set(&cfg->bearer_token, bearer);
    else {
        abfs_config_set(&cfg->client_id, "the-client-id");
        abfs_config_set(&cfg->client_secret, "the-client-secret");
    }
    cfg->connect_timeout_s = 2;
    cfg->request_timeout_s = request_timeout_s ? request_timeout_s : 10;
    GError *err = NULL;
    g_assert_true(abfs_config_finish(cfg, &err));
    g_assert_no_error(err);
    return cfg;
}

static Fx *fx_new_full(const char *bearer, guint request_timeout_s)
{
    Fx *fx = g_new0(Fx, 1);
    fx->api = api_new();
    fx->srv = fake_start(api_handler, fx->api);
    fx->client = abfs_client_new(config_for(fx->srv, bearer, request_timeout_s), FALSE, NULL);
    return fx;
}

static Fx *fx_new(void)
{
    return fx_new_full(NULL, 0);
}

static void fx_free(Fx *fx)
{
    abfs_client_free(fx->client);
    api_open_gate(fx->api);
    fake_free(fx->srv);
    api_free(fx->api);
    g_free(fx);
}

static guint token_requests(Fx *fx)
{
    return fake_count(fx->srv, "POST", TOKEN_PATH);
}

static guint list_requests(Fx *fx)
{
    return fake_count(fx->srv, "GET", LIST_PATH);
}

static const char *const ENV_NAMES[] = {
    "AIRBYTE_CLOUD_CLIENT_ID",    "AIRBYTE_CLIENT_ID",       "AIRBYTE_CLOUD_CLIENT_SECRET",
    "AIRBYTE_CLIENT_SECRET",      "AIRBYTE_CLOUD_BEARER_TOKEN", "AIRBYTE_BEARER_TOKEN",
    "AIRBYTE_CLOUD_WORKSPACE_ID", "AIRBYTE_WORKSPACE_ID",    "AIRBYTE_CLOUD_API_URL",
    "AIRBYTE_API_ROOT",           "AIRBYTE_CLOUD_CONFIG_API_URL", "AIRBYTE_CONFIG_API_ROOT",
    "AIRBYTE_CLOUD_ORGANIZATION_ID", "AIRBYTE_ORGANIZATION_ID",
};

static void env_clear(void)
{
    for (gsize i = 0; i < G_N_ELEMENTS(ENV_NAMES); i++)
        g_unsetenv(ENV_NAMES[i]);
}

static gboolean ends_with_one_newline(const char *s, gsize len)
{
    return len >= 1 && s[len - 1] == '\n' && (len == 1 || s[len - 2] != '\n');
}

/* ---------------------------------------------------------------------------------------------
 * config
 * ------------------------------------------------------------------------------------------- */

static void check_config_root(const char *api_root, const char *expected)
{
    char *got = abfs_config_derive_config_root(api_root);
    g_assert_cmpstr(got, ==, expected);
    g_free(got);
}

static void test_config_derive_config_root(void)
{
    check_config_root("https://api.airbyte.com/v1", "https://cloud.airbyte.com/api/v1");
    check_config_root("https://api.airbyte.com/v1/", "https://cloud.airbyte.com/api/v1");
    check_config_root("http://localhost:8000/api/public/v1", "http://localhost:8000/api/v1");
    check_config_root("http://localhost:8000/api/public/v1/", "http://localhost:8000/api/v1");
    check_config_root("https://h/airbyte/api/public/v1/", "https://h/airbyte/api/v1");
    check_config_root("https://h/airbyte/api/public/v1", "https://h/airbyte/api/v1");
    /* unknown shapes */
    check_config_root("https://example.com/v1", NULL);
    check_config_root("http://localhost:8000/api/v1", NULL);
    check_config_root("http://localhost:8000/api/public/v2", NULL);
    check_config_root("https://example.com/", NULL);
}

static void check_web_root(const char *api_root, const char *expected)
{
    char *got = abfs_config_derive_web_root(api_root);
    g_assert_cmpstr(got, ==, expected);
    g_free(got);
}

static void test_config_derive_web_root(void)
{
    check_web_root("https://api.airbyte.com/v1", "https://cloud.airbyte.com");
    check_web_root("https://api.airbyte.com/v1/", "https://cloud.airbyte.com");
    check_web_root("http://localhost:8000/api/public/v1", "http://localhost:8000");
    check_web_root("https://h/airbyte/api/public/v1/", "https://h/airbyte");
    /* PyAirbyte's fallback: the public root itself */
    check_web_root("https://example.com/custom", "https://example.com/custom");
}

static void test_config_trim_root(void)
{
    char *s = abfs_config_trim_root("https://h/x///");
    g_assert_cmpstr(s, ==, "https://h/x");
    g_free(s);
    s = abfs_config_trim_root("https://h/x");
    g_assert_cmpstr(s, ==, "https://h/x");
    g_free(s);
}

static void test_config_set(void)
{
    char *field = NULL;
    abfs_config_set(&field, "x");
    g_assert_cmpstr(field, ==, "x");
    abfs_config_set(&field, "");
    g_assert_null(field);
    abfs_config_set(&field, "y");
    abfs_config_set(&field, NULL);
    g_assert_null(field);
}

static AbfsConfig *good_config(void)
{
    AbfsConfig *cfg = abfs_config_new();
    abfs_config_set(&cfg->workspace_id, WS);
    abfs_config_set(&cfg->client_id, "id");
    abfs_config_set(&cfg->client_secret, "secret");
    return cfg;
}

static void test_config_finish_cloud_defaults(void)
{
    AbfsConfig *cfg = good_config();
    GError *err = NULL;
    g_assert_true(abfs_config_finish(cfg, &err));
    g_assert_no_error(err);
    g_assert_cmpstr(cfg->api_root, ==, ABFS_CLOUD_API_ROOT);
    g_assert_cmpstr(cfg->config_api_root, ==, ABFS_CLOUD_CONFIG_API_ROOT);
    g_assert_cmpstr(cfg->web_root, ==, ABFS_CLOUD_WEB_ROOT);
    abfs_config_free(cfg);
}

static void test_config_finish_self_managed(void)
{
    AbfsConfig *cfg = good_config();
    abfs_config_set(&cfg->api_root, "https://h/airbyte/api/public/v1/");
    GError *err = NULL;
    g_assert_true(abfs_config_finish(cfg, &err));
    g_assert_no_error(err);
    g_assert_cmpstr(cfg->api_root, ==, "https://h/airbyte/api/public/v1");
    g_assert_cmpstr(cfg->config_api_root, ==, "https://h/airbyte/api/v1");
    g_assert_cmpstr(cfg->web_root, ==, "https://h/airbyte");
    abfs_config_free(cfg);
}

static void test_config_finish_unknown_shape(void)
{
    AbfsConfig *cfg = good_config();
    abfs_config_set(&cfg->api_root, "https://gateway.example.com/airbyte");
    GError *err = NULL;
    g_assert_true(abfs_config_finish(cfg, &err));
    g_assert_no_error(err);
    g_assert_null(cfg->config_api_root); /* may stay NULL: optional features degrade */
    abfs_config_free(cfg);
}

static void test_config_finish_keeps_explicit_roots(void)
{
    AbfsConfig *cfg = good_config();
    abfs_config_set(&cfg->config_api_root, "https://cfg.example.com/api/v1/");
    abfs_config_set(&cfg->web_root, "https://web.example.com/");
    GError *err = NULL;
    g_assert_true(abfs_config_finish(cfg, &err));
    g_assert_no_error(err);
    g_assert_cmpstr(cfg->config_api_root, ==, "https://cfg.example.com/api/v1");
    g_assert_cmpstr(cfg->web_root, ==, "https://web.example.com");
    abfs_config_free(cfg);
}

static void expect_finish_fails(AbfsConfig *cfg)
{
    GError *err = NULL;
    g_assert_false(abfs_config_finish(cfg, &err));
    g_assert_error(err, ABFS_ERROR, EINVAL);
    if (err) {
        g_assert_null(strchr(err->message, '\n'));
        /* secrets never appear in errors */
        g_assert_null(strstr(err->message, "s3cr3t"));
    }
    g_clear_error(&err);
    abfs_config_free(cfg);
}

static void test_config_finish_missing_workspace(void)
{
    AbfsConfig *cfg = good_config();
    abfs_config_set(&cfg->workspace_id, NULL);
    expect_finish_fails(cfg);
}

static void test_config_finish_bearer_and_client(void)
{
    AbfsConfig *cfg = good_config();
    abfs_config_set(&cfg->bearer_token, "s3cr3t");
    expect_finish_fails(cfg);
    /* a bearer token and only a client id is also two methods */
    cfg = good_config();
    abfs_config_set(&cfg->client_secret, NULL);
    abfs_config_set(&cfg->bearer_token, "s3cr3t");
    expect_finish_fails(cfg);
}

static void test_config_finish_id_without_secret(void)
{
    AbfsConfig *cfg = good_config();
    abfs_config_set(&cfg->client_secret, NULL);
    expect_finish_fails(cfg);
    cfg = good_config();
    abfs_config_set(&cfg->client_id, NULL);
    abfs_config_set(&cfg->client_secret, "s3cr3t");
    expect_finish_fails(cfg);
}

static void test_config_finish_no_credentials(void)
{
    AbfsConfig *cfg = good_config();
    abfs_config_set(&cfg->client_id, NULL);
    abfs_config_set(&cfg->client_secret, NULL);
    expect_finish_fails(cfg);
}

static void test_config_finish_bearer_only(void)
{
    AbfsConfig *cfg = good_config();
    abfs_config_set(&cfg->client_id, NULL);
    abfs_config_set(&cfg->client_secret, NULL);
    abfs_config_set(&cfg->bearer_token, "tok");
    GError *err = NULL;
    g_assert_true(abfs_config_finish(cfg, &err));
    g_assert_no_error(err);
    abfs_config_free(cfg);
}

static void test_config_finish_non_http_url(void)
{
    const char *bad[] = {"ftp://api.airbyte.com/v1", "api.airbyte.com/v1", "file:///etc/passwd",
                         "gopher://h/api/public/v1"};
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        AbfsConfig *cfg = good_config();
        abfs_config_set(&cfg->api_root, bad[i]);
        expect_finish_fails(cfg);
    }
}

static void test_config_env_cloud_vars(void)
{
    env_clear();
    g_setenv("AIRBYTE_CLOUD_CLIENT_ID", "env-id", TRUE);
    g_setenv("AIRBYTE_CLOUD_CLIENT_SECRET", "env-secret", TRUE);
    g_setenv("AIRBYTE_CLOUD_WORKSPACE_ID", "env-ws", TRUE);
    g_setenv("AIRBYTE_CLOUD_API_URL", "http://localhost:8000/api/public/v1", TRUE);
    g_setenv("AIRBYTE_CLOUD_CONFIG_API_URL", "http://cfg:8001/api/v1", TRUE);
    AbfsConfig *cfg = abfs_config_new();
    abfs_config_load_env(cfg);
    g_assert_cmpstr(cfg->client_id, ==, "env-id");
    g_assert_cmpstr(cfg->client_secret, ==, "env-secret");
    g_assert_cmpstr(cfg->workspace_id, ==, "env-ws");
    g_assert_cmpstr(cfg->api_root, ==, "http://localhost:8000/api/public/v1");
    g_assert_cmpstr(cfg->config_api_root, ==, "http://cfg:8001/api/v1");
    GError *err = NULL;
    g_assert_true(abfs_config_finish(cfg, &err));
    g_assert_no_error(err);
    g_assert_cmpstr(cfg->config_api_root, ==, "http://cfg:8001/api/v1"); /* explicit wins over derived */
    g_assert_cmpstr(cfg->web_root, ==, "http://localhost:8000");
    abfs_config_free(cfg);

    env_clear();
    g_setenv("AIRBYTE_CLOUD_BEARER_TOKEN", "env-token", TRUE);
    cfg = abfs_config_new();
    abfs_config_load_env(cfg);
    g_assert_cmpstr(cfg->bearer_token, ==, "env-token");
    g_assert_cmpstr(cfg->api_root, ==, ABFS_CLOUD_API_ROOT); /* default kept */
    abfs_config_free(cfg);
    env_clear();
}

static void test_config_env_aliases(void)
{
    env_clear();
    g_setenv("AIRBYTE_CLIENT_ID", "alias-id", TRUE);
    g_setenv("AIRBYTE_CLIENT_SECRET", "alias-secret", TRUE);
    g_setenv("AIRBYTE_WORKSPACE_ID", "alias-ws", TRUE);
    g_setenv("AIRBYTE_API_ROOT", "https://h/airbyte/api/public/v1", TRUE);
    g_setenv("AIRBYTE_CONFIG_API_ROOT", "https://h/cfg/api/v1", TRUE);
    AbfsConfig *cfg = abfs_config_new();
    abfs_config_load_env(cfg);
    g_assert_cmpstr(cfg->client_id, ==, "alias-id");
    g_assert_cmpstr(cfg->client_secret, ==, "alias-secret");
    g_assert_cmpstr(cfg->workspace_id, ==, "alias-ws");
    g_assert_cmpstr(cfg->api_root, ==, "https://h/airbyte/api/public/v1");
    g_assert_cmpstr(cfg->config_api_root, ==, "https://h/cfg/api/v1");
    abfs_config_free(cfg);

    env_clear();
    g_setenv("AIRBYTE_BEARER_TOKEN", "alias-token", TRUE);
    cfg = abfs_config_new();
    abfs_config_load_env(cfg);
    g_assert_cmpstr(cfg->bearer_token, ==, "alias-token");
    abfs_config_free(cfg);
    env_clear();
}

static void test_config_env_empty_is_unset(void)
{
    env_clear();
    /* first NON-EMPTY wins: an empty variable neither clears nor hides the alias */
    g_setenv("AIRBYTE_CLOUD_CLIENT_ID", "", TRUE);
    g_setenv("AIRBYTE_CLIENT_ID", "alias-id", TRUE);
    g_setenv("AIRBYTE_CLOUD_WORKSPACE_ID", "", TRUE);
    AbfsConfig *cfg = abfs_config_new();
    abfs_config_set(&cfg->workspace_id, "from-file");
    abfs_config_load_env(cfg);
    g_assert_cmpstr(cfg->client_id, ==, "alias-id");
    g_assert_cmpstr(cfg->workspace_id, ==, "from-file");
    abfs_config_free(cfg);
    env_clear();
}

static char *write_key_file(const char *dir, const char *name, const char *text, mode_t mode)
{
    char *path = g_build_filename(dir, name, NULL);
    GError *err = NULL;
    g_assert_true(g_file_set_contents(path, text, -1, &err));
    g_assert_no_error(err);
    g_assert_cmpint(g_chmod(path, mode), ==, 0);
    return path;
}

static void test_config_file(void)
{
    char *dir = g_dir_make_tmp("abfs-test-XXXXXX", NULL);
    g_assert_nonnull(dir);
    char *secret_0600 = write_key_file(dir, "a.conf",
                                       "[airbytefs]\n"
                                       "api_url = http://localhost:8000/api/public/v1\n"
                                       "workspace = file-ws\n"
                                       "client_id = file-id\n"
                                       "client_secret = file-secret\n"
                                       "ca_file = /etc/ssl/ca.pem\n",
                                       0600);
    char *secret_0644 = write_key_file(dir, "b.conf",
                                       "[airbytefs]\nworkspace = b-ws\nclient_id = b-id\nclient_secret = b-secret\n",
                                       0644);
    char *token_0640 = write_key_file(dir, "c.conf", "[airbytefs]\nbearer_token = b-tok\n", 0640);
    char *plain_0644 = write_key_file(dir, "d.conf",
                                      "[airbytefs]\nworkspace = d-ws\nweb_url = https://web.example\n"
                                      "config_api_url = https://cfg.example/api/v1\n",
                                      0644);

    GError *err = NULL;
    AbfsConfig *cfg = abfs_config_new();
    g_assert_true(abfs_config_load_file(cfg, secret_0600, &err));
    g_assert_no_error(err);
    g_assert_cmpstr(cfg->api_root, ==, "http://localhost:8000/api/public/v1");
    g_assert_cmpstr(cfg->workspace_id, ==, "file-ws");
    g_assert_cmpstr(cfg->client_id, ==, "file-id");
    g_assert_cmpstr(cfg->client_secret, ==, "file-secret");
    g_assert_cmpstr(cfg->ca_file, ==, "/etc/ssl/ca.pem");
    abfs_config_free(cfg);

    /* a secret that group or others may read is refused, and nothing is taken from the file */
    cfg = abfs_config_new();
    g_assert_false(abfs_config_load_file(cfg, secret_0644, &err));
    g_assert_error(err, ABFS_ERROR, EPERM);
    if (err)
        g_assert_null(strstr(err->message, "b-secret"));
    g_clear_error(&err);
    g_assert_null(cfg->client_secret);
    g_assert_null(cfg->workspace_id);
    abfs_config_free(cfg);

    cfg = abfs_config_new();
    g_assert_false(abfs_config_load_file(cfg, token_0640, &err));
    g_assert_error(err, ABFS_ERROR, EPERM);
    g_clear_error(&err);
    g_assert_null(cfg->bearer_token);
    abfs_config_free(cfg);

    /* no secret: any mode is fine */
    cfg = abfs_config_new();
    g_assert_true(abfs_config_load_file(cfg, plain_0644, &err));
    g_assert_no_error(err);
    g_assert_cmpstr(cfg->workspace_id, ==, "d-ws");
    g_assert_cmpstr(cfg->web_root, ==, "https://web.example");
    g_assert_cmpstr(cfg->config_api_root, ==, "https://cfg.example/api/v1");
    abfs_config_free(cfg);

    /* a file that does not exist is an error */
    char *missing = g_build_filename(dir, "missing.conf", NULL);
    cfg = abfs_config_new();
    g_assert_false(abfs_config_load_file(cfg, missing, &err));
    g_assert_nonnull(err);
    g_clear_error(&err);
    abfs_config_free(cfg);

    const char *all[] = {secret_0600, secret_0644, token_0640, plain_0644};
    for (gsize i = 0; i < G_N_ELEMENTS(all); i++)
        g_unlink(all[i]);
    g_rmdir(dir);
    g_free(missing);
    g_free(secret_0600);
    g_free(secret_0644);
    g_free(token_0640);
    g_free(plain_0644);
    g_free(dir);
}

/* defaults < key file < environment < explicit options */
static void test_config_precedence(void)
{
    env_clear();
    char *dir = g_dir_make_tmp("abfs-test-XXXXXX", NULL);
    char *path = write_key_file(dir, "p.conf",
                                "[airbytefs]\n"
                                "api_url = https://file.example/api/public/v1\n"
                                "workspace = file-ws\n"
                                "client_id = file-id\n"
                                "client_secret = file-secret\n",
                                0600);
    g_setenv("AIRBYTE_CLOUD_WORKSPACE_ID", "env-ws", TRUE);
    g_setenv("AIRBYTE_CLIENT_SECRET", "env-secret", TRUE);

    AbfsConfig *cfg = abfs_config_new();
    GError *err = NULL;
    g_assert_true(abfs_config_load_file(cfg, path, &err));
    g_assert_no_error(err);
    abfs_config_load_env(cfg);
    g_assert_cmpstr(cfg->api_root, ==, "https://file.example/api/public/v1"); /* file over default */
    g_assert_cmpstr(cfg->client_id, ==, "file-id");                           /* env silent */
    g_assert_cmpstr(cfg->workspace_id, ==, "env-ws");                         /* env over file */
    g_assert_cmpstr(cfg->client_secret, ==, "env-secret");
    abfs_config_set(&cfg->workspace_id, "option-ws"); /* -o workspace= */
    g_assert_true(abfs_config_finish(cfg, &err));
    g_assert_no_error(err);
    g_assert_cmpstr(cfg->workspace_id, ==, "option-ws");
    g_assert_cmpstr(cfg->config_api_root, ==, "https://file.example/api/v1");
    abfs_config_free(cfg);

    g_unlink(path);
    g_rmdir(dir);
    g_free(path);
    g_free(dir);
    env_clear();
}

/* config.h: a higher source that gives one kind of credential replaces the other kind. */
static void test_config_credential_kind_replaces(void)
{
    env_clear();
    char *dir = g_dir_make_tmp("abfs-test-XXXXXX", NULL);
    char *clients = write_key_file(dir, "c.conf",
                                   "[airbytefs]\nworkspace = ws\nclient_id = file-id\nclient_secret = file-secret\n", 0600);
    char *bearer = write_key_file(dir, "b.conf", "[airbytefs]\nworkspace = ws\nbearer_token = file-token\n", 0600);
    GError *err = NULL;

    g_setenv("AIRBYTE_CLOUD_BEARER_TOKEN", "env-token", TRUE);
    AbfsConfig *cfg = abfs_config_new();
    g_assert_true(abfs_config_load_file(cfg, clients, &err));
    abfs_config_load_env(cfg);
    g_assert_true(abfs_config_finish(cfg, &err));
    g_assert_no_error(err);
    g_assert_cmpstr(cfg->bearer_token, ==, "env-token");
    g_assert_null(cfg->client_id);
    g_assert_null(cfg->client_secret);
    abfs_config_free(cfg);
    env_clear();

    g_setenv("AIRBYTE_CLOUD_CLIENT_ID", "env-id", TRUE);
    g_setenv("AIRBYTE_CLOUD_CLIENT_SECRET", "env-secret", TRUE);
    cfg = abfs_config_new();
    g_assert_true(abfs_config_load_file(cfg, bearer, &err));
    abfs_config_load_env(cfg);
    g_assert_true(abfs_config_finish(cfg, &err));
    g_assert_no_error(err);
    g_assert_null(cfg->bearer_token);
    g_assert_cmpstr(cfg->client_id, ==, "env-id");
    abfs_config_free(cfg);
    env_clear();

    g_unlink(clients);
    g_unlink(bearer);
    g_rmdir(dir);
    g_free(clients);
    g_free(bearer);
    g_free(dir);
}


/* jobs.h: the API's times are parsed leniently (seconds may be missing) and durations in ISO 8601. */
static void test_jobs_time_and_duration(void)
{
    static const struct {
        const char *in, *out;
    } times[] = {
        {"2024-05-01T12:00Z", "2024-05-01T12:00:00Z"},
        {"2024-05-01T12:08:31Z", "2024-05-01T12:08:31Z"},
        {"2024-05-01T12:08:31.123Z", "2024-05-01T12:08:31Z"},
        {"2024-05-01T14:08:31+02:00", "2024-05-01T12:08:31Z"},
        {"2024-05-01T14:08+02:00", "2024-05-01T12:08:00Z"},
        {"garbage", NULL},
        {"", NULL},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(times); i++) {
        char *got = abfs_time_iso(times[i].in);
        g_assert_cmpstr(got, ==, times[i].out);
        g_free(got);
    }
    g_assert_null(abfs_time_iso(NULL));
    g_assert_cmpint(abfs_duration_seconds("PT8M31S"), ==, 511);
    g_assert_cmpint(abfs_duration_seconds("PT1H"), ==, 3600);
    g_assert_cmpint(abfs_duration_seconds("PT0S"), ==, 0);
    g_assert_cmpint(abfs_duration_seconds("P1DT2H"), ==, 93600);
    g_assert_cmpint(abfs_duration_seconds("PT25H3S"), ==, 90003);
    g_assert_cmpint(abfs_duration_seconds("PT1.5S"), ==, 1);
    g_assert_cmpint(abfs_duration_seconds("8 minutes"), ==, -1);
    g_assert_cmpint(abfs_duration_seconds(NULL), ==, -1);
}

/* jobs.h: PyAirbyte's log text, attempt by attempt, events and formatted lines. */
static void test_jobs_log_text(void)
{
    json_object *info = json_tokener_parse(
        "{\"attempts\":["
        "{\"attempt\":{\"id\":0,\"status\":\"failed\"},\"logType\":\"structured\","
        " \"logs\":{\"events\":[{\"timestamp\":1714564802123,\"message\":\"hello\",\"level\":\"info\"},"
        "                      {\"timestamp\":1714564802124,\"message\":\"no level\"}]}},"
        "{\"attempt\":{\"id\":1,\"status\":\"succeeded\"},\"logType\":\"formatted\","
        " \"logs\":{\"logLines\":[\"line one\",\"line two\"]}}]}");
    char *text = abfs_job_log_text(info);
    g_assert_cmpstr(text, ==,
                    "==== attempt 0 ====\n[1714564802123] info: hello\n[1714564802124] INFO: no level\n"
                    "==== attempt 1 ====\nline one\nline two\n");
    g_free(text);
    json_object_put(info);
}

/* ---------------------------------------------------------------------------------------------
 * error
 * ------------------------------------------------------------------------------------------- */

static void test_error_errno_table(void)
{
    static const struct {
        long status;
        int err;
    } rows[] = {
        {200, 0},          {201, 0},          {204, 0},          {301, 0},         {304, 0},
        {400, EINVAL},     {422, EINVAL},     {401, EACCES},     {403, EPERM},     {404, ENOENT},
        {410, ENOENT},     {405, ENOTSUP},    {501, ENOTSUP},    {408, ETIMEDOUT}, {409, EBUSY},
        {423, EBUSY},      {413, EFBIG},      {429, EAGAIN},     {500, EIO},       {502, EIO},
        {503, EIO},        {599, EIO},        {402, EINVAL},     {406, EINVAL},    {415, EINVAL},
        {418, EINVAL},     {451, EINVAL},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
        if (abfs_errno_for_http_status(rows[i].status) != rows[i].err)
            g_test_message("status %ld", rows[i].status);
        g_assert_cmpint(abfs_errno_for_http_status(rows[i].status), ==, rows[i].err);
    }
}

/* error.h: "408/504 ETIMEDOUT": a gateway timeout is a timeout. */
static void test_error_errno_504(void)
{
    g_assert_cmpint(abfs_errno_for_http_status(504), ==, ETIMEDOUT);
}

static char *message_of(long status, const char *body)
{
    return abfs_server_message(status, body, body ? strlen(body) : 0);
}

static void check_message(long status, const char *body, const char *expected)
{
    char *m = message_of(status, body);
    g_assert_cmpstr(m, ==, expected);
    g_free(m);
}

static void test_error_message_problem(void)
{
    check_message(404,
                  "{\"type\":\"https://reference.airbyte.com/reference/errors#resource-not-found\","
                  "\"title\":\"resource-not-found\",\"status\":404,"
                  "\"detail\":\"The requested resource could not be found.\","
                  "\"documentationUrl\":null,\"data\":{\"resourceType\":\"connection\",\"resourceId\":\"x\"}}",
                  "The requested resource could not be found.");
    /* title when there is no detail */
    check_message(409, "{\"type\":\"t\",\"title\":\"try-again-later\",\"status\":409}", "try-again-later");
}

static void test_error_message_config_api(void)
{
    check_message(422,
                  "{\"message\":\"Invalid input: cron\",\"exceptionClassName\":\"x.Y\",\"exceptionStack\":[]}",
                  "Invalid input: cron");
    check_message(429, "{\"message\":\"You are being rate limited.\"}", "You are being rate limited.");
}

static void test_error_message_micronaut(void)
{
    check_message(400, "{\"_embedded\":{\"errors\":[{\"message\":\"Invalid client id or token\"}]}}",
                  "Invalid client id or token");
}

/* The body self-managed servers really send (CONTRACT §1.2): the useful text is the embedded
 * error, not the generic top-level "Bad Request". */
static void test_error_message_micronaut_real_body(void)
{
    char *m = message_of(400, "{\"message\":\"Bad Request\",\"_links\":{\"self\":{\"href\":\"/api/public/v1/"
                              "applications/token\",\"templated\":false}},\"_embedded\":{\"errors\":"
                              "[{\"message\":\"Invalid client id or token\"}]}}");
    g_assert_nonnull(strstr(m, "Invalid client id or token"));
    g_free(m);
}

static void test_error_message_plain_text(void)
{
    check_message(502, "upstream connect error", "upstream connect error");
    /* error.h: "the body's first line when it is not JSON" */
    check_message(502, "upstream connect error\r\nreset reason: overflow\n", "upstream connect error");
}

/* Go's net/http and many ingresses answer "404 page not found": text, not JSON, even though it
 * starts with a number. */
static void test_error_message_text_starting_with_number(void)
{
    char *m = message_of(404, "404 page not found\n");
    g_assert_nonnull(strstr(m, "page not found"));
    g_free(m);
}

static void test_error_message_empty_body(void)
{
    check_message(404, "", "Not Found");
    check_message(503, NULL, "Service Unavailable");
    check_message(401, "   \n", "Unauthorized");
    check_message(409, "{}", "Conflict");
    check_message(403, "{\"detail\":\"\"}", "Forbidden");
    /* never NULL, never empty, whatever the status */
    char *m = message_of(599, "");
    g_assert_nonnull(m);
    g_assert_cmpuint(strlen(m), >, 0);
    g_free(m);
}

static void test_error_message_one_line(void)
{
    char *m = message_of(400, "{\"detail\":\"line one\\nline two\\r\\nline three\\tend\"}");
    g_assert_null(strchr(m, '\n'));
    g_assert_null(strchr(m, '\r'));
    g_assert_nonnull(strstr(m, "line one"));
    g_assert_nonnull(strstr(m, "line two"));
    g_assert_nonnull(strstr(m, "line three"));
    g_free(m);
    m = message_of(400, "{\"message\":\"\\n\\nleading blank lines\\n\"}");
    g_assert_cmpstr(m, ==, "leading blank lines");
    g_free(m);
}

static void test_error_set_http_error(void)
{
    const char *body = "{\"title\":\"try-again-later\",\"status\":409,\"detail\":\"A sync is already running.\"}";
    GError *err = NULL;
    abfs_set_http_error(&err, 409, body, strlen(body));
    g_assert_error(err, ABFS_ERROR, EBUSY);
    if (err)
        g_assert_cmpstr(err->message, ==, "HTTP 409: A sync is already running.");
    g_assert_cmpint(abfs_error_http_status(err), ==, 409);
    g_clear_error(&err);

    abfs_set_http_error(&err, 404, "", 0);
    g_assert_error(err, ABFS_ERROR, ENOENT);
    if (err)
        g_assert_cmpstr(err->message, ==, "HTTP 404: Not Found");
    g_assert_cmpint(abfs_error_http_status(err), ==, 404);
    g_clear_error(&err);

    abfs_set_http_error(NULL, 500, "x", 1); /* NULL error is allowed */

    /* errors without an HTTP status */
    g_assert_cmpint(abfs_error_http_status(NULL), ==, 0);
    err = g_error_new(ABFS_ERROR, EIO, "connection reset");
    g_assert_cmpint(abfs_error_http_status(err), ==, 0);
    g_clear_error(&err);
    err = g_error_new(G_FILE_ERROR, G_FILE_ERROR_NOENT, "HTTP 404: not ours");
    g_assert_cmpint(abfs_error_http_status(err), ==, 0);
    g_clear_error(&err);
}

/* ---------------------------------------------------------------------------------------------
 * resources: ids and connection checks
 * ------------------------------------------------------------------------------------------- */

static void test_id_is_safe(void)
{
    const char *good[] = {
        "9924bcd0-99be-453d-ba47-c2c9766f7da5",
        "9924BCD0-99BE-453D-BA47-C2C9766F7DA5",
        "00000000-0000-0000-0000-000000000000",
        "0",
        "1234",
        "18446744073709551615",
    };
    for (gsize i = 0; i < G_N_ELEMENTS(good); i++) {
        if (!abfs_id_is_safe(good[i]))
            g_test_message("refused: %s", good[i]);
        g_assert_true(abfs_id_is_safe(good[i]));
    }
    const char *bad[] = {
        "",
        ".",
        "..",
        "../x",
        "a/b",
        "x/../../etc",
        "9924bcd0-99be-453d-ba47-c2c9766f7da5/..",
        "9924bcd0-99be-453d-ba47-c2c9766f7da5\n",
        "12\n",
        "12\r",
        "1\t2",
        ("a\x01" "b"),
        "\x7f",
        "9924bcd0-99be-453d-ba47-c2c9766f7da5a", /* 37 characters */
        "9924bcd0-99be-453d-ba47-c2c9766f7da",   /* 35 characters */
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", /* 37 letters */
        "9924bcd099be-453d-ba47-c2c9766f7da5-", /* dashes in the wrong places */
        "9924bcd0-99be-453d-ba47-c2c9766f7dag",
        "-1",
        "+1",
        " 1",
        "1 ",
        "1e5",
        "0x10",
        "name with spaces",
    };
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        if (abfs_id_is_safe(bad[i])) {
            char *shown = g_strescape(bad[i], NULL);
            g_test_message("accepted: [%s]", shown);
            g_free(shown);
        }
        g_assert_false(abfs_id_is_safe(bad[i]));
    }
    g_assert_false(abfs_id_is_safe(NULL));
}

static void test_json_string(void)
{
    json_object *o = json_tokener_parse("{\"s\":\"x\",\"n\":1,\"z\":null}");
    g_assert_cmpstr(abfs_json_string(o, "s"), ==, "x");
    g_assert_null(abfs_json_string(o, "n"));
    g_assert_null(abfs_json_string(o, "z"));
    g_assert_null(abfs_json_string(o, "missing"));
    g_assert_null(abfs_json_string(NULL, "s"));
    json_object *arr = json_object_new_array();
    g_assert_null(abfs_json_string(arr, "s"));
    json_object_put(arr);
    json_object_put(o);
}

static void check_conn_refused(json_object *conn, const char *what)
{
    GError *err = NULL;
    gboolean ok = abfs_connection_check(conn, &err);
    if (ok)
        g_test_message("accepted a broken connection: %s", what);
    g_assert_false(ok);
    g_assert_nonnull(err);
    if (err)
        g_assert_true(err->domain == ABFS_ERROR);
    g_clear_error(&err);
}

static json_object *conn_without(const char *key)
{
    json_object *c = make_conn(CONN_A, WS, "n");
    json_object_object_del(c, key);
    return c;
}

static json_object *conn_with(const char *key, json_object *value)
{
    json_object *c = make_conn(CONN_A, WS, "n");
    json_object_object_add(c, key, value);
    return c;
}

static void test_connection_check(void)
{
    GError *err = NULL;
    json_object *good = make_conn(CONN_A, WS, "n");
    g_assert_true(abfs_connection_check(good, &err));
    g_assert_no_error(err);
    json_object_put(good);

    /* optional members may be absent or null */
    json_object *sparse = conn_without("prefix");
    json_object_object_del(sparse, "configurations");
    json_object_object_del(sparse, "namespaceFormat");
    json_object_object_add(sparse, "namespaceDefinition", NULL);
    g_assert_true(abfs_connection_check(sparse, &err));
    g_assert_no_error(err);
    json_object_put(sparse);

    /* integer ids are ids too */
    json_object *int_id = conn_with("connectionId", json_object_new_string("12345"));
    g_assert_true(abfs_connection_check(int_id, &err));
    g_assert_no_error(err);
    json_object_put(int_id);

    struct {
        const char *what;
        json_object *conn;
    } bad[] = {
        {"NULL", NULL},
        {"an array", json_object_new_array()},
        {"a string", json_object_new_string("x")},
        {"no id", conn_without("connectionId")},
        {"id ../x", conn_with("connectionId", json_object_new_string("../x"))},
        {"id a/b", conn_with("connectionId", json_object_new_string("a/b"))},
        {"id empty", conn_with("connectionId", json_object_new_string(""))},
        {"id number", conn_with("connectionId", json_object_new_int(5))},
        {"no name", conn_without("name")},
        {"name number", conn_with("name", json_object_new_int(1))},
        {"no sourceId", conn_without("sourceId")},
        {"no destinationId", conn_without("destinationId")},
        {"no workspaceId", conn_without("workspaceId")},
        {"workspaceId null", conn_with("workspaceId", NULL)},
        {"no status", conn_without("status")},
        {"status number", conn_with("status", json_object_new_int(1))},
        {"no schedule", conn_without("schedule")},
        {"schedule string", conn_with("schedule", json_object_new_string("manual"))},
        {"configurations array", conn_with("configurations", json_object_new_array())},
        {"prefix number", conn_with("prefix", json_object_new_int(3))},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        check_conn_refused(bad[i].conn, bad[i].what);
        json_object_put(bad[i].conn);
    }
}

/* ---------------------------------------------------------------------------------------------
 * json_util
 * ------------------------------------------------------------------------------------------- */

static void test_json_pretty(void)
{
    json_object *v = json_tokener_parse(
        "{\"b\":1,\"a\":{\"d\":[{\"z\":1,\"y\":\"a/b\"}],\"c\":true},\"url\":\"https://h/x\"}");
    char *text = abfs_json_pretty(v);
    g_assert_cmpstr(text, ==,
                    "{\n"
                    "  \"a\": {\n"
                    "    \"c\": true,\n"
                    "    \"d\": [\n"
                    "      {\n"
                    "        \"y\": \"a/b\",\n"
                    "        \"z\": 1\n"
                    "      }\n"
                    "    ]\n"
                    "  },\n"
                    "  \"b\": 1,\n"
                    "  \"url\": \"https://h/x\"\n"
                    "}\n");
    g_assert_null(strstr(text, "\\/"));
    g_assert_true(ends_with_one_newline(text, strlen(text)));
    /* the input is not reordered */
    json_object_object_foreach(v, key, val)
    {
        (void)val;
        g_assert_cmpstr(key, ==, "b");
        break;
    }
    /* stable: the same value in another key order prints the same */
    json_object *w = json_tokener_parse(
        "{\"url\":\"https://h/x\",\"a\":{\"c\":true,\"d\":[{\"y\":\"a/b\",\"z\":1}]},\"b\":1}");
    char *text2 = abfs_json_pretty(w);
    g_assert_cmpstr(text, ==, text2);
    g_free(text2);
    json_object_put(w);
    g_free(text);
    json_object_put(v);

    /* scalars, and keys compared as bytes */
    json_object *s = json_object_new_string("x/y");
    text = abfs_json_pretty(s);
    g_assert_cmpstr(text, ==, "\"x/y\"\n");
    g_free(text);
    json_object_put(s);
    json_object *k = json_tokener_parse("{\"b\":1,\"B\":2,\"a\":3,\"_\":4}");
    json_object *sorted = abfs_json_sorted_copy(k);
    const char *order[] = {"B", "_", "a", "b"};
    guint i = 0;
    json_object_object_foreach(sorted, key2, val2)
    {
        (void)val2;
        g_assert_cmpuint(i, <, G_N_ELEMENTS(order));
        if (i < G_N_ELEMENTS(order))
            g_assert_cmpstr(key2, ==, order[i]);
        i++;
    }
    g_assert_cmpuint(i, ==, 4);
    json_object_put(sorted);
    json_object_put(k);
}

static json_object *parse_text(const char *text, GError **err)
{
    return abfs_json_parse(text, strlen(text), err);
}

static void test_json_parse_accepts(void)
{
    GError *err = NULL;
    json_object *v = parse_text("42", &err);
    g_assert_no_error(err);
    g_assert_true(json_object_is_type(v, json_type_int));
    g_assert_cmpint(json_object_get_int(v), ==, 42);
    json_object_put(v);

    v = parse_text("42 \n\t", &err);
    g_assert_no_error(err);
    g_assert_cmpint(json_object_get_int(v), ==, 42);
    json_object_put(v);

    v = parse_text("  {\"a\": [1, 2]}\n\n", &err);
    g_assert_no_error(err);
    g_assert_true(json_object_is_type(v, json_type_object));
    json_object_put(v);

    v = parse_text("\"text\"", &err);
    g_assert_no_error(err);
    g_assert_cmpstr(json_object_get_string(v), ==, "text");
    json_object_put(v);

    v = parse_text("-1.5e2", &err);
    g_assert_no_error(err);
    g_assert_true(json_object_is_type(v, json_type_double));
    json_object_put(v);
}

static void test_json_parse_rejects(void)
{
    const char *bad[] = {
        "",     "   \n", "{} x", "{}{}", "[1] ,", "42 43", "{\"a\":", "[1, 2", "\"unterminated",
        "{\"a\" 1}", "tru", "42abc",
    };
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        GError *err = NULL;
        json_object *v = parse_text(bad[i], &err);
        if (v || !err)
            g_test_message("accepted: [%s]", bad[i]);
        g_assert_null(v);
        g_assert_error(err, ABFS_ERROR, EINVAL);
        g_clear_error(&err);
        json_object_put(v);
    }
}

/* ---------------------------------------------------------------------------------------------
 * connection_files
 * ------------------------------------------------------------------------------------------- */

#define SAMPLE_ID "9924bcd0-99be-453d-ba47-c2c9766f7da5"

static const char SAMPLE_JSON[] =
    "{\"connectionId\":\"" SAMPLE_ID "\",\"name\":\"Postgres → Snowflake\","
    "\"sourceId\":\"5ce5ce5c-1111-4111-8111-111111111111\","
    "\"destinationId\":\"de57de57-2222-4222-8222-222222222222\","
    "\"workspaceId\":\"" WS "\",\"status\":\"active\","
    "\"schedule\":{\"scheduleType\":\"cron\",\"cronExpression\":\"0 0 12 * * ? UTC\"},"
    "\"nonBreakingSchemaUpdatesBehavior\":\"ignore\",\"namespaceDefinition\":\"destination\","
    "\"namespaceFormat\":\"${SOURCE_NAMESPACE}\",\"prefix\":\"airbyte_\","
    "\"configurations\":{\"streams\":[{\"name\":\"users\",\"namespace\":\"public\","
    "\"syncMode\":\"incremental_deduped_history\",\"cursorField\":[\"updated_at\"],"
    "\"primaryKey\":[[\"id\"]],\"selectedFields\":[]},{\"name\":\"orders\",\"syncMode\":\"full_refresh_overwrite\"}]},"
    "\"createdAt\":1716000000,"
    "\"tags\":[{\"tagId\":\"7a970000-0000-4000-8000-000000000000\",\"workspaceId\":\"" WS "\","
    "\"name\":\"prod\",\"color\":\"#FF0000\"}]}";

static const AbfsRenderContext CLOUD_CTX = {"https://cloud.airbyte.com", WS};

static char *render_row(const char *name, json_object *conn, const AbfsRenderContext *ctx)
{
    int i = abfs_connection_file_index(name);
    if (i < 0)
        return NULL;
    guint count;
    const AbfsConnectionFile *files = abfs_connection_files(&count);
    return files[i].render(conn, ctx);
}

static void check_row(const char *name, json_object *conn, const char *expected)
{
    char *got = render_row(name, conn, &CLOUD_CTX);
    if (!got)
        g_test_message("no file row named %s", name);
    g_assert_nonnull(got);
    if (g_strcmp0(got, expected) != 0)
        g_test_message("row %s", name);
    g_assert_cmpstr(got, ==, expected);
    g_free(got);
}

static json_object *sample_with(const char *key, const char *json_value)
{
    json_object *c = json_tokener_parse(SAMPLE_JSON);
    g_assert_nonnull(c);
    if (key) {
        if (json_value)
            json_object_object_add(c, key, json_tokener_parse(json_value));
        else
            json_object_object_del(c, key);
    }
    return c;
}

static void test_files_table(void)
{
    guint count = 0;
    const AbfsConnectionFile *files = abfs_connection_files(&count);
    g_assert_nonnull(files);
    g_assert_cmpuint(count, >, 0);
    /* the parity files of SPEC.md */
    const char *required[] = {"name", "prefix", "enabled", "schedule", "streams", "source_id",
                              "destination_id", "workspace_id", "url"};
    for (gsize i = 0; i < G_N_ELEMENTS(required); i++) {
        if (abfs_connection_file_index(required[i]) < 0)
            g_test_message("missing row %s", required[i]);
        g_assert_cmpint(abfs_connection_file_index(required[i]), >=, 0);
    }
    g_assert_cmpint(abfs_connection_file_index("no such file"), ==, -1);
    g_assert_cmpint(abfs_connection_file_index(""), ==, -1);
    for (guint i = 0; i < count; i++) {
        g_assert_nonnull(files[i].name);
        g_assert_nonnull(files[i].render);
        g_assert_null(strchr(files[i].name, '/'));
        g_assert_cmpint(abfs_connection_file_index(files[i].name), ==, (int)i); /* names unique */
    }
}

static void test_files_render_sample(void)
{
    json_object *c = sample_with(NULL, NULL);
    check_row("name", c, "Postgres → Snowflake\n");
    check_row("prefix", c, "airbyte_\n");
    check_row("enabled", c, "true\n");
    check_row("schedule", c, "0 0 12 * * ?\n");
    check_row("streams", c, "users\norders\n");
    check_row("source_id", c, "5ce5ce5c-1111-4111-8111-111111111111\n");
    check_row("destination_id", c, "de57de57-2222-4222-8222-222222222222\n");
    check_row("workspace_id", c, WS "\n");
    check_row("url", c, "https://cloud.airbyte.com/workspaces/" WS "/connections/" SAMPLE_ID "\n");
    /* rows that may exist: checked when present */
    const struct {
        const char *name, *expected;
    } optional[] = {
        {"status", "active\n"},
        {"namespace_definition", "destination\n"},
        {"namespace_format", "${SOURCE_NAMESPACE}\n"},
        {"non_breaking_schema_updates_behavior", "ignore\n"},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(optional); i++)
        if (abfs_connection_file_index(optional[i].name) >= 0)
            check_row(optional[i].name, c, optional[i].expected);
    if (abfs_connection_file_index("connection.json") >= 0) {
        char *text = render_row("connection.json", c, &CLOUD_CTX);
        char *pretty = abfs_json_pretty(c);
        g_assert_cmpstr(text, ==, pretty);
        GError *err = NULL;
        json_object *back = abfs_json_parse(text, strlen(text), &err);
        g_assert_no_error(err);
        g_assert_true(json_object_equal(back, c));
        json_object_put(back);
        g_free(pretty);
        g_free(text);
    }
    json_object_put(c);
}

static void test_files_schedule(void)
{
    json_object *c = sample_with("schedule", "{\"scheduleType\":\"manual\"}");
    check_row("schedule", c, "manual\n");
    char *t = abfs_schedule_text(c);
    g_assert_cmpstr(t, ==, "manual");
    g_free(t);
    json_object_put(c);

    c = sample_with("schedule", "{\"scheduleType\":\"basic\",\"basicTiming\":\"Every 24 HOURS\"}");
    check_row("schedule", c, "Every 24 HOURS\n");
    json_object_put(c);

    c = sample_with("schedule", "{\"scheduleType\":\"cron\",\"cronExpression\":\"0 0 12 * * ? UTC\"}");
    t = abfs_schedule_text(c);
    g_assert_cmpstr(t, ==, "0 0 12 * * ?");
    g_free(t);
    json_object_put(c);

    c = sample_with("schedule", "{\"scheduleType\":\"cron\",\"cronExpression\":\"0 15 * * * ?\"}");
    check_row("schedule", c, "0 15 * * * ?\n");
    json_object_put(c);
}

static void test_files_enabled(void)
{
    const struct {
        const char *status, *enabled;
    } rows[] = {{"\"active\"", "true\n"}, {"\"inactive\"", "false\n"}, {"\"deprecated\"", "false\n"},
                {"\"locked\"", "false\n"}};
    for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
        json_object *c = sample_with("status", rows[i].status);
        check_row("enabled", c, rows[i].enabled);
        json_object_put(c);
    }
}

static void test_files_prefix_missing(void)
{
    json_object *c = sample_with("prefix", NULL);
    check_row("prefix", c, "\n");
    json_object_put(c);
    c = sample_with("prefix", "\"\"");
    check_row("prefix", c, "\n");
    json_object_put(c);
}

static void test_files_streams(void)
{
    json_object *c = sample_with("configurations", "{\"streams\":[{\"name\":\"only\"}]}");
    check_row("streams", c, "only\n");
    json_object_put(c);
}

/* connection_files.h: "Every rendering ends with exactly one newline." — also with no streams. */
static void test_files_streams_empty(void)
{
    json_object *c = sample_with("configurations", "{\"streams\":[]}");
    char *s = render_row("streams", c, &CLOUD_CTX);
    /* connection_files.h: a list with no items is an empty file (wc -l says 0). */
    g_assert_cmpstr(s, ==, "");
    g_free(s);
    json_object_put(c);
}

static void test_files_url(void)
{
    AbfsRenderContext ctx = {"http://localhost:8000", WS};
    char *url = abfs_connection_url(&ctx, CONN_A);
    g_assert_cmpstr(url, ==, "http://localhost:8000/workspaces/" WS "/connections/" CONN_A);
    g_free(url);
}

/* Every row ends with exactly one "\n" for several shapes of connection. */
static void test_files_one_newline(void)
{
    const char *variants[][2] = {
        {NULL, NULL},
        {"prefix", NULL},
        {"status", "\"inactive\""},
        {"schedule", "{\"scheduleType\":\"manual\"}"},
        {"schedule", "{\"scheduleType\":\"basic\",\"basicTiming\":\"Every 24 HOURS\"}"},
        {"schedule", "{\"scheduleType\":\"cron\",\"cronExpression\":\"0 0 12 * * ?\"}"},
        {"name", "\"\""},
        {"name", "\"with spaces and ünïcode\""},
        {"namespaceFormat", NULL},
        {"namespaceDefinition", NULL},
        {"nonBreakingSchemaUpdatesBehavior", NULL},
        {"configurations", "{\"streams\":[{\"name\":\"a\"},{\"name\":\"b\"},{\"name\":\"c\"}]}"},
    };
    guint count;
    const AbfsConnectionFile *files = abfs_connection_files(&count);
    AbfsRenderContext self_managed = {"http://localhost:8000", WS};
    for (gsize v = 0; v < G_N_ELEMENTS(variants); v++) {
        json_object *c = sample_with(variants[v][0], variants[v][1]);
        for (guint i = 0; i < count; i++) {
            for (int k = 0; k < 2; k++) {
                char *s = files[i].render(c, k ? &self_managed : &CLOUD_CTX);
                g_assert_nonnull(s);
                if (!ends_with_one_newline(s, strlen(s)))
                    g_test_message("row %s, variant %zu: [%s]", files[i].name, v, s);
                g_assert_true(ends_with_one_newline(s, strlen(s)));
                g_free(s);
            }
        }
        json_object_put(c);
    }
}

/* ---------------------------------------------------------------------------------------------
 * http
 * ------------------------------------------------------------------------------------------- */

static void test_http_request(void)
{
    Api *api = api_new();
    FakeServer *srv = fake_start(api_handler, api);
    AbfsHttpOptions opts = {.connect_timeout_s = 2, .request_timeout_s = 5, .max_body_bytes = 1 << 20};
    AbfsHttp *http = abfs_http_new(&opts);
    api_push(api, 404, "{\"detail\":\"gone\"}", 0);
    api_push(api, 200, "{\"ok\":true}", 0);

    char *url = g_strdup_printf("%s/api/public/v1/x?a=1", srv->root);
    const char *headers[] = {"X-Test: yes", NULL};
    AbfsHttpResponse resp;
    GError *err = NULL;
    /* an HTTP error status is not an error of the transport */
    g_assert_true(abfs_http_request(http, "GET", url, headers, NULL, &resp, &err));
    g_assert_no_error(err);
    g_assert_cmpint(resp.status, ==, 404);
    g_assert_cmpstr(resp.body->str, ==, "{\"detail\":\"gone\"}");
    abfs_http_response_clear(&resp);

    g_assert_true(abfs_http_request(http, "POST", url, NULL, "{\"k\":1}", &resp, &err));
    g_assert_no_error(err);
    g_assert_cmpint(resp.status, ==, 200);
    abfs_http_response_clear(&resp);

    FakeRequest *get = fake_nth(srv, "GET", "/api/public/v1/x", 0);
    FakeRequest *post = fake_nth(srv, "POST", "/api/public/v1/x", 0);
    g_assert_nonnull(get);
    g_assert_nonnull(post);
    if (get && post) {
        g_assert_cmpstr(get->query, ==, "a=1");
        g_assert_cmpstr(fake_header(get, "X-Test"), ==, "yes");
        g_assert_nonnull(strstr(fake_header(get, "Accept"), "application/json"));
        g_assert_cmpstr(post->body, ==, "{\"k\":1}");
        g_assert_nonnull(strstr(fake_header(post, "Content-Type"), "application/json"));
        g_assert_nonnull(fake_header(post, "User-Agent"));
    }
    guint64 requests, bytes, millis;
    abfs_http_totals(http, &requests, &bytes, &millis);
    g_assert_cmpuint(requests, ==, 2);
    g_assert_cmpuint(bytes, >=, strlen("{\"detail\":\"gone\"}") + strlen("{\"ok\":true}"));

    abfs_http_free(http);
    g_free(url);
    fake_free(srv);
    api_free(api);
}

static void test_http_body_too_big(void)
{
    Api *api = api_new();
    FakeServer *srv = fake_start(api_handler, api);
    AbfsHttpOptions opts = {.connect_timeout_s = 2, .request_timeout_s = 5, .max_body_bytes = 1024};
    AbfsHttp *http = abfs_http_new(&opts);
    GString *big = g_string_new("\"");
    for (int i = 0; i < 8192; i++)
        g_string_append_c(big, 'x');
    g_string_append_c(big, '"');
    api_push(api, 200, big->str, 0);
    char *url = g_strdup_printf("%s/big", srv->root);
    AbfsHttpResponse resp;
    GError *err = NULL;
    g_assert_false(abfs_http_request(http, "GET", url, NULL, NULL, &resp, &err));
    g_assert_error(err, ABFS_ERROR, EFBIG);
    g_clear_error(&err);
    abfs_http_free(http);
    g_free(url);
    g_string_free(big, TRUE);
    fake_free(srv);
    api_free(api);
}

static void test_http_timeout_and_refused(void)
{
    Api *api = api_new();
    FakeServer *srv = fake_start(api_handler, api);
    AbfsHttpOptions opts = {.connect_timeout_s = 1, .request_timeout_s = 1, .max_body_bytes = 1 << 20};
    AbfsHttp *http = abfs_http_new(&opts);
    api_push(api, 200, "{}", 1100);
    char *url = g_strdup_printf("%s/slow", srv->root);
    AbfsHttpResponse resp;
    GError *err = NULL;
    g_assert_false(abfs_http_request(http, "GET", url, NULL, NULL, &resp, &err));
    g_assert_error(err, ABFS_ERROR, ETIMEDOUT);
    g_clear_error(&err);
    g_free(url);

    fake_shutdown(srv);
    url = g_strdup_printf("%s/refused", srv->root);
    g_assert_false(abfs_http_request(http, "GET", url, NULL, NULL, &resp, &err));
    g_assert_error(err, ABFS_ERROR, ENOTCONN);
    g_clear_error(&err);
    g_free(url);
    abfs_http_free(http);
    fake_free(srv);
    api_free(api);
}

/* ---------------------------------------------------------------------------------------------
 * auth and client
 * ------------------------------------------------------------------------------------------- */

static void test_auth_token_fetch(void)
{
    Fx *fx = fx_new();
    GError *err = NULL;
    json_object *ws = abfs_workspace_get(fx->client, WS, &err);
    g_assert_no_error(err);
    g_assert_nonnull(ws);
    json_object_put(ws);

    g_assert_cmpuint(token_requests(fx), ==, 1);
    FakeRequest *tok = fake_nth(fx->srv, NULL, NULL, 0);
    g_assert_nonnull(tok);
    if (tok) {
        g_assert_cmpstr(tok->method, ==, "POST");
        g_assert_cmpstr(tok->path, ==, TOKEN_PATH);
        const char *ct = fake_header(tok, "Content-Type");
        g_assert_nonnull(ct);
        if (ct)
            g_assert_nonnull(strstr(ct, "application/json"));
        g_assert_null(fake_header(tok, "Authorization"));
        json_object *body = json_tokener_parse(tok->body);
        g_assert_nonnull(body);
        g_assert_cmpstr(abfs_json_string(body, "client_id"), ==, "the-client-id");
        g_assert_cmpstr(abfs_json_string(body, "client_secret"), ==, "the-client-secret");
        g_assert_cmpstr(abfs_json_string(body, "grant-type"), ==, "client_credentials");
        json_object_put(body);
    }
    FakeRequest *get = fake_nth(fx->srv, "GET", "/api/public/v1/workspaces/" WS, 0);
    g_assert_nonnull(get);
    if (get)
        g_assert_cmpstr(fake_header(get, "Authorization"), ==, "Bearer tok-1");
    fx_free(fx);
}

static void test_auth_token_reused(void)
{
    Fx *fx = fx_new();
    for (int i = 0; i < 4; i++) {
        GError *err = NULL;
        g_assert_true(abfs_client_call(fx->client, ABFS_API_PUBLIC, "GET", "/workspaces/" WS, NULL,
                                       ABFS_CALL_IDEMPOTENT, NULL, &err));
        g_assert_no_error(err);
    }
    g_assert_cmpuint(token_requests(fx), ==, 1);
    g_assert_cmpuint(fake_count(fx->srv, "GET", NULL), ==, 4);
    for (guint i = 0; i < 4; i++) {
        FakeRequest *r = fake_nth(fx->srv, "GET", NULL, i);
        g_assert_nonnull(r);
        if (r)
            g_assert_cmpstr(fake_header(r, "Authorization"), ==, "Bearer tok-1");
    }
    fx_free(fx);
}

static void test_auth_401_refetches_once(void)
{
    Fx *fx = fx_new();
    fx->api->reject_first_token = TRUE;
    GError *err = NULL;
    json_object *out = NULL;
    g_assert_true(abfs_client_call(fx->client, ABFS_API_PUBLIC, "GET", "/workspaces/" WS, NULL,
                                   ABFS_CALL_IDEMPOTENT, &out, &err));
    g_assert_no_error(err);
    g_assert_nonnull(out);
    json_object_put(out);
    g_assert_cmpuint(token_requests(fx), ==, 2);
    g_assert_cmpuint(fake_count(fx->srv, "GET", NULL), ==, 2);
    FakeRequest *second = fake_nth(fx->srv, "GET", NULL, 1);
    g_assert_nonnull(second);
    if (second)
        g_assert_cmpstr(fake_header(second, "Authorization"), ==, "Bearer tok-2");
    /* the new token is kept */
    g_assert_true(abfs_client_call(fx->client, ABFS_API_PUBLIC, "GET", "/workspaces/" WS, NULL,
                                   ABFS_CALL_IDEMPOTENT, NULL, &err));
    g_assert_cmpuint(token_requests(fx), ==, 2);
    fx_free(fx);
}

static void test_auth_401_twice_is_eacces(void)
{
    Fx *fx = fx_new();
    fx->api->always_401 = TRUE;
    GError *err = NULL;
    /* not even for a non-idempotent call is the request sent more than twice */
    json_object *body = json_tokener_parse("{\"connectionId\":\"" CONN_A "\",\"jobType\":\"sync\"}");
    g_assert_false(abfs_client_call(fx->client, ABFS_API_PUBLIC, "POST", "/jobs", body, ABFS_CALL_DEFAULT,
                                    NULL, &err));
    json_object_put(body);
    g_assert_error(err, ABFS_ERROR, EACCES);
    g_assert_cmpint(abfs_error_http_status(err), ==, 401);
    g_clear_error(&err);
    g_assert_cmpuint(token_requests(fx), ==, 2);
    g_assert_cmpuint(fake_count(fx->srv, "POST", "/api/public/v1/jobs"), ==, 2);
    fx_free(fx);
}

static void test_auth_bearer_used_as_given(void)
{
    Fx *fx = fx_new_full("given-token", 0);
    GError *err = NULL;
    g_assert_true(abfs_client_call(fx->client, ABFS_API_PUBLIC, "GET", "/workspaces/" WS, NULL,
                                   ABFS_CALL_IDEMPOTENT, NULL, &err));
    g_assert_no_error(err);
    FakeRequest *r = fake_nth(fx->srv, "GET", NULL, 0);
    g_assert_nonnull(r);
    if (r)
        g_assert_cmpstr(fake_header(r, "Authorization"), ==, "Bearer given-token");
    /* a 401 with a fixed token: no fetch, no retry */
    fx->api->always_401 = TRUE;
    g_assert_false(abfs_client_call(fx->client, ABFS_API_PUBLIC, "GET", "/workspaces/" WS, NULL,
                                    ABFS_CALL_IDEMPOTENT, NULL, &err));
    g_assert_error(err, ABFS_ERROR, EACCES);
    g_clear_error(&err);
    g_assert_cmpuint(token_requests(fx), ==, 0);
    g_assert_cmpuint(fake_count(fx->srv, "GET", NULL), ==, 2);
    fx_free(fx);
}

static void test_auth_refused_token(void)
{
    Fx *fx = fx_new();
    fx->api->token_status = 400;
    fx->api->token_body = "{\"message\":\"Bad Request\",\"_embedded\":{\"errors\":[{\"message\":"
                          "\"Invalid client id or token\"}]}}";
    GError *err = NULL;
    g_assert_false(abfs_client_call(fx->client, ABFS_API_PUBLIC, "GET", "/workspaces/" WS, NULL,
                                    ABFS_CALL_IDEMPOTENT, NULL, &err));
    g_assert_error(err, ABFS_ERROR, EACCES);
    if (err) {
        g_assert_null(strstr(err->message, "the-client-secret"));
        g_assert_cmpint(abfs_error_http_status(err), ==, 400);
    }
    g_clear_error(&err);
    g_assert_cmpuint(fake_count(fx->srv, "GET", NULL), ==, 0);
    fx_free(fx);
}

static void test_auth_token_without_access_token(void)
{
    Fx *fx = fx_new();
    fx->api->token_body = "{\"token_type\":\"Bearer\"}";
    GError *err = NULL;
    g_assert_false(abfs_client_call(fx->client, ABFS_API_PUBLIC, "GET", "/workspaces/" WS, NULL,
                                    ABFS_CALL_DEFAULT, NULL, &err));
    g_assert_nonnull(err);
    g_clear_error(&err);
    g_assert_cmpuint(fake_count(fx->srv, "GET", NULL), ==, 0);
    fx_free(fx);
}

static void test_auth_direct(void)
{
    Fx *fx = fx_new();
    AbfsConfig *cfg = config_for(fx->srv, NULL, 5);
    AbfsHttpOptions opts = {.connect_timeout_s = 2, .request_timeout_s = 5, .max_body_bytes = 1 << 20};
    AbfsHttp *http = abfs_http_new(&opts);
    AbfsAuth *auth = abfs_auth_new(cfg, http);
    GError *err = NULL;
    char *h1 = abfs_auth_header(auth, g_get_monotonic_time() + 10 * G_USEC_PER_SEC, &err);
    g_assert_no_error(err);
    g_assert_cmpstr(h1, ==, "Authorization: Bearer tok-1");
    char *h2 = abfs_auth_header(auth, g_get_monotonic_time() + 10 * G_USEC_PER_SEC, &err);
    g_assert_cmpstr(h2, ==, h1);
    g_assert_cmpuint(token_requests(fx), ==, 1);
    g_assert_true(abfs_auth_invalidate(auth, h1));
    char *h3 = abfs_auth_header(auth, g_get_monotonic_time() + 10 * G_USEC_PER_SEC, &err);
    g_assert_cmpstr(h3, ==, "Authorization: Bearer tok-2");
    /* a late 401 for the old token does not drop the newer one */
    g_assert_true(abfs_auth_invalidate(auth, h1));
    char *h4 = abfs_auth_header(auth, g_get_monotonic_time() + 10 * G_USEC_PER_SEC, &err);
    g_assert_cmpstr(h4, ==, h3);
    g_assert_cmpuint(token_requests(fx), ==, 2);
    g_free(h1);
    g_free(h2);
    g_free(h3);
    g_free(h4);
    abfs_auth_free(auth);
    abfs_config_free(cfg);

    /* bearer: nothing to refresh */
    cfg = config_for(fx->srv, "fixed", 5);
    auth = abfs_auth_new(cfg, http);
    char *h = abfs_auth_header(auth, g_get_monotonic_time() + 10 * G_USEC_PER_SEC, &err);
    g_assert_cmpstr(h, ==, "Authorization: Bearer fixed");
    g_assert_false(abfs_auth_invalidate(auth, h));
    g_free(h);
    abfs_auth_free(auth);
    abfs_config_free(cfg);
    abfs_http_free(http);
    g_assert_cmpuint(token_requests(fx), ==, 2);
    fx_free(fx);
}

static char *b64url(const char *text)
{
    char *b = g_base64_encode((const guchar *)text, strlen(text));
    for (char *p = b; *p; p++)
        *p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
    char *eq = strchr(b, '=');
    if (eq)
        *eq = '\0';
    return b;
}

static char *make_jwt(gint64 exp)
{
    char *payload = g_strdup_printf("{\"sub\":\"x\",\"exp\":%" G_GINT64_FORMAT "}", exp);
    char *h = b64url("{\"alg\":\"RS256\",\"typ\":\"JWT\"}");
    char *p = b64url(payload);
    char *jwt = g_strdup_printf("%s.%s.c2lnbmF0dXJl", h, p);
    g_free(payload);
    g_free(h);
    g_free(p);
    return jwt;
}

static void test_auth_jwt_seconds_left(void)
{
    gint64 now = 1700000000;
    for (gint64 d = 95; d <= 100; d++) { /* several payload lengths, so several paddings */
        char *jwt = make_jwt(now + d);
        g_assert_cmpint(abfs_auth_jwt_seconds_left(jwt, now), ==, d);
        g_free(jwt);
    }
    g_assert_cmpint(abfs_auth_jwt_seconds_left("not-a-jwt", now), ==, -1);
    g_assert_cmpint(abfs_auth_jwt_seconds_left("a.b", now), ==, -1);
    g_assert_cmpint(abfs_auth_jwt_seconds_left("a.!!!.c", now), ==, -1);
    g_assert_cmpint(abfs_auth_jwt_seconds_left("", now), ==, -1);
    char *noexp_p = b64url("{\"sub\":\"x\"}");
    char *noexp = g_strdup_printf("e30.%s.c2ln", noexp_p);
    g_assert_cmpint(abfs_auth_jwt_seconds_left(noexp, now), ==, -1);
    g_free(noexp);
    g_free(noexp_p);
}

/* A JWT whose exp comes before expires_in: the token is refreshed by the JWT's clock. */
static void test_auth_jwt_expiry_refreshes(void)
{
    Fx *fx = fx_new();
    fx->api->token_value = make_jwt(g_get_real_time() / G_USEC_PER_SEC + 2);
    GError *err = NULL;
    g_assert_true(abfs_client_call(fx->client, ABFS_API_PUBLIC, "GET", "/workspaces/" WS, NULL,
                                   ABFS_CALL_IDEMPOTENT, NULL, &err));
    g_assert_no_error(err);
    g_assert_cmpuint(token_requests(fx), ==, 1);
    g_usleep(1100 * 1000); /* the 2 s token must not outlive its usable part (auth.h: 60 s margin) */
    g_assert_true(abfs_client_call(fx->client, ABFS_API_PUBLIC, "GET", "/workspaces/" WS, NULL,
                                   ABFS_CALL_IDEMPOTENT, NULL, &err));
    g_assert_no_error(err);
    g_assert_cmpuint(token_requests(fx), ==, 2);
    fx_free(fx);
}

typedef struct {
    AbfsClient *client;
    gboolean ok;
} CallThread;

static gpointer call_thread(gpointer p)
{
    CallThread *t = p;
    GError *err = NULL;
    t->ok = abfs_client_call(t->client, ABFS_API_PUBLIC, "GET", "/workspaces/" WS, NULL,
                             ABFS_CALL_IDEMPOTENT, NULL, &err);
    g_clear_error(&err);
    return NULL;
}

static void test_auth_concurrent_share_one_fetch(void)
{
    Fx *fx = fx_new();
    fx->api->token_delay_ms = 200;
    CallThread t[8];
    GThread *th[8];
    for (int i = 0; i < 8; i++) {
        t[i].client = fx->client;
        t[i].ok = FALSE;
        th[i] = g_thread_new("call", call_thread, &t[i]);
    }
    for (int i = 0; i < 8; i++) {
        g_thread_join(th[i]);
        g_assert_true(t[i].ok);
    }
    g_assert_cmpuint(token_requests(fx), ==, 1);
    g_assert_cmpuint(fake_count(fx->srv, "GET", NULL), ==, 8);
    fx_free(fx);
}

static void test_client_retries_idempotent_503(void)
{
    Fx *fx = fx_new();
    api_push(fx->api, 503, "{\"title\":\"service-unavailable\"}", 0);
    api_push(fx->api, 503, "", 0);
    GError *err = NULL;
    json_object *ws = abfs_workspace_get(fx->client, WS, &err);
    g_assert_no_error(err);
    g_assert_nonnull(ws);
    json_object_put(ws);
    g_assert_cmpuint(fake_count(fx->srv, "GET", "/api/public/v1/workspaces/" WS), ==, 3);

    /* 429 too */
    api_push(fx->api, 429, "{\"message\":\"You are being rate limited.\"}", 0);
    g_assert_true(abfs_client_call(fx->client, ABFS_API_PUBLIC, "GET", "/workspaces/" WS, NULL,
                                   ABFS_CALL_IDEMPOTENT, NULL, &err));
    g_assert_no_error(err);
    g_assert_cmpuint(fake_count(fx->srv, "GET", "/api/public/v1/workspaces/" WS), ==, 5);
    fx_free(fx);
}

static void test_client_retries_are_bounded(void)
{
    Fx *fx = fx_new_full(NULL, 1); /* a 1 s deadline */
    api_set_default(fx->api, 503, "{\"title\":\"service-unavailable\",\"detail\":\"down\"}");
    gint64 start = g_get_monotonic_time();
    GError *err = NULL;
    g_assert_false(abfs_client_call(fx->client, ABFS_API_PUBLIC, "GET", "/workspaces/" WS, NULL,
                                    ABFS_CALL_IDEMPOTENT, NULL, &err));
    gint64 took_ms = (g_get_monotonic_time() - start) / 1000;
    g_assert_error(err, ABFS_ERROR, EIO);
    g_assert_cmpint(abfs_error_http_status(err), ==, 503);
    g_clear_error(&err);
    guint n = fake_count(fx->srv, "GET", NULL);
    g_assert_cmpuint(n, >=, 2);
    g_assert_cmpuint(n, <=, 6);
    g_assert_cmpint(took_ms, <, 2500);
    fx_free(fx);
}

static void test_client_no_retry_non_idempotent(void)
{
    Fx *fx = fx_new();
    api_push(fx->api, 503, "{\"title\":\"service-unavailable\",\"detail\":\"try later\"}", 0);
    json_object *body = json_tokener_parse("{\"connectionId\":\"" CONN_A "\",\"jobType\":\"sync\"}");
    GError *err = NULL;
    g_assert_false(abfs_client_call(fx->client, ABFS_API_PUBLIC, "POST", "/jobs", body, ABFS_CALL_DEFAULT,
                                    NULL, &err));
    g_assert_error(err, ABFS_ERROR, EIO);
    g_assert_cmpint(abfs_error_http_status(err), ==, 503);
    g_clear_error(&err);
    g_assert_cmpuint(fake_count(fx->srv, "POST", "/api/public/v1/jobs"), ==, 1);
    FakeRequest *r = fake_nth(fx->srv, "POST", "/api/public/v1/jobs", 0);
    g_assert_nonnull(r);
    if (r) {
        json_object *sent = json_tokener_parse(r->body);
        g_assert_true(json_object_equal(sent, body));
        json_object_put(sent);
        g_assert_nonnull(strstr(fake_header(r, "Content-Type"), "application/json"));
    }
    json_object_put(body);
    fx_free(fx);
}

static void test_client_404_is_enoent(void)
{
    Fx *fx = fx_new();
    GString *b = g_string_new(NULL);
    problem(b, 404, "resource-not-found", "The requested resource could not be found.");
    api_push(fx->api, 404, b->str, 0);
    GError *err = NULL;
    json_object *c = abfs_connection_get(fx->client, WS, CONN_A, &err);
    g_assert_null(c);
    g_assert_error(err, ABFS_ERROR, ENOENT);
    if (err) {
        g_assert_nonnull(strstr(err->message, "The requested resource could not be found."));
        g_assert_cmpint(abfs_error_http_status(err), ==, 404);
    }
    g_clear_error(&err);
    g_assert_cmpuint(fake_count(fx->srv, "GET", "/api/public/v1/connections/" CONN_A), ==, 1);

    /* the workspace too */
    api_push(fx->api, 404, b->str, 0);
    json_object *ws = abfs_workspace_get(fx->client, WS, &err);
    g_assert_null(ws);
    g_assert_error(err, ABFS_ERROR, ENOENT);
    g_clear_error(&err);
    g_string_free(b, TRUE);
    fx_free(fx);
}

static void test_client_errno_statuses(void)
{
    Fx *fx = fx_new();
    const struct {
        int status, err;
    } rows[] = {{400, EINVAL}, {403, EPERM}, {409, EBUSY}, {422, EINVAL}, {423, EBUSY}};
    for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
        api_push(fx->api, rows[i].status, "{\"detail\":\"server says no\"}", 0);
        GError *err = NULL;
        g_assert_false(abfs_client_call(fx->client, ABFS_API_PUBLIC, "PATCH", "/connections/" CONN_A, NULL,
                                        ABFS_CALL_DEFAULT, NULL, &err));
        g_assert_error(err, ABFS_ERROR, rows[i].err);
        if (err) {
            char *want = g_strdup_printf("HTTP %d: server says no", rows[i].status);
            g_assert_cmpstr(err->message, ==, want);
            g_free(want);
        }
        g_clear_error(&err);
    }
    fx_free(fx);
}

static void test_client_malformed_json(void)
{
    Fx *fx = fx_new();
    const char *bodies[] = {"{\"workspaceId\": [", "{} trailing", "<html>oops</html>", "{\"a\":1}}"};
    for (gsize i = 0; i < G_N_ELEMENTS(bodies); i++) {
        api_push(fx->api, 200, bodies[i], 0);
        GError *err = NULL;
        json_object *out = NULL;
        g_assert_false(abfs_client_call(fx->client, ABFS_API_PUBLIC, "GET", "/workspaces/" WS, NULL,
                                        ABFS_CALL_DEFAULT, &out, &err));
        g_assert_null(out);
        g_assert_error(err, ABFS_ERROR, EIO);
        g_clear_error(&err);
    }
    fx_free(fx);
}

static void test_client_empty_body(void)
{
    Fx *fx = fx_new();
    api_push(fx->api, 204, "", 0);
    GError *err = NULL;
    json_object *out = (json_object *)0x1;
    g_assert_true(abfs_client_call(fx->client, ABFS_API_PUBLIC, "DELETE", "/connections/" CONN_A, NULL,
                                   ABFS_CALL_DEFAULT, &out, &err));
    g_assert_no_error(err);
    g_assert_null(out);
    fx_free(fx);
}

static void test_client_config_api(void)
{
    Fx *fx = fx_new();
    api_push(fx->api, 200, "{\"stateType\":\"not_set\",\"connectionId\":\"" CONN_A "\"}", 0);
    json_object *body = json_tokener_parse("{\"connectionId\":\"" CONN_A "\"}");
    json_object *out = NULL;
    GError *err = NULL;
    g_assert_true(abfs_client_call(fx->client, ABFS_API_CONFIG, "POST", "/state/get", body,
                                   ABFS_CALL_IDEMPOTENT, &out, &err));
    g_assert_no_error(err);
    g_assert_cmpstr(abfs_json_string(out, "stateType"), ==, "not_set");
    json_object_put(out);
    json_object_put(body);
    FakeRequest *r = fake_nth(fx->srv, "POST", "/api/v1/state/get", 0);
    g_assert_nonnull(r);
    if (r)
        g_assert_cmpstr(fake_header(r, "Authorization"), ==, "Bearer tok-1");
    fx_free(fx);

    /* an unknown Config API root: ENOTSUP, nothing sent */
    Api *api = api_new();
    FakeServer *srv = fake_start(api_handler, api);
    AbfsConfig *cfg = abfs_config_new();
    char *root = g_strdup_printf("%s/gateway", srv->root);
    abfs_config_set(&cfg->api_root, root);
    g_free(root);
    abfs_config_set(&cfg->workspace_id, WS);
    abfs_config_set(&cfg->bearer_token, "t");
    g_assert_true(abfs_config_finish(cfg, &err));
    AbfsClient *client = abfs_client_new(cfg, FALSE, NULL);
    g_assert_false(abfs_client_call(client, ABFS_API_CONFIG, "POST", "/state/get", NULL, ABFS_CALL_DEFAULT,
                                    NULL, &err));
    g_assert_error(err, ABFS_ERROR, ENOTSUP);
    g_clear_error(&err);
    g_assert_cmpuint(fake_count(srv, NULL, NULL), ==, 0);
    abfs_client_free(client);
    fake_free(srv);
    api_free(api);
}

static void test_client_unreachable(void)
{
    Fx *fx = fx_new_full("t", 5);
    fake_shutdown(fx->srv);
    GError *err = NULL;
    g_assert_false(abfs_client_call(fx->client, ABFS_API_PUBLIC, "POST", "/jobs", NULL, ABFS_CALL_DEFAULT,
                                    NULL, &err));
    g_assert_error(err, ABFS_ERROR, ENOTCONN);
    g_clear_error(&err);
    fx_free(fx);
}

static void test_client_backoff(void)
{
    GRand *rand = g_rand_new_with_seed(42);
    const gint64 base = 200000, cap = 5000000;
    for (guint attempt = 0; attempt < 12; attempt++) {
        gint64 ceiling = MIN(cap, base << MIN(attempt, 20u));
        for (int k = 0; k < 50; k++) {
            gint64 w = abfs_client_backoff_us(attempt, base, cap, rand);
            g_assert_cmpint(w, >=, 0);
            g_assert_cmpint(w, <=, ceiling);
        }
    }
    /* jitter: not always the same */
    gint64 first = abfs_client_backoff_us(3, base, cap, rand);
    gboolean differs = FALSE;
    for (int k = 0; k < 20 && !differs; k++)
        differs = abfs_client_backoff_us(3, base, cap, rand) != first;
    g_assert_true(differs);
    g_rand_free(rand);
}

/* ---------------------------------------------------------------------------------------------
 * resources over HTTP
 * ------------------------------------------------------------------------------------------- */

/* resources.h: the parallel walk returns items in server order; with a hint it asks for exactly
 * the pages that exist; without one, past the sequential pages, at most parallel-1 extra. */
static void check_list_parallel(guint total, guint hint, guint parallel, guint min_requests, guint max_requests)
{
    Fx *fx = fx_new();
    api_add_conns(fx->api, total);
    GPtrArray *items = NULL;
    guint pages = 0;
    GError *err = NULL;
    g_assert_true(abfs_list_all_parallel(fx->client, "/connections", "workspaceIds=" WS, hint, parallel, NULL, NULL, NULL, &items,
                                         &pages, &err));
    g_assert_no_error(err);
    g_assert_cmpuint(items->len, ==, total);
    for (guint i = 0; i < items->len; i++) {
        char *id = conn_id_for(i);
        g_assert_cmpstr(abfs_json_string(g_ptr_array_index(items, i), "connectionId"), ==, id);
        g_free(id);
    }
    g_assert_cmpuint(pages, >=, min_requests);
    g_assert_cmpuint(pages, <=, max_requests);
    g_assert_cmpuint(list_requests(fx), ==, pages);
    g_ptr_array_free(items, TRUE);
    fx_free(fx);
}

static void test_list_parallel(void)
{
    check_list_parallel(250, 0, 8, 3, 3);     /* small: sequential, exact */
    check_list_parallel(1234, 0, 8, 13, 13 + 7);
    check_list_parallel(1234, 1234, 8, 13, 13); /* the hint is right: exact */
    check_list_parallel(1234, 1000, 8, 13, 13); /* it grew: one more page, found one by one */
    check_list_parallel(1234, 2000, 8, 13, 21); /* it shrank: the hinted pages are asked */
    check_list_parallel(0, 0, 8, 1, 1);
}

static void check_list(guint total, guint expected_requests)
{
    Fx *fx = fx_new();
    api_add_conns(fx->api, total);
    GPtrArray *items = NULL;
    guint pages = 0;
    GError *err = NULL;
    g_assert_true(abfs_list_all(fx->client, "/connections", "workspaceIds=" WS, &items, &pages, &err));
    g_assert_no_error(err);
    g_assert_nonnull(items);
    if (!items) {
        fx_free(fx);
        return;
    }
    g_assert_cmpuint(items->len, ==, total);
    for (guint i = 0; i < items->len; i++) {
        char *id = conn_id_for(i);
        g_assert_cmpstr(abfs_json_string(g_ptr_array_index(items, i), "connectionId"), ==, id);
        g_free(id);
    }
    g_assert_cmpuint(pages, ==, expected_requests);
    g_assert_cmpuint(list_requests(fx), ==, expected_requests);
    /* only GET /connections, with computed offsets: `next` (a dead host) is never followed */
    g_assert_cmpuint(fake_count(fx->srv, "GET", NULL), ==, expected_requests);
    for (guint i = 0; i < expected_requests; i++) {
        FakeRequest *r = fake_nth(fx->srv, "GET", LIST_PATH, i);
        g_assert_nonnull(r);
        if (!r)
            continue;
        char *want = g_strdup_printf("workspaceIds=" WS "&limit=100&offset=%u", i * 100);
        g_assert_cmpstr(r->query, ==, want);
        g_free(want);
    }
    g_ptr_array_free(items, TRUE);
    fx_free(fx);
}

static void test_list_250(void)
{
    check_list(250, 3);
}

static void test_list_200(void)
{
    check_list(200, 3);
}

static void test_list_0(void)
{
    check_list(0, 1);
}

static void test_list_99_and_100(void)
{
    check_list(99, 1);
    check_list(100, 2);
}

static void test_list_without_query(void)
{
    Fx *fx = fx_new();
    api_add_conns(fx->api, 3);
    GPtrArray *items = NULL;
    GError *err = NULL;
    g_assert_true(abfs_list_all(fx->client, "/connections", NULL, &items, NULL, &err));
    g_assert_no_error(err);
    FakeRequest *r = fake_nth(fx->srv, "GET", LIST_PATH, 0);
    g_assert_nonnull(r);
    if (r)
        g_assert_cmpstr(r->query, ==, "limit=100&offset=0");
    if (items)
        g_ptr_array_free(items, TRUE);
    fx_free(fx);
}

static void test_list_malformed_page(void)
{
    const char *pages[] = {"{\"next\":\"\"}", "{\"data\":{}}", "{\"data\":[", "[]"};
    for (gsize i = 0; i < G_N_ELEMENTS(pages); i++) {
        Fx *fx = fx_new();
        fx->api->list_raw = pages[i];
        GPtrArray *items = NULL;
        GError *err = NULL;
        g_assert_false(abfs_list_all(fx->client, "/connections", "workspaceIds=" WS, &items, NULL, &err));
        g_assert_error(err, ABFS_ERROR, EIO);
        g_clear_error(&err);
        fx_free(fx);
    }
}

static void test_list_error_status(void)
{
    Fx *fx = fx_new();
    fx->api->list_status = 403;
    GPtrArray *items = NULL;
    GError *err = NULL;
    g_assert_false(abfs_list_all(fx->client, "/connections", "workspaceIds=" WS, &items, NULL, &err));
    g_assert_error(err, ABFS_ERROR, EPERM);
    g_clear_error(&err);
    fx_free(fx);
}

static void test_connections_list_filters(void)
{
    Fx *fx = fx_new();
    g_mutex_lock(&fx->api->lock);
    g_ptr_array_add(fx->api->conns, make_conn(CONN_A, WS, "a"));
    g_ptr_array_add(fx->api->conns, make_conn("cccccccc-0000-4000-8000-000000000003", OTHER_WS, "other"));
    g_ptr_array_add(fx->api->conns, make_conn("../../etc", WS, "evil"));
    g_ptr_array_add(fx->api->conns, make_conn("a/b", WS, "evil2"));
    json_object *broken = make_conn("dddddddd-0000-4000-8000-000000000004", WS, "broken");
    json_object_object_del(broken, "name");
    g_ptr_array_add(fx->api->conns, broken);
    g_ptr_array_add(fx->api->conns, json_object_new_string("not an object"));
    g_ptr_array_add(fx->api->conns, make_conn(CONN_B, WS, "b"));
    g_mutex_unlock(&fx->api->lock);

    GPtrArray *items = NULL;
    GError *err = NULL;
    g_assert_true(abfs_connections_list(fx->client, WS, 0, 1, &items, NULL, &err));
    g_assert_no_error(err);
    g_assert_nonnull(items);
    if (items) {
        g_assert_cmpuint(items->len, ==, 2);
        if (items->len == 2) {
            /* items are compact JSON texts */
            for (guint i = 0; i < 2; i++) {
                json_object *c = json_tokener_parse(g_ptr_array_index(items, i));
                g_assert_cmpstr(abfs_json_string(c, "connectionId"), ==, i == 0 ? CONN_A : CONN_B);
                json_object_put(c);
            }
        }
        g_ptr_array_free(items, TRUE);
    }
    FakeRequest *r = fake_nth(fx->srv, "GET", LIST_PATH, 0);
    g_assert_nonnull(r);
    if (r)
        g_assert_cmpstr(r->query, ==, "workspaceIds=" WS "&limit=100&offset=0");
    fx_free(fx);
}

static void test_connection_get(void)
{
    Fx *fx = fx_new();
    json_object *c = make_conn(CONN_A, WS, "mine");
    api_push(fx->api, 200, json_object_to_json_string(c), 0);
    json_object_put(c);
    GError *err = NULL;
    json_object *got = abfs_connection_get(fx->client, WS, CONN_A, &err);
    g_assert_no_error(err);
    g_assert_cmpstr(abfs_json_string(got, "name"), ==, "mine");
    json_object_put(got);

    /* of another workspace: ENOENT */
    c = make_conn(CONN_A, OTHER_WS, "theirs");
    api_push(fx->api, 200, json_object_to_json_string(c), 0);
    json_object_put(c);
    got = abfs_connection_get(fx->client, WS, CONN_A, &err);
    g_assert_null(got);
    g_assert_error(err, ABFS_ERROR, ENOENT);
    g_clear_error(&err);

    /* an unsafe id is never sent */
    guint before = fake_count(fx->srv, "GET", NULL);
    got = abfs_connection_get(fx->client, WS, "../workspaces", &err);
    g_assert_null(got);
    g_assert_nonnull(err);
    g_clear_error(&err);
    g_assert_cmpuint(fake_count(fx->srv, "GET", NULL), ==, before);

    /* a malformed connection is an error, not a crash */
    api_push(fx->api, 200, "{\"connectionId\":\"" CONN_A "\"}", 0);
    got = abfs_connection_get(fx->client, WS, CONN_A, &err);
    g_assert_null(got);
    g_assert_error(err, ABFS_ERROR, EIO);
    g_clear_error(&err);
    fx_free(fx);
}

static void test_workspace_get(void)
{
    Fx *fx = fx_new();
    GError *err = NULL;
    json_object *ws = abfs_workspace_get(fx->client, WS, &err);
    g_assert_no_error(err);
    g_assert_cmpstr(abfs_json_string(ws, "workspaceId"), ==, WS);
    json_object_put(ws);
    g_assert_cmpuint(fake_count(fx->srv, "GET", "/api/public/v1/workspaces/" WS), ==, 1);
    /* an unsafe workspace id is never sent */
    ws = abfs_workspace_get(fx->client, "../connections", &err);
    g_assert_null(ws);
    g_assert_nonnull(err);
    g_clear_error(&err);
    g_assert_cmpuint(fake_count(fx->srv, "GET", NULL), ==, 1);
    fx_free(fx);
}

/* ---------------------------------------------------------------------------------------------
 * store
 * ------------------------------------------------------------------------------------------- */

static AbfsStore *store_for(Fx *fx, guint ttl_ms)
{
    return abfs_store_new(fx->client, WS, "https://cloud.airbyte.com", ttl_ms);
}

static AbfsSnapshot *snap_ok(AbfsStore *store)
{
    GError *err = NULL;
    AbfsSnapshot *s = abfs_store_snapshot(store, &err);
    g_assert_no_error(err);
    g_assert_nonnull(s);
    return s;
}

/* Renderings handed to assertions live until the end of the run. */
static GPtrArray *arena;

static const char *keep(char *s)
{
    if (!arena)
        arena = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(arena, s);
    return s;
}

static const char *entry_file(AbfsSnapshot *s, const char *id, const char *file)
{
    AbfsEntry *e = s ? abfs_snapshot_lookup(s, id) : NULL;
    int i = abfs_connection_file_index(file);
    if (!e || i < 0)
        return NULL;
    return keep(abfs_entry_render(e, (guint)i, NULL));
}

static gint64 entry_mtime(AbfsSnapshot *s, const char *id, const char *file)
{
    AbfsEntry *e = s ? abfs_snapshot_lookup(s, id) : NULL;
    int i = abfs_connection_file_index(file);
    if (!e || i < 0)
        return -1;
    return abfs_entry_mtime(e, (guint)i);
}

static void test_store_snapshot_content(void)
{
    Fx *fx = fx_new();
    g_mutex_lock(&fx->api->lock);
    g_ptr_array_add(fx->api->conns, make_conn(CONN_B, WS, "bee"));
    g_ptr_array_add(fx->api->conns, make_conn(CONN_A, WS, "ay"));
    g_ptr_array_add(fx->api->conns, make_conn("cccccccc-0000-4000-8000-000000000003", OTHER_WS, "other"));
    g_mutex_unlock(&fx->api->lock);
    AbfsStore *store = store_for(fx, 60000);
    gint64 before = g_get_real_time() / G_USEC_PER_SEC;
    AbfsSnapshot *s = snap_ok(store);
    if (s) {
        g_assert_cmpuint(abfs_snapshot_count(s), ==, 2);
        g_assert_cmpstr(abfs_snapshot_id(s, 0), ==, CONN_A); /* sorted */
        g_assert_cmpstr(abfs_snapshot_id(s, 1), ==, CONN_B);
        g_assert_null(abfs_snapshot_lookup(s, "cccccccc-0000-4000-8000-000000000003"));
        g_assert_null(abfs_snapshot_lookup(s, "nope"));
        g_assert_cmpint(abfs_snapshot_time(s), >=, before);
        AbfsEntry *e = abfs_snapshot_lookup(s, CONN_A);
        g_assert_nonnull(e);
        if (e) {
            g_assert_cmpstr(abfs_entry_field(e, ABFS_ENTRY_NAME), ==, "ay");
            gsize len = 0;
            const char *name = keep(abfs_entry_render(e, (guint)abfs_connection_file_index("name"), &len));
            g_assert_cmpstr(name, ==, "ay\n");
            g_assert_cmpuint(len, ==, 3);
            g_assert_cmpuint(abfs_entry_size(e, (guint)abfs_connection_file_index("name")), ==, 3);
            g_assert_cmpint(abfs_entry_mtime(e, (guint)abfs_connection_file_index("name")), ==, 1000);
        }
        g_assert_cmpstr(entry_file(s, CONN_A, "url"), ==,
                        "https://cloud.airbyte.com/workspaces/" WS "/connections/" CONN_A "\n");
    }
    const AbfsRenderContext *ctx = abfs_store_render_context(store);
    g_assert_cmpstr(ctx->workspace_id, ==, WS);
    g_assert_cmpstr(ctx->web_root, ==, "https://cloud.airbyte.com");
    abfs_snapshot_unref(s);
    abfs_store_free(store);
    fx_free(fx);
}

static void test_store_ttl(void)
{
    Fx *fx = fx_new();
    api_add_conns(fx->api, 3);
    AbfsStore *store = store_for(fx, 60000);
    AbfsSnapshot *a = snap_ok(store);
    AbfsSnapshot *b = snap_ok(store);
    g_assert_cmpuint(abfs_store_walks(store), ==, 1);
    g_assert_cmpuint(list_requests(fx), ==, 1);
    g_assert_true(a == b);
    abfs_snapshot_unref(a);
    abfs_snapshot_unref(b);
    abfs_store_free(store);

    /* an expired TTL walks again */
    store = store_for(fx, 50);
    a = snap_ok(store);
    g_usleep(80 * 1000);
    b = snap_ok(store);
    g_assert_cmpuint(abfs_store_walks(store), ==, 2);
    abfs_snapshot_unref(a);
    abfs_snapshot_unref(b);
    abfs_store_free(store);

    /* ttl 0: every call walks */
    store = store_for(fx, 0);
    for (int i = 0; i < 3; i++)
        abfs_snapshot_unref(snap_ok(store));
    g_assert_cmpuint(abfs_store_walks(store), ==, 3);
    abfs_store_free(store);
    fx_free(fx);
}

static void test_store_invalidate(void)
{
    Fx *fx = fx_new();
    api_add_conns(fx->api, 2);
    AbfsStore *store = store_for(fx, 60000);
    AbfsSnapshot *a = snap_ok(store);
    abfs_store_invalidate(store);
    AbfsSnapshot *b = snap_ok(store);
    g_assert_cmpuint(abfs_store_walks(store), ==, 2);
    g_assert_cmpuint(list_requests(fx), ==, 2);
    AbfsSnapshot *c = snap_ok(store);
    g_assert_cmpuint(abfs_store_walks(store), ==, 2); /* fresh again */
    g_assert_true(b == c);
    /* the old snapshot stays readable while referenced */
    g_assert_cmpuint(abfs_snapshot_count(a), ==, 2);
    abfs_snapshot_unref(a);
    abfs_snapshot_unref(b);
    abfs_snapshot_unref(c);
    abfs_store_free(store);
    fx_free(fx);
}

static void test_store_mtime(void)
{
    Fx *fx = fx_new();
    g_mutex_lock(&fx->api->lock);
    g_ptr_array_add(fx->api->conns, make_conn(CONN_A, WS, "first"));
    g_ptr_array_add(fx->api->conns, make_conn(CONN_B, WS, "steady"));
    g_mutex_unlock(&fx->api->lock);
    AbfsStore *store = store_for(fx, 60000);
    AbfsSnapshot *s1 = snap_ok(store);
    /* first seen: createdAt */
    g_assert_cmpint(entry_mtime(s1, CONN_A, "name"), ==, 1000);
    g_assert_cmpint(entry_mtime(s1, CONN_A, "prefix"), ==, 1000);

    /* nothing changed: same entries, same times */
    abfs_store_invalidate(store);
    AbfsSnapshot *s2 = snap_ok(store);
    g_assert_cmpuint(abfs_store_walks(store), ==, 2);
    g_assert_true(abfs_snapshot_lookup(s2, CONN_A) == abfs_snapshot_lookup(s1, CONN_A));
    g_assert_cmpint(entry_mtime(s2, CONN_A, "name"), ==, 1000);

    /* the name changes remotely */
    api_rename(fx->api, CONN_A, "second");
    gint64 before = g_get_real_time() / G_USEC_PER_SEC;
    abfs_store_invalidate(store);
    AbfsSnapshot *s3 = snap_ok(store);
    g_assert_cmpstr(entry_file(s3, CONN_A, "name"), ==, "second\n");
    g_assert_cmpint(entry_mtime(s3, CONN_A, "name"), >=, before);
    g_assert_cmpint(entry_mtime(s3, CONN_A, "prefix"), ==, 1000); /* unchanged file keeps its time */
    g_assert_cmpint(entry_mtime(s3, CONN_A, "schedule"), ==, 1000);
    if (abfs_connection_file_index("connection.json") >= 0)
        g_assert_cmpint(entry_mtime(s3, CONN_A, "connection.json"), >=, before);
    /* the other connection keeps its entry */
    g_assert_true(abfs_snapshot_lookup(s3, CONN_B) == abfs_snapshot_lookup(s1, CONN_B));
    /* the old snapshot is immutable */
    g_assert_cmpstr(entry_file(s1, CONN_A, "name"), ==, "first\n");
    gint64 renamed_at = entry_mtime(s3, CONN_A, "name");

    /* a later walk with the same value keeps the time of the change */
    g_usleep(1100 * 1000);
    abfs_store_invalidate(store);
    AbfsSnapshot *s4 = snap_ok(store);
    g_assert_cmpint(entry_mtime(s4, CONN_A, "name"), ==, renamed_at);

    abfs_snapshot_unref(s1);
    abfs_snapshot_unref(s2);
    abfs_snapshot_unref(s3);
    abfs_snapshot_unref(s4);
    abfs_store_free(store);
    fx_free(fx);
}

static void test_store_put_connection(void)
{
    Fx *fx = fx_new();
    g_mutex_lock(&fx->api->lock);
    g_ptr_array_add(fx->api->conns, make_conn(CONN_A, WS, "old"));
    g_ptr_array_add(fx->api->conns, make_conn(CONN_B, WS, "other"));
    g_mutex_unlock(&fx->api->lock);
    AbfsStore *store = store_for(fx, 60000);
    AbfsSnapshot *s1 = snap_ok(store);
    guint requests = fake_count(fx->srv, NULL, NULL);

    gint64 before = g_get_real_time() / G_USEC_PER_SEC;
    abfs_store_put_connection(store, make_conn(CONN_A, WS, "new")); /* takes the reference */
    AbfsSnapshot *s2 = snap_ok(store);
    g_assert_cmpuint(abfs_store_walks(store), ==, 1);
    g_assert_cmpuint(fake_count(fx->srv, NULL, NULL), ==, requests); /* no request at all */
    g_assert_cmpuint(abfs_snapshot_count(s2), ==, 2);
    g_assert_cmpstr(entry_file(s2, CONN_A, "name"), ==, "new\n");
    g_assert_cmpint(entry_mtime(s2, CONN_A, "name"), >=, before);
    g_assert_cmpint(entry_mtime(s2, CONN_A, "prefix"), ==, 1000);
    g_assert_true(abfs_snapshot_lookup(s2, CONN_B) == abfs_snapshot_lookup(s1, CONN_B));
    g_assert_cmpstr(entry_file(s1, CONN_A, "name"), ==, "old\n"); /* the old snapshot is unchanged */
    /* the snapshot keeps its age: still fresh, no walk */
    AbfsSnapshot *s3 = snap_ok(store);
    g_assert_cmpuint(abfs_store_walks(store), ==, 1);
    abfs_snapshot_unref(s3);

    /* abfs_store_entry: a reference to the current entry; ENOENT for an unknown id */
    GError *err = NULL;
    AbfsEntry *e = abfs_store_entry(store, CONN_A, &err);
    g_assert_no_error(err);
    g_assert_nonnull(e);
    if (e) {
        g_assert_cmpstr(abfs_entry_field(e, ABFS_ENTRY_NAME), ==, "new");
        abfs_entry_unref(e);
    }
    e = abfs_store_entry(store, "cccccccc-0000-4000-8000-000000000003", &err);
    g_assert_null(e);
    g_assert_error(err, ABFS_ERROR, ENOENT);
    g_clear_error(&err);
    g_assert_cmpuint(abfs_store_walks(store), ==, 1);

    abfs_snapshot_unref(s1);
    abfs_snapshot_unref(s2);
    abfs_store_free(store);
    fx_free(fx);
}

typedef struct {
    AbfsStore *store;
    GMutex *lock;
    GCond *cond;
    gboolean *go;
    AbfsSnapshot *snap;
} SnapThread;

static gpointer snap_thread(gpointer p)
{
    SnapThread *t = p;
    if (t->lock) {
        g_mutex_lock(t->lock);
        while (!*t->go)
            g_cond_wait(t->cond, t->lock);
        g_mutex_unlock(t->lock);
    }
    GError *err = NULL;
    t->snap = abfs_store_snapshot(t->store, &err);
    g_clear_error(&err);
    return NULL;
}

static void test_store_single_flight(void)
{
    Fx *fx = fx_new_full("t", 0);
    api_add_conns(fx->api, 5);
    fx->api->list_delay_ms = 300;
    AbfsStore *store = store_for(fx, 60000);
    GMutex lock;
    GCond cond;
    gboolean go = FALSE;
    g_mutex_init(&lock);
    g_cond_init(&cond);
    SnapThread t[8];
    GThread *th[8];
    for (int i = 0; i < 8; i++) {
        t[i] = (SnapThread){store, &lock, &cond, &go, NULL};
        th[i] = g_thread_new("snap", snap_thread, &t[i]);
    }
    g_mutex_lock(&lock);
    go = TRUE;
    g_cond_broadcast(&cond);
    g_mutex_unlock(&lock);
    for (int i = 0; i < 8; i++)
        g_thread_join(th[i]);
    g_assert_cmpuint(abfs_store_walks(store), ==, 1);
    g_assert_cmpuint(list_requests(fx), ==, 1);
    for (int i = 0; i < 8; i++) {
        g_assert_nonnull(t[i].snap);
        if (t[i].snap)
            g_assert_cmpuint(abfs_snapshot_count(t[i].snap), ==, 5);
        abfs_snapshot_unref(t[i].snap);
    }
    g_mutex_clear(&lock);
    g_cond_clear(&cond);
    abfs_store_free(store);
    fx_free(fx);
}

static void test_store_serves_last_snapshot_when_unreachable(void)
{
    Fx *fx = fx_new_full("t", 1);
    api_add_conns(fx->api, 2);
    AbfsStore *store = store_for(fx, 60000);
    AbfsSnapshot *a = snap_ok(store);
    fake_shutdown(fx->srv);
    abfs_store_invalidate(store);
    GError *err = NULL;
    AbfsSnapshot *b = abfs_store_snapshot(store, &err);
    g_assert_no_error(err);
    g_clear_error(&err);
    g_assert_true(b == a);
    abfs_snapshot_unref(a);
    abfs_snapshot_unref(b);
    abfs_store_free(store);
    fx_free(fx);
}

static void test_store_error_without_snapshot(void)
{
    Fx *fx = fx_new_full("t", 0);
    fx->api->list_status = 403;
    AbfsStore *store = store_for(fx, 60000);
    GError *err = NULL;
    AbfsSnapshot *s = abfs_store_snapshot(store, &err);
    g_assert_null(s);
    g_assert_error(err, ABFS_ERROR, EPERM);
    g_clear_error(&err);
    /* and a refusal is not hidden by an old snapshot */
    fx->api->list_status = 0;
    api_add_conns(fx->api, 1);
    abfs_snapshot_unref(snap_ok(store));
    fx->api->list_status = 403;
    abfs_store_invalidate(store);
    s = abfs_store_snapshot(store, &err);
    g_assert_null(s);
    g_assert_error(err, ABFS_ERROR, EPERM);
    g_clear_error(&err);
    abfs_snapshot_unref(s);
    abfs_store_free(store);
    fx_free(fx);
}

/* A PATCH answer put while a walk (started before the PATCH) is in flight must not be undone by
 * that walk's older listing: otherwise `echo new > name; cat name` shows the old name. */
static void test_store_put_during_walk_survives(void)
{
    Fx *fx = fx_new_full("t", 0);
    g_mutex_lock(&fx->api->lock);
    g_ptr_array_add(fx->api->conns, make_conn(CONN_A, WS, "old"));
    g_mutex_unlock(&fx->api->lock);
    AbfsStore *store = store_for(fx, 60000);
    abfs_snapshot_unref(snap_ok(store));

    /* a walk starts and the server holds its answer */
    g_mutex_lock(&fx->api->lock);
    fx->api->gate_closed = TRUE;
    g_mutex_unlock(&fx->api->lock);
    abfs_store_invalidate(store);
    SnapThread t = {store, NULL, NULL, NULL, NULL};
    GThread *th = g_thread_new("walk", snap_thread, &t);
    for (int i = 0; i < 500 && list_requests(fx) < 2; i++)
        g_usleep(2000);
    g_assert_cmpuint(list_requests(fx), ==, 2);

    /* meanwhile a PATCH succeeded and its answer is put */
    abfs_store_put_connection(store, make_conn(CONN_A, WS, "new"));
    api_open_gate(fx->api);
    g_thread_join(th);
    abfs_snapshot_unref(t.snap);

    AbfsSnapshot *s = snap_ok(store);
    g_assert_cmpstr(entry_file(s, CONN_A, "name"), ==, "new\n");
    abfs_snapshot_unref(s);
    abfs_store_free(store);
    fx_free(fx);
}

/* The same, when the walk read a value the snapshot did not have yet: the walked entry is new
 * (one reference), and replacing it by the put one must not leave the listing's ids pointing into
 * the freed entry (a use-after-free ASan reported with 32 writers and cache_ttl=1). */
static void test_store_put_during_walk_of_changed_value(void)
{
    Fx *fx = fx_new_full("t", 0);
    g_mutex_lock(&fx->api->lock);
    g_ptr_array_add(fx->api->conns, make_conn(CONN_A, WS, "old"));
    g_mutex_unlock(&fx->api->lock);
    AbfsStore *store = store_for(fx, 60000);
    abfs_snapshot_unref(snap_ok(store));

    api_rename(fx->api, CONN_A, "walked");
    g_mutex_lock(&fx->api->lock);
    fx->api->gate_closed = TRUE;
    g_mutex_unlock(&fx->api->lock);
    abfs_store_invalidate(store);
    SnapThread t = {store, NULL, NULL, NULL, NULL};
    GThread *th = g_thread_new("walk", snap_thread, &t);
    for (int i = 0; i < 500 && list_requests(fx) < 2; i++)
        g_usleep(2000);
    g_assert_cmpuint(list_requests(fx), ==, 2);
    abfs_store_put_connection(store, make_conn(CONN_A, WS, "new"));
    api_open_gate(fx->api);
    g_thread_join(th);
    abfs_snapshot_unref(t.snap);

    AbfsSnapshot *s = snap_ok(store);
    g_assert_cmpuint(abfs_snapshot_count(s), ==, 1);
    g_assert_cmpstr(abfs_snapshot_id(s, 0), ==, CONN_A);
    g_assert_cmpstr(entry_file(s, CONN_A, "name"), ==, "new\n");
    abfs_snapshot_unref(s);
    abfs_store_free(store);
    fx_free(fx);
}

/* A connection whose configurations nest `levels` deep (arrays inside arrays). */
static json_object *make_deep_conn(const char *id, const char *name, guint levels)
{
    json_object *conn = make_conn(id, WS, name);
    json_object *deep = json_object_new_string("bottom");
    for (guint i = 0; i < levels; i++) {
        json_object *outer = json_object_new_array();
        json_object_array_add(outer, deep);
        deep = outer;
    }
    json_object *configurations = json_object_object_get(conn, "configurations");
    json_object_object_add(configurations, "deep", deep);
    return conn;
}

static void collect_notice(int errnum, const char *message, gpointer data)
{
    g_assert_cmpint(errnum, ==, EIO);
    g_ptr_array_add(data, g_strdup(message));
}

/* Deep JSON neither crashes the store nor hides the other connections: a connection 40 levels
 * deep (past json-c's default of 32) is kept and renders; one deeper than the bound is dropped and
 * said once, however many walks see it. */
static void test_store_deep_connections(void)
{
    Fx *fx = fx_new_full("t", 0);
    g_mutex_lock(&fx->api->lock);
    g_ptr_array_add(fx->api->conns, make_conn(CONN_A, WS, "plain"));
    g_ptr_array_add(fx->api->conns, make_deep_conn("bbbbbbbb-0000-4000-8000-000000000002", "forty", 40));
    g_ptr_array_add(fx->api->conns, make_deep_conn("cccccccc-0000-4000-8000-000000000003", "too deep", 1000));
    g_mutex_unlock(&fx->api->lock);
    AbfsStore *store = store_for(fx, 0);
    GPtrArray *notices = g_ptr_array_new_with_free_func(g_free);
    abfs_store_set_stale_hook(store, collect_notice, notices);
    for (int walk = 0; walk < 3; walk++) {
        AbfsSnapshot *s = snap_ok(store);
        g_assert_cmpuint(abfs_snapshot_count(s), ==, 2);
        g_assert_cmpstr(entry_file(s, CONN_A, "name"), ==, "plain\n");
        g_assert_cmpstr(entry_file(s, "bbbbbbbb-0000-4000-8000-000000000002", "name"), ==, "forty\n");
        g_assert_nonnull(strstr(entry_file(s, "bbbbbbbb-0000-4000-8000-000000000002", "connection.json"), "bottom"));
        g_assert_null(abfs_snapshot_lookup(s, "cccccccc-0000-4000-8000-000000000003"));
        abfs_snapshot_unref(s);
    }
    g_assert_cmpuint(notices->len, ==, 1);
    g_assert_nonnull(strstr(g_ptr_array_index(notices, 0), "cccccccc-0000-4000-8000-000000000003"));
    g_assert_nonnull(strstr(g_ptr_array_index(notices, 0), "deeper"));
    /* a single read of a deep connection before any walk works too */
    AbfsStore *cold = store_for(fx, 60000);
    json_object *forty = make_deep_conn("bbbbbbbb-0000-4000-8000-000000000002", "forty", 40);
    api_push(fx->api, 200, json_object_to_json_string_ext(forty, JSON_C_TO_STRING_PLAIN), 0);
    json_object_put(forty);
    GError *err = NULL;
    AbfsEntry *e = abfs_store_entry(cold, "bbbbbbbb-0000-4000-8000-000000000002", &err);
    g_assert_no_error(err);
    g_assert_cmpstr(abfs_entry_field(e, ABFS_ENTRY_ID), ==, "bbbbbbbb-0000-4000-8000-000000000002");
    abfs_entry_unref(e);
    abfs_store_free(cold);
    g_ptr_array_free(notices, TRUE);
    abfs_store_free(store);
    fx_free(fx);
}

/* ---------------------------------------------------------------------------------------------
 * issue 10: deadlines, exactly-once requests, lost answers
 * ------------------------------------------------------------------------------------------- */

/* -o timeout bounds a call as a whole: with every answer 1.5 s late and 503, a 2 s timeout ends
 * the call near 2 s, not after four attempts of 2 s each. */
static void test_client_timeout_bounds_retries(void)
{
    Fx *fx = fx_new_full("t", 2);
    for (int i = 0; i < 6; i++)
        api_push(fx->api, 503, "{\"title\":\"busy\"}", 1500);
    gint64 start = g_get_monotonic_time();
    GError *err = NULL;
    g_assert_false(abfs_client_call(fx->client, ABFS_API_PUBLIC, "GET", "/workspaces/" WS, NULL,
                                    ABFS_CALL_IDEMPOTENT, NULL, &err));
    gint64 took_ms = (g_get_monotonic_time() - start) / 1000;
    g_assert_nonnull(err);
    g_clear_error(&err);
    g_assert_cmpint(took_ms, <, 2300);
    fx_free(fx);
}

/* An operation deadline spans several calls: the second call gets only what is left. */
static void test_client_operation_deadline(void)
{
    Fx *fx = fx_new_full("t", 2);
    api_push(fx->api, 200, "{}", 1200);
    api_push(fx->api, 200, "{}", 1200);
    gint64 start = g_get_monotonic_time();
    gint64 saved = abfs_client_deadline_begin(fx->client);
    GError *err = NULL;
    g_assert_true(abfs_client_call(fx->client, ABFS_API_PUBLIC, "GET", "/a", NULL, ABFS_CALL_IDEMPOTENT, NULL, &err));
    g_assert_no_error(err);
    g_assert_false(abfs_client_call(fx->client, ABFS_API_PUBLIC, "GET", "/b", NULL, ABFS_CALL_IDEMPOTENT, NULL, &err));
    g_assert_error(err, ABFS_ERROR, ETIMEDOUT);
    g_clear_error(&err);
    abfs_client_deadline_end(saved);
    g_assert_cmpint(abfs_client_deadline(), ==, 0);
    g_assert_cmpint((g_get_monotonic_time() - start) / 1000, <, 2300);
    fx_free(fx);
}

/* A refusal whose body is cut is still the refusal (a 409 means nothing was done); a 2xx whose
 * body is cut is a lost answer. */
static void test_http_cut_bodies(void)
{
    Fx *fx = fx_new_full("t", 5);
    api_push_ex(fx->api, 409, "{\"title\":\"try-again-later\",\"detail\":\"A sync is already running for: x\"}", TRUE, NULL);
    GError *err = NULL;
    g_assert_false(abfs_client_call(fx->client, ABFS_API_PUBLIC, "POST", "/jobs", NULL, ABFS_CALL_DEFAULT, NULL, &err));
    g_assert_error(err, ABFS_ERROR, EBUSY);
    g_assert_false(abfs_error_outcome_unknown(err));
    g_clear_error(&err);
    api_push_ex(fx->api, 200, "{\"jobId\":7,\"status\":\"running\"}", TRUE, NULL);
    g_assert_false(abfs_client_call(fx->client, ABFS_API_PUBLIC, "POST", "/jobs", NULL, ABFS_CALL_DEFAULT, NULL, &err));
    g_assert_nonnull(err);
    g_assert_true(abfs_error_outcome_unknown(err));
    g_clear_error(&err);
    fx_free(fx);
}

/* A huge Retry-After neither overflows (UBSan) nor makes the call wait past its deadline. */
static void test_client_huge_retry_after(void)
{
    Fx *fx = fx_new_full("t", 1);
    api_push_ex(fx->api, 429, "{\"message\":\"You are being rate limited.\"}", FALSE,
                "Retry-After: 99999999999999999999\r\n");
    gint64 start = g_get_monotonic_time();
    GError *err = NULL;
    g_assert_false(abfs_client_call(fx->client, ABFS_API_PUBLIC, "GET", "/workspaces/" WS, NULL,
                                    ABFS_CALL_IDEMPOTENT, NULL, &err));
    g_assert_error(err, ABFS_ERROR, EAGAIN);
    g_clear_error(&err);
    g_assert_cmpint((g_get_monotonic_time() - start) / 1000, <, 1500);
    fx_free(fx);
}

/* One 503 from the token endpoint is tried again like any idempotent call, and waiting for a
 * token fetched by another thread never outlasts the caller's own deadline. */
static void test_auth_token_503_retried(void)
{
    Fx *fx = fx_new();
    fx->api->token_busy = 2;
    GError *err = NULL;
    json_object *ws = abfs_workspace_get(fx->client, WS, &err);
    g_assert_no_error(err);
    json_object_put(ws);
    g_assert_cmpuint(fake_count(fx->srv, "POST", TOKEN_PATH), ==, 3);
    fx_free(fx);
}

static const char *const JOB_DONE = "{\"jobId\":5,\"status\":\"succeeded\",\"jobType\":\"sync\",\"startTime\":\"2020-01-01T00:00:00Z\",\"connectionId\":\"" CONN_A "\"}";
static const char *const JOB_BUSY = "{\"jobId\":5,\"status\":\"running\",\"jobType\":\"sync\",\"startTime\":\"2020-01-01T00:00:00Z\",\"connectionId\":\"" CONN_A "\"}";

static char *job_page(const char *first, const char *second)
{
    return g_strdup_printf("{\"previous\":\"\",\"next\":\"\",\"data\":[%s%s%s]}", first ? first : "",
                           first && second ? "," : "", second ? second : "");
}

static char *job_now(gint64 id, const char *type)
{
    GDateTime *now = g_date_time_new_now_utc();
    char *when = g_date_time_format(now, "%Y-%m-%dT%H:%M:%SZ");
    char *job = g_strdup_printf("{\"jobId\":%" G_GINT64_FORMAT ",\"status\":\"running\",\"jobType\":\"%s\","
                                "\"startTime\":\"%s\",\"connectionId\":\"" CONN_A "\"}", id, type, when);
    g_free(when);
    g_date_time_unref(now);
    return job;
}

/* run's lost answer: the job list says whether this request started a job, and only a job it
 * started counts (never another client's). */
static void run_with_lost_answer(const char *before, const char *after, gboolean expect_ok, int expect_errno)
{
    Fx *fx = fx_new_full("t", 5);
    AbfsJobs *jobs = abfs_jobs_new(fx->client, 25, 1000);
    api_push(fx->api, 200, before, 0); /* the list before */
    api_push(fx->api, 0, "", 0);       /* POST /jobs: the connection drops, no answer */
    api_push(fx->api, 200, after, 0);  /* the list after */
    GError *err = NULL;
    char *id = NULL;
    gboolean ok = abfs_jobs_run(jobs, CONN_A, "sync", &id, &err);
    g_assert_cmpint(ok, ==, expect_ok);
    if (expect_ok) {
        g_assert_no_error(err);
        g_assert_cmpstr(id, ==, "6");
    } else
        g_assert_error(err, ABFS_ERROR, expect_errno);
    g_clear_error(&err);
    g_free(id);
    g_assert_cmpuint(fake_count(fx->srv, "POST", "/api/public/v1/jobs"), ==, 1);
    abfs_jobs_free(jobs);
    fx_free(fx);
}

static void test_jobs_run_lost_answer(void)
{
    char *six = job_now(6, "sync"), *seven = job_now(7, "sync"), *reset = job_now(6, "reset");
    char *before_done = job_page(JOB_DONE, NULL), *before_busy = job_page(JOB_BUSY, NULL);
    char *after_six = job_page(six, JOB_DONE), *after_none = job_page(JOB_DONE, NULL);
    char *after_two = job_page(seven, six), *after_reset = job_page(reset, JOB_DONE);
    char *old_six = job_page("{\"jobId\":6,\"status\":\"running\",\"jobType\":\"sync\",\"startTime\":\"2020-01-02T00:00:00Z\"}", JOB_DONE);
    char *after_six_busy = job_page(six, JOB_BUSY);
    run_with_lost_answer(before_done, after_six, TRUE, 0);              /* ours */
    run_with_lost_answer(before_done, after_none, FALSE, EIO);          /* nothing started */
    run_with_lost_answer(before_done, after_two, FALSE, ABFS_EUNKNOWN); /* two new jobs */
    run_with_lost_answer(before_done, after_reset, FALSE, ABFS_EUNKNOWN); /* another kind */
    run_with_lost_answer(before_done, old_six, FALSE, ABFS_EUNKNOWN);   /* started before us */
    run_with_lost_answer(before_busy, after_six_busy, FALSE, ABFS_EUNKNOWN); /* a sync ran: 409 for ours */
    g_free(six); g_free(seven); g_free(reset); g_free(before_done); g_free(before_busy);
    g_free(after_six); g_free(after_none); g_free(after_two); g_free(after_reset); g_free(old_six);
    g_free(after_six_busy);
}

/* A cancel whose answer was lost asks the job; a DELETE likewise asks the resource. */
static void test_cancel_and_delete_lost_answer(void)
{
    Fx *fx = fx_new_full("t", 5);
    AbfsJobs *jobs = abfs_jobs_new(fx->client, 25, 1000);
    api_push(fx->api, 200, "{\"jobId\":5,\"status\":\"running\",\"jobType\":\"sync\",\"connectionId\":\"" CONN_A "\"}", 0);
    api_push(fx->api, 0, "", 0);
    api_push(fx->api, 200, "{\"jobId\":5,\"status\":\"cancelled\",\"jobType\":\"sync\",\"connectionId\":\"" CONN_A "\"}", 0);
    GError *err = NULL;
    g_assert_true(abfs_jobs_cancel(jobs, CONN_A, "5", &err));
    g_assert_no_error(err);
    g_assert_cmpuint(fake_count(fx->srv, "DELETE", "/api/public/v1/jobs/5"), ==, 1);

    api_push(fx->api, 0, "", 0); /* DELETE: no answer */
    api_push(fx->api, 404, "{\"title\":\"not-found\",\"detail\":\"gone\"}", 0);
    g_assert_true(abfs_connection_delete(fx->client, CONN_A, &err));
    g_assert_no_error(err);
    api_push(fx->api, 0, "", 0);
    api_push(fx->api, 503, "{\"title\":\"busy\"}", 0);
    api_push(fx->api, 503, "{\"title\":\"busy\"}", 0);
    api_push(fx->api, 503, "{\"title\":\"busy\"}", 0);
    api_push(fx->api, 503, "{\"title\":\"busy\"}", 0);
    api_push(fx->api, 503, "{\"title\":\"busy\"}", 0);
    g_assert_false(abfs_connection_delete(fx->client, CONN_A, &err));
    g_assert_error(err, ABFS_ERROR, ABFS_EUNKNOWN);
    g_clear_error(&err);
    g_assert_cmpuint(fake_count(fx->srv, "DELETE", "/api/public/v1/connections/" CONN_A), ==, 2);
    abfs_jobs_free(jobs);
    fx_free(fx);
}

/* A PATCH whose first attempt lost its answer and whose retry was refused (409) is checked:
 * when the server holds the value, the write is done. */
static void test_commit_retry_refused_after_lost_answer(void)
{
    Fx *fx = fx_new_full("t", 5);
    g_mutex_lock(&fx->api->lock);
    g_ptr_array_add(fx->api->conns, make_conn(CONN_A, WS, "old"));
    g_mutex_unlock(&fx->api->lock);
    AbfsStore *store = store_for(fx, 60000);
    abfs_snapshot_unref(snap_ok(store));
    json_object *old = make_conn(CONN_A, WS, "old"), *new = make_conn(CONN_A, WS, "new");
    api_push(fx->api, 200, json_object_to_json_string(old), 0); /* the fresh GET */
    api_push(fx->api, 0, "", 0);                                  /* PATCH: applied, answer lost */
    api_push(fx->api, 409, "{\"title\":\"try-again-later\",\"detail\":\"busy\"}", 0); /* the retry */
    api_push(fx->api, 200, json_object_to_json_string(new), 0);  /* the check */
    int file = abfs_connection_file_index("name");
    char *text = g_strdup("new\n");
    GError *err = NULL;
    g_assert_true(abfs_commit_connection_file(store, CONN_A, (guint)file, NULL, text, strlen(text), &err));
    g_assert_no_error(err);
    g_free(text);
    AbfsSnapshot *s = snap_ok(store);
    g_assert_cmpstr(entry_file(s, CONN_A, "name"), ==, "new\n");
    abfs_snapshot_unref(s);

    /* and when the check cannot be made, the outcome is said to be unknown */
    api_push(fx->api, 200, json_object_to_json_string(new), 0);
    api_push(fx->api, 0, "", 0);
    for (int i = 0; i < 6; i++)
        api_push(fx->api, 503, "{\"title\":\"busy\"}", 0);
    text = g_strdup("newer\n");
    g_assert_false(abfs_commit_connection_file(store, CONN_A, (guint)file, NULL, text, strlen(text), &err));
    g_assert_error(err, ABFS_ERROR, ABFS_EUNKNOWN);
    g_assert_nonnull(strstr(err->message, "outcome unknown"));
    g_clear_error(&err);
    g_free(text);
    json_object_put(old);
    json_object_put(new);
    abfs_store_free(store);
    fx_free(fx);
}

typedef struct {
    AbfsActors *actors;
    GPtrArray *ids;
} ActorThread;

static gpointer actor_list_thread(gpointer p)
{
    ActorThread *t = p;
    t->ids = abfs_actors_list(t->actors, ABFS_ACTOR_SOURCE, NULL);
    return NULL;
}

/* Concurrent listings of sources/ share one walk (the kernel serializes lookups in one directory,
 * so without it 12 cold `ls sources` against a slow API took 12 walks one after another). */
static void test_actors_single_flight(void)
{
    Fx *fx = fx_new_full("t", 5);
    api_push(fx->api, 200, "{\"previous\":\"\",\"next\":\"\",\"data\":[{\"sourceId\":\"5ce5ce5c-0000-4000-8000-000000000001\","
                           "\"name\":\"s\",\"sourceType\":\"faker\",\"workspaceId\":\"" WS "\",\"definitionId\":\"d\","
                           "\"configuration\":{}}]}", 300);
    AbfsActors *actors = abfs_actors_new(fx->client, WS, "https://cloud.airbyte.com", 60000);
    ActorThread t[8];
    GThread *th[8];
    for (int i = 0; i < 8; i++) {
        t[i] = (ActorThread){actors, NULL};
        th[i] = g_thread_new("ls", actor_list_thread, &t[i]);
    }
    for (int i = 0; i < 8; i++) {
        g_thread_join(th[i]);
        g_assert_nonnull(t[i].ids);
        g_assert_cmpuint(t[i].ids->len, ==, 1);
        g_ptr_array_free(t[i].ids, TRUE);
    }
    g_assert_cmpuint(fake_count(fx->srv, "GET", "/api/public/v1/sources"), ==, 1);
    abfs_actors_free(actors);
    fx_free(fx);
}

/* ---------------------------------------------------------------------------------------------
 * main
 * ------------------------------------------------------------------------------------------- */

static void quiet_log(const gchar *domain, GLogLevelFlags level, const gchar *message, gpointer data)
{
    (void)data;
    if (g_test_verbose())
        g_printerr("[log %s %d] %s\n", domain ? domain : "-", (int)level, message);
}

int main(int argc, char **argv)
{
    /* nothing from the caller's environment may steer these tests */
    env_clear();
    const char *proxies[] = {"http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"};
    for (gsize i = 0; i < G_N_ELEMENTS(proxies); i++)
        g_unsetenv(proxies[i]);
    g_setenv("NO_PROXY", "*", TRUE);
    g_setenv("no_proxy", "*", TRUE);

    g_test_init(&argc, &argv, NULL);
    g_test_set_nonfatal_assertions();
    /* core logs dropped connections and stale serving with g_warning: expected here */
    g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
    g_log_set_handler(NULL, G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO | G_LOG_LEVEL_DEBUG,
                      quiet_log, NULL);
    abfs_http_global_init();

    g_test_add_func("/config/derive-config-root", test_config_derive_config_root);
    g_test_add_func("/config/derive-web-root", test_config_derive_web_root);
    g_test_add_func("/config/trim-root", test_config_trim_root);
    g_test_add_func("/config/set", test_config_set);
    g_test_add_func("/config/finish/cloud-defaults", test_config_finish_cloud_defaults);
    g_test_add_func("/config/finish/self-managed", test_config_finish_self_managed);
    g_test_add_func("/config/finish/unknown-shape", test_config_finish_unknown_shape);
    g_test_add_func("/config/finish/explicit-roots", test_config_finish_keeps_explicit_roots);
    g_test_add_func("/config/finish/missing-workspace", test_config_finish_missing_workspace);
    g_test_add_func("/config/finish/bearer-and-client", test_config_finish_bearer_and_client);
    g_test_add_func("/config/finish/id-without-secret", test_config_finish_id_without_secret);
    g_test_add_func("/config/finish/no-credentials", test_config_finish_no_credentials);
    g_test_add_func("/config/finish/bearer-only", test_config_finish_bearer_only);
    g_test_add_func("/config/finish/non-http-url", test_config_finish_non_http_url);
    g_test_add_func("/config/env/cloud", test_config_env_cloud_vars);
    g_test_add_func("/config/env/aliases", test_config_env_aliases);
    g_test_add_func("/config/env/empty-is-unset", test_config_env_empty_is_unset);
    g_test_add_func("/config/file", test_config_file);
    g_test_add_func("/config/precedence", test_config_precedence);

    g_test_add_func("/error/errno-table", test_error_errno_table);
    g_test_add_func("/error/errno-504", test_error_errno_504);
    g_test_add_func("/config/credential-kind-replaces", test_config_credential_kind_replaces);
    g_test_add_func("/jobs/time-and-duration", test_jobs_time_and_duration);
    g_test_add_func("/resources/list-parallel", test_list_parallel);
    g_test_add_func("/jobs/log-text", test_jobs_log_text);
    g_test_add_func("/error/message/problem", test_error_message_problem);
    g_test_add_func("/error/message/config-api", test_error_message_config_api);
    g_test_add_func("/error/message/micronaut", test_error_message_micronaut);
    g_test_add_func("/error/message/micronaut-real-body", test_error_message_micronaut_real_body);
    g_test_add_func("/error/message/plain-text", test_error_message_plain_text);
    g_test_add_func("/error/message/text-starting-with-number", test_error_message_text_starting_with_number);
    g_test_add_func("/error/message/empty-body", test_error_message_empty_body);
    g_test_add_func("/error/message/one-line", test_error_message_one_line);
    g_test_add_func("/error/set-http-error", test_error_set_http_error);

    g_test_add_func("/resources/id-is-safe", test_id_is_safe);
    g_test_add_func("/resources/json-string", test_json_string);
    g_test_add_func("/resources/connection-check", test_connection_check);

    g_test_add_func("/json/pretty", test_json_pretty);
    g_test_add_func("/json/parse/accepts", test_json_parse_accepts);
    g_test_add_func("/json/parse/rejects", test_json_parse_rejects);

    g_test_add_func("/files/table", test_files_table);
    g_test_add_func("/files/render-sample", test_files_render_sample);
    g_test_add_func("/files/schedule", test_files_schedule);
    g_test_add_func("/files/enabled", test_files_enabled);
    g_test_add_func("/files/prefix-missing", test_files_prefix_missing);
    g_test_add_func("/files/streams", test_files_streams);
    g_test_add_func("/files/streams-empty", test_files_streams_empty);
    g_test_add_func("/files/url", test_files_url);
    g_test_add_func("/files/one-newline", test_files_one_newline);

    g_test_add_func("/http/request", test_http_request);
    g_test_add_func("/http/body-too-big", test_http_body_too_big);
    g_test_add_func("/http/timeout-and-refused", test_http_timeout_and_refused);

    g_test_add_func("/auth/token-fetch", test_auth_token_fetch);
    g_test_add_func("/auth/token-reused", test_auth_token_reused);
    g_test_add_func("/auth/401-refetches-once", test_auth_401_refetches_once);
    g_test_add_func("/auth/401-twice-is-eacces", test_auth_401_twice_is_eacces);
    g_test_add_func("/auth/bearer-used-as-given", test_auth_bearer_used_as_given);
    g_test_add_func("/auth/refused-token", test_auth_refused_token);
    g_test_add_func("/auth/token-without-access-token", test_auth_token_without_access_token);
    g_test_add_func("/auth/direct", test_auth_direct);
    g_test_add_func("/auth/jwt-seconds-left", test_auth_jwt_seconds_left);
    g_test_add_func("/auth/jwt-expiry-refreshes", test_auth_jwt_expiry_refreshes);
    g_test_add_func("/auth/concurrent-share-one-fetch", test_auth_concurrent_share_one_fetch);

    g_test_add_func("/client/retries-idempotent-503", test_client_retries_idempotent_503);
    g_test_add_func("/client/retries-are-bounded", test_client_retries_are_bounded);
    g_test_add_func("/client/no-retry-non-idempotent", test_client_no_retry_non_idempotent);
    g_test_add_func("/client/404-is-enoent", test_client_404_is_enoent);
    g_test_add_func("/client/errno-statuses", test_client_errno_statuses);
    g_test_add_func("/client/malformed-json", test_client_malformed_json);
    g_test_add_func("/client/empty-body", test_client_empty_body);
    g_test_add_func("/client/config-api", test_client_config_api);
    g_test_add_func("/client/unreachable", test_client_unreachable);
    g_test_add_func("/client/backoff", test_client_backoff);

    g_test_add_func("/resources/list/250", test_list_250);
    g_test_add_func("/resources/list/200", test_list_200);
    g_test_add_func("/resources/list/0", test_list_0);
    g_test_add_func("/resources/list/99-and-100", test_list_99_and_100);
    g_test_add_func("/resources/list/without-query", test_list_without_query);
    g_test_add_func("/resources/list/malformed-page", test_list_malformed_page);
    g_test_add_func("/resources/list/error-status", test_list_error_status);
    g_test_add_func("/resources/connections-list-filters", test_connections_list_filters);
    g_test_add_func("/resources/connection-get", test_connection_get);
    g_test_add_func("/resources/workspace-get", test_workspace_get);

    g_test_add_func("/store/snapshot-content", test_store_snapshot_content);
    g_test_add_func("/store/ttl", test_store_ttl);
    g_test_add_func("/store/invalidate", test_store_invalidate);
    g_test_add_func("/store/mtime", test_store_mtime);
    g_test_add_func("/store/put-connection", test_store_put_connection);
    g_test_add_func("/store/single-flight", test_store_single_flight);
    g_test_add_func("/store/serves-last-snapshot-when-unreachable",
                    test_store_serves_last_snapshot_when_unreachable);
    g_test_add_func("/store/error-without-snapshot", test_store_error_without_snapshot);
    g_test_add_func("/store/put-during-walk-survives", test_store_put_during_walk_survives);
    g_test_add_func("/store/put-during-walk-of-changed-value", test_store_put_during_walk_of_changed_value);
    g_test_add_func("/store/deep-connections", test_store_deep_connections);
    g_test_add_func("/client/timeout-bounds-retries", test_client_timeout_bounds_retries);
    g_test_add_func("/actors/single-flight", test_actors_single_flight);
    g_test_add_func("/client/operation-deadline", test_client_operation_deadline);
    g_test_add_func("/http/cut-bodies", test_http_cut_bodies);
    g_test_add_func("/client/huge-retry-after", test_client_huge_retry_after);
    g_test_add_func("/auth/token-503-retried", test_auth_token_503_retried);
    g_test_add_func("/jobs/run-lost-answer", test_jobs_run_lost_answer);
    g_test_add_func("/jobs/cancel-and-delete-lost-answer", test_cancel_and_delete_lost_answer);
    g_test_add_func("/commit/retry-refused-after-lost-answer", test_commit_retry_refused_after_lost_answer);

    int rc = g_test_run();
    if (arena)
        g_ptr_array_free(arena, TRUE);
    abfs_http_global_cleanup();
    return rc;
}
