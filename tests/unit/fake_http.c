/* fake_http.c — the fake HTTP server, the scripted Airbyte API and the fixtures the unit tests of
 * core/ share (fake_http.h). */
#include "fake_http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

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

const char *fake_header(const FakeRequest *r, const char *name)
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

FakeServer *fake_start(FakeHandler handler, gpointer data)
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

void fake_shutdown(FakeServer *srv)
{
    if (!srv->acceptor)
        return;
    g_atomic_int_set(&srv->stop, 1);
    g_thread_join(srv->acceptor);
    srv->acceptor = NULL;
    close(srv->fd);
    srv->fd = -1;
}

void fake_free(FakeServer *srv)
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

guint fake_count(FakeServer *srv, const char *method, const char *path)
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

FakeRequest *fake_nth(FakeServer *srv, const char *method, const char *path, guint n)
{
    FakeRequest *found = NULL;
    g_mutex_lock(&srv->lock);
    for (guint i = 0; i < srv->requests->len && !found; i++) {
        FakeRequest *r = g_ptr_array_index(srv->requests, i);
        if ((!method || strcmp(r->method, method) == 0) && (!path || strcmp(r->path, path) == 0) && n-- == 0)
            found = r;
    }
    g_mutex_unlock(&srv->lock);
    return found;
}

Api *api_new(void)
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

void api_free(Api *api)
{
    g_ptr_array_free(api->conns, TRUE);
    g_queue_clear_full(&api->steps, step_free);
    g_free(api->default_body);
    g_free(api->token_value);
    g_mutex_clear(&api->lock);
    g_cond_clear(&api->cond);
    g_free(api);
}

void api_push(Api *api, int status, const char *body, guint delay_ms)
{
    Step *s = g_new0(Step, 1);
    s->status = status;
    s->body = g_strdup(body ? body : "");
    s->delay_ms = delay_ms;
    g_mutex_lock(&api->lock);
    g_queue_push_tail(&api->steps, s);
    g_mutex_unlock(&api->lock);
}

void api_push_ex(Api *api, int status, const char *body, gboolean cut, const char *headers)
{
    api_push(api, status, body, 0);
    g_mutex_lock(&api->lock);
    Step *s = g_queue_peek_tail(&api->steps);
    s->cut = cut;
    s->headers = headers;
    g_mutex_unlock(&api->lock);
}

void api_set_default(Api *api, int status, const char *body)
{
    g_mutex_lock(&api->lock);
    api->default_status = status;
    g_free(api->default_body);
    api->default_body = g_strdup(body ? body : "");
    g_mutex_unlock(&api->lock);
}

void api_open_gate(Api *api)
{
    g_mutex_lock(&api->lock);
    api->gate_closed = FALSE;
    g_cond_broadcast(&api->cond);
    g_mutex_unlock(&api->lock);
}

char *conn_id_for(guint i)
{
    return g_strdup_printf("%08x-1111-4222-8333-%012x", i, i);
}

