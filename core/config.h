/* config.h — where airbytefs finds its API roots, workspace and credentials.
 *
 * Sources, lowest precedence first: built-in defaults (Airbyte Cloud), a key file
 * (`config=PATH`, group [airbytefs]), the environment variables PyAirbyte reads, and finally
 * explicit mount options (the caller sets fields after abfs_config_load_env()).
 * abfs_config_finish() derives what was not given and checks that the result is usable. */
#ifndef ABFS_CONFIG_H
#define ABFS_CONFIG_H

#include <glib.h>

#define ABFS_CLOUD_API_ROOT "https://api.airbyte.com/v1"
#define ABFS_CLOUD_CONFIG_API_ROOT "https://cloud.airbyte.com/api/v1"
#define ABFS_CLOUD_WEB_ROOT "https://cloud.airbyte.com"

typedef struct {
    char *api_root;        /* public API root, no trailing slash */
    char *config_api_root; /* Config API root; NULL until finished; may stay NULL (then optional
                              features report that the Config API is unknown) */
    char *web_root;        /* web UI root, for url files */
    char *workspace_id;
    char *client_id;
    char *client_secret;
    char *bearer_token;
    char *ca_file;     /* custom CA bundle, or NULL */
    gboolean insecure; /* TLS verification off (an explicit option; warned about) */
    guint connect_timeout_s;
    guint request_timeout_s;
    guint cache_ttl_s;    /* how long a listing is trusted */
    gsize max_body_bytes; /* responses larger than this are refused */
} AbfsConfig;

AbfsConfig *abfs_config_new(void); /* Airbyte Cloud defaults */
void abfs_config_free(AbfsConfig *cfg);

/* Replaces *field with a copy of value (NULL or "" clears it). */
void abfs_config_set(char **field, const char *value);

/* Reads a key file (group [airbytefs]; keys api_url, config_api_url, web_url, workspace,
 * client_id, client_secret, bearer_token, ca_file). A file that holds a secret and that group or
 * others may read is refused, as ssh refuses such keys. */
gboolean abfs_config_load_file(AbfsConfig *cfg, const char *path, GError **error);

/* Reads a secret (client secret or bearer token) from a file: the first line, trimmed. A file
 * that group or others may read is refused (EPERM), as ssh refuses such keys. */
gboolean abfs_config_load_secret_file(char **field, const char *path, GError **error);

/* Reads the AIRBYTE_* names and their AIRBYTE_CLOUD_* forms, in PyAirbyte's order (the short
 * alias first; the first non-empty one wins). A source that gives a bearer token drops client
 * credentials from lower-precedence sources, and the other way round. */
void abfs_config_load_env(AbfsConfig *cfg);

/* Derives config_api_root (unless set) and web_root (unless set) from api_root, trims trailing
 * slashes, and checks: a workspace is given; exactly one of bearer token or client credentials;
 * client id and secret come together. */
gboolean abfs_config_finish(AbfsConfig *cfg, GError **error);

/* PyAirbyte's derivation of the Config API root from the public root: Cloud's public root maps to
 * Cloud's Config root; "<x>/api/public/v1" maps to "<x>/api/v1"; otherwise NULL. */
char *abfs_config_derive_config_root(const char *api_root);

/* The web UI root for a public root: Cloud's for Cloud; "<x>" for "<x>/api/public/v1";
 * otherwise the public root itself (PyAirbyte's fallback). */
char *abfs_config_derive_web_root(const char *api_root);

/* Copy of url without trailing slashes. */
char *abfs_config_trim_root(const char *url);

#endif
