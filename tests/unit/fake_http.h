/* fake_http.h — what the unit tests of core/ share: a small HTTP/1.1 server on 127.0.0.1 (one
 * GThread accepting, one per connection, Content-Length bodies, "Connection: close") that records
 * every request (method, target, headers, body) so a test can assert exactly what was sent; a
 * scripted Airbyte API on it (Api: connections to list, tokens, queued answers); the fixture Fx (the
 * API, its server and a client of it); and the common main() setup (abfs_unit_init/abfs_unit_run).
 * Self-contained: links only with abfscore. */
#ifndef ABFS_FAKE_HTTP_H
#define ABFS_FAKE_HTTP_H

#include <glib.h>
#include <glib/gstdio.h>
#include <json-c/json.h>

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "actors.h"
#include "auth.h"
#include "client.h"
#include "commit.h"
#include "config.h"
#include "connection_files.h"
#include "error.h"
#include "http.h"
#include "jobs.h"
#include "json_util.h"
#include "resources.h"
#include "store.h"

#define WS "11111111-2222-4333-8444-555555555555"
#define OTHER_WS "99999999-8888-4777-8666-555555555555"
#define CONN_A "aaaaaaaa-0000-4000-8000-000000000001"
#define CONN_B "bbbbbbbb-0000-4000-8000-000000000002"
#define TOKEN_PATH "/api/public/v1/applications/token"
#define LIST_PATH "/api/public/v1/connections"

typedef struct {
    char *method;
    char *target; /* path?query as sent */
    char *path;
    char *query;         /* NULL when none */
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

typedef struct {
    FakeServer *srv;
    int fd;
} FakeConn;

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
    GPtrArray *conns;       /* what GET /connections lists (json_object*) */
    guint tokens;           /* tokens issued so far */
    int token_status;       /* 0: 200 */
    const char *token_body; /* body of a refused token request, or of a 200 when set */
    char *token_value;      /* access_token to hand out instead of tok-N */
    guint token_delay_ms;
    guint token_busy; /* this many token requests get 503 first */
    guint list_delay_ms;
    int list_status;             /* 0: serve the listing */
    const char *list_raw;        /* when set: the listing's body as is */
    gboolean gate_closed;        /* the listing waits while TRUE */
    gboolean reject_first_token; /* 401 for "Bearer tok-1" */
    gboolean always_401;
    gboolean serve_singles; /* GET /connections/{id} answers from conns (else: steps, default) */
    GQueue steps;           /* answers to other requests, in order; then the default */
    int default_status;
    char *default_body;
} Api;

typedef struct {
    Api *api;
    FakeServer *srv;
    AbfsClient *client;
} Fx;

const char *fake_header(const FakeRequest *r, const char *name);

FakeServer *fake_start(FakeHandler handler, gpointer data);

/* Stops accepting and closes the listening socket: later connects are refused. */
void fake_shutdown(FakeServer *srv);

void fake_free(FakeServer *srv);

/* Number of recorded requests with this method (NULL: any) and exact path (NULL: any). */
guint fake_count(FakeServer *srv, const char *method, const char *path);

/* The n-th (0-based) recorded request with this method and path, or NULL. Borrowed: valid until
 * fake_free. */
FakeRequest *fake_nth(FakeServer *srv, const char *method, const char *path, guint n);

Api *api_new(void);

void api_free(Api *api);

void api_push(Api *api, int status, const char *body, guint delay_ms);

/* Like api_push(), with a body cut in half and/or extra header lines. */
void api_push_ex(Api *api, int status, const char *body, gboolean cut, const char *headers);

void api_set_default(Api *api, int status, const char *body);

void api_open_gate(Api *api);

char *conn_id_for(guint i);

/* A ConnectionResponse (the Airbyte API's OpenAPI schema of that name). */
json_object *make_conn(const char *id, const char *ws, const char *name);

void api_add_conns(Api *api, guint n);

/* Changes the name of connection id on the server. */
void api_rename(Api *api, const char *id, const char *name);

void problem(GString *out, int status, const char *title, const char *detail);

void api_handler(FakeServer *srv, const FakeRequest *req, FakeResponse *resp, gpointer data);

AbfsConfig *config_for(FakeServer *srv, const char *bearer, guint request_timeout_s);

Fx *fx_new_full(const char *bearer, guint request_timeout_s);

Fx *fx_new(void);

void fx_free(Fx *fx);

guint token_requests(Fx *fx);

guint list_requests(Fx *fx);

void env_clear(void);

gboolean ends_with_one_newline(const char *s, gsize len);

AbfsStore *store_for(Fx *fx, guint ttl_ms);

AbfsSnapshot *snap_ok(AbfsStore *store);

const char *keep(char *s);

const char *entry_file(AbfsSnapshot *s, const char *id, const char *file);

/* Every test program's main(): nothing from the caller's environment steers the tests (no
 * AIRBYTE_* variables, no proxies), warnings of core/ are quiet unless --verbose, assertions are
 * not fatal, and libcurl is initialized. */
void abfs_unit_init(int *argc, char ***argv);
/* g_test_run() and cleanup; main's return value. */
int abfs_unit_run(void);

#endif