json_object *make_conn(const char *id, const char *ws, const char *name)
{
    char *text =
        g_strdup_printf("{\"connectionId\":\"%s\",\"name\":\"%s\","
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

void api_add_conns(Api *api, guint n)
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

void api_rename(Api *api, const char *id, const char *name)
{
    g_mutex_lock(&api->lock);
    for (guint i = 0; i < api->conns->len; i++) {
        json_object *c = g_ptr_array_index(api->conns, i);
        if (g_strcmp0(abfs_json_string(c, "connectionId"), id) == 0)
            json_object_object_add(c, "name", json_object_new_string(name));
    }
    g_mutex_unlock(&api->lock);
}

void problem(GString *out, int status, const char *title, const char *detail)
{
    g_string_printf(out,
                    "{\"type\":\"https://reference.airbyte.com/reference/errors#%s\",\"title\":\"%s\","
                    "\"status\":%d,\"detail\":\"%s\"}",
                    title, title, status, detail);
}

static void serve_listing(Api *api, const FakeRequest *req, FakeResponse *resp)
{
    GHashTable *params = req->query ? g_uri_parse_params(req->query, -1, "&", G_URI_PARAMS_NONE, NULL) : NULL;
    const char *l = params ? g_hash_table_lookup(params, "limit") : NULL;
    const char *o = params ? g_hash_table_lookup(params, "offset") : NULL;
    guint limit = l ? (guint)g_ascii_strtoull(l, NULL, 10) : 20;
    guint offset = o ? (guint)g_ascii_strtoull(o, NULL, 10) : 0;
    json_object *page = json_object_new_object();
    json_object *data = json_object_new_array();
    for (guint i = offset; i < api->conns->len && i < offset + limit; i++)
        json_object_array_add(data, json_object_get(g_ptr_array_index(api->conns, i)));
    /* `next` as self-managed servers fill it: an internal host. Following it fails. */
    char *next =
        json_object_array_length(data) == 0
            ? g_strdup("")
            : g_strdup_printf("http://127.0.0.1:1/api/public/v1/connections?limit=%u&offset=%u", limit, offset + limit);
    json_object_object_add(page, "previous", json_object_new_string(""));
    json_object_object_add(page, "next", json_object_new_string(next));
    json_object_object_add(page, "data", data);
    g_string_assign(resp->body, json_object_to_json_string_ext(page, JSON_C_TO_STRING_PLAIN));
    json_object_put(page);
    g_free(next);
    if (params)
        g_hash_table_unref(params);
}

void api_handler(FakeServer *srv, const FakeRequest *req, FakeResponse *resp, gpointer data)
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
            char *value = api->token_value ? g_strdup(api->token_value) : g_strdup_printf("tok-%u", api->tokens);
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
    } else if (api->serve_singles && strcmp(req->method, "GET") == 0 && g_str_has_prefix(req->path, LIST_PATH "/")) {
        const char *id = req->path + strlen(LIST_PATH "/");
        json_object *found = NULL;
        for (guint i = 0; i < api->conns->len && !found; i++)
            if (g_strcmp0(abfs_json_string(g_ptr_array_index(api->conns, i), "connectionId"), id) == 0)
                found = g_ptr_array_index(api->conns, i);
        if (found)
            g_string_assign(resp->body, json_object_to_json_string_ext(found, JSON_C_TO_STRING_PLAIN));
        else {
            resp->status = 404;
            problem(resp->body, 404, "resource-not-found", "no such connection");
        }
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

AbfsConfig *config_for(FakeServer *srv, const char *bearer, guint request_timeout_s)
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

Fx *fx_new_full(const char *bearer, guint request_timeout_s)
{
    Fx *fx = g_new0(Fx, 1);
    fx->api = api_new();
    fx->srv = fake_start(api_handler, fx->api);
    fx->client = abfs_client_new(config_for(fx->srv, bearer, request_timeout_s), FALSE, NULL);
    return fx;
}

Fx *fx_new(void)
{
    return fx_new_full(NULL, 0);
}

void fx_free(Fx *fx)
{
    abfs_client_free(fx->client);
    api_open_gate(fx->api);
    fake_free(fx->srv);
    api_free(fx->api);
    g_free(fx);
}

guint token_requests(Fx *fx)
{
    return fake_count(fx->srv, "POST", TOKEN_PATH);
}

guint list_requests(Fx *fx)
{
    return fake_count(fx->srv, "GET", LIST_PATH);
}

static const char *const ENV_NAMES[] = {
    "AIRBYTE_CLOUD_CLIENT_ID",       "AIRBYTE_CLIENT_ID",
    "AIRBYTE_CLOUD_CLIENT_SECRET",   "AIRBYTE_CLIENT_SECRET",
    "AIRBYTE_CLOUD_BEARER_TOKEN",    "AIRBYTE_BEARER_TOKEN",
    "AIRBYTE_CLOUD_WORKSPACE_ID",    "AIRBYTE_WORKSPACE_ID",
    "AIRBYTE_CLOUD_API_URL",         "AIRBYTE_API_ROOT",
    "AIRBYTE_CLOUD_CONFIG_API_URL",  "AIRBYTE_CONFIG_API_ROOT",
    "AIRBYTE_CLOUD_ORGANIZATION_ID", "AIRBYTE_ORGANIZATION_ID",
};

void env_clear(void)
{
    for (gsize i = 0; i < G_N_ELEMENTS(ENV_NAMES); i++)
        g_unsetenv(ENV_NAMES[i]);
}

gboolean ends_with_one_newline(const char *s, gsize len)
{
    return len >= 1 && s[len - 1] == '\n' && (len == 1 || s[len - 2] != '\n');
}

AbfsStore *store_for(Fx *fx, guint ttl_ms)
{
    return abfs_store_new(fx->client, WS, "https://cloud.airbyte.com", ttl_ms);
}

AbfsSnapshot *snap_ok(AbfsStore *store)
{
    GError *err = NULL;
    AbfsSnapshot *s = abfs_store_snapshot(store, &err);
    g_assert_no_error(err);
    g_assert_nonnull(s);
    return s;
}

/* Renderings handed to assertions live until the end of the run. */
static GPtrArray *arena;

const char *keep(char *s)
{
    if (!arena)
        arena = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(arena, s);
    return s;
}

const char *entry_file(AbfsSnapshot *s, const char *id, const char *file)
{
    AbfsEntry *e = s ? abfs_snapshot_lookup(s, id) : NULL;
    int i = abfs_connection_file_index(file);
    if (!e || i < 0)
        return NULL;
    return keep(abfs_entry_render(e, (guint)i, NULL));
}

static void quiet_log(const gchar *domain, GLogLevelFlags level, const gchar *message, gpointer data)
{
    (void)data;
    if (g_test_verbose())
        g_printerr("[log %s %d] %s\n", domain ? domain : "-", (int)level, message);
}

void abfs_unit_init(int *argc, char ***argv)
{
    /* nothing from the caller's environment may steer these tests */
    env_clear();
    const char *proxies[] = {"http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"};
    for (gsize i = 0; i < G_N_ELEMENTS(proxies); i++)
        g_unsetenv(proxies[i]);
    g_setenv("NO_PROXY", "*", TRUE);
    g_setenv("no_proxy", "*", TRUE);

    g_test_init(argc, argv, NULL);
    g_test_set_nonfatal_assertions();
    /* core logs dropped connections and stale serving with g_warning: expected here */
    g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
    g_log_set_handler(NULL, G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO | G_LOG_LEVEL_DEBUG, quiet_log,
                      NULL);
    abfs_http_global_init();
}

int abfs_unit_run(void)
{
    int rc = g_test_run();
    if (arena)
        g_ptr_array_free(arena, TRUE);
    abfs_http_global_cleanup();
    return rc;
}
