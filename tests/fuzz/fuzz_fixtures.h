/* tests/fuzz/fuzz_fixtures.h — fixed data shared by the harnesses: ConnectionResponse bodies as the
 * emulator (tests/emulator) serves them from GET /api/public/v1/connections/{id}, and the render
 * context of the demo workspace. Regenerate from a running emulator if its seed changes; keep the
 * order (a regression input's first byte selects a connection by its index here). */
#ifndef ABFS_FUZZ_FIXTURES_H
#define ABFS_FUZZ_FIXTURES_H

#include "connection_files.h"

static const AbfsRenderContext abfs_fuzz_render_context = {
    "https://cloud.airbyte.com",
    "e0a1b2c3-0000-4000-8000-000000000001",
};

static const char *const abfs_fuzz_connections[] = {
    /* Postgres -> Snowflake: cron with " UTC", prefix, namespaced streams with selectedFields: [] */
    "{\"connectionId\":\"5e44851b-3ec7-579b-81ba-b2b302f3c222\",\"name\":\"Postgres \\u2192 Snowf"
    "lake\",\"sourceId\":\"446c1675-0396-52ae-b872-0787897e725d\",\"destinationId\":\"d8779267-66"
    "ec-5add-a6ce-2ed7964b38fb\",\"workspaceId\":\"e0a1b2c3-0000-4000-8000-000000000001\",\"statu"
    "s\":\"active\",\"schedule\":{\"scheduleType\":\"cron\",\"cronExpression\":\"0 0 12 * * ? UTC"
    "\"},\"nonBreakingSchemaUpdatesBehavior\":\"ignore\",\"namespaceDefinition\":\"source\",\"nam"
    "espaceFormat\":\"${SOURCE_NAMESPACE}\",\"prefix\":\"pg_\",\"configurations\":{\"streams\":[{"
    "\"name\":\"users\",\"namespace\":\"public\",\"syncMode\":\"incremental_deduped_history\",\"c"
    "ursorField\":[\"updated_at\"],\"primaryKey\":[[\"id\"]],\"includeFiles\":false,\"selectedFie"
    "lds\":[],\"mappers\":[]},{\"name\":\"orders\",\"namespace\":\"public\",\"syncMode\":\"increm"
    "ental_append\",\"cursorField\":[\"updated_at\"],\"primaryKey\":[[\"id\"]],\"includeFiles\":f"
    "alse,\"selectedFields\":[],\"mappers\":[]},{\"name\":\"products\",\"namespace\":\"public\",\""
    "syncMode\":\"full_refresh_overwrite\",\"cursorField\":[],\"primaryKey\":[[\"id\"]],\"include"
    "Files\":false,\"selectedFields\":[],\"mappers\":[]},{\"name\":\"audit_log\",\"namespace\":\""
    "public\",\"syncMode\":\"full_refresh_append\",\"cursorField\":[],\"primaryKey\":[],\"include"
    "Files\":false,\"selectedFields\":[],\"mappers\":[]}]},\"createdAt\":1768469400,\"tags\":[{\""
    "tagId\":\"6d9f2d7e-39cc-55da-991f-b4549b381fa2\",\"workspaceId\":\"e0a1b2c3-0000-4000-8000-0"
    "00000000001\",\"name\":\"prod\",\"color\":\"#E53935\"}]}",
    /* Stripe / Billing -> BigQuery: basic schedule (not settable, but accepted as is) */
    "{\"connectionId\":\"84e1625d-678a-5bfb-a1ec-567e8672380b\",\"name\":\"Stripe / Billing \\u21"
    "92 BigQuery\",\"sourceId\":\"9de47607-c5e8-5bd0-98be-cf71007f7212\",\"destinationId\":\"14cb"
    "747a-8d0e-5355-a983-caab5e60f1bb\",\"workspaceId\":\"e0a1b2c3-0000-4000-8000-000000000001\","
    "\"status\":\"active\",\"schedule\":{\"scheduleType\":\"basic\",\"basicTiming\":\"Every 24 HO"
    "URS\"},\"nonBreakingSchemaUpdatesBehavior\":\"propagate_columns\",\"namespaceDefinition\":\""
    "destination\",\"namespaceFormat\":\"${SOURCE_NAMESPACE}\",\"prefix\":\"stripe_\",\"configura"
    "tions\":{\"streams\":[{\"name\":\"charges\",\"syncMode\":\"incremental_append\",\"cursorFiel"
    "d\":[\"created\"],\"primaryKey\":[[\"id\"]],\"includeFiles\":false,\"selectedFields\":[],\"m"
    "appers\":[]},{\"name\":\"customers\",\"syncMode\":\"incremental_deduped_history\",\"cursorFi"
    "eld\":[\"updated\"],\"primaryKey\":[[\"id\"]],\"includeFiles\":false,\"selectedFields\":[],\""
    "mappers\":[]},{\"name\":\"invoices\",\"syncMode\":\"full_refresh_overwrite\",\"cursorField\""
    ":[],\"primaryKey\":[[\"id\"]],\"includeFiles\":false,\"selectedFields\":[{\"fieldPath\":[\"i"
    "d\"]},{\"fieldPath\":[\"customer\"]},{\"fieldPath\":[\"amount_due\"]},{\"fieldPath\":[\"stat"
    "us\"]}],\"mappers\":[]}]},\"createdAt\":1768473000,\"tags\":[{\"tagId\":\"6dd6bf4b-b27b-528c"
    "-b5dd-bccbfd8d8a38\",\"workspaceId\":\"e0a1b2c3-0000-4000-8000-000000000001\",\"name\":\"fin"
    "ance\",\"color\":\"#43A047\"},{\"tagId\":\"6d9f2d7e-39cc-55da-991f-b4549b381fa2\",\"workspac"
    "eId\":\"e0a1b2c3-0000-4000-8000-000000000001\",\"name\":\"prod\",\"color\":\"#E53935\"}]}",
    /* Locked Billing Sync: status "locked" with statusReason, 7-field cron */
    "{\"connectionId\":\"34d8f1cc-2b04-5d31-853e-89c98cf0841c\",\"name\":\"Locked Billing Sync\","
    "\"sourceId\":\"9de47607-c5e8-5bd0-98be-cf71007f7212\",\"destinationId\":\"d8779267-66ec-5add"
    "-a6ce-2ed7964b38fb\",\"workspaceId\":\"e0a1b2c3-0000-4000-8000-000000000001\",\"status\":\"l"
    "ocked\",\"schedule\":{\"scheduleType\":\"cron\",\"cronExpression\":\"0 30 2 * * ? * UTC\"},\""
    "nonBreakingSchemaUpdatesBehavior\":\"ignore\",\"namespaceDefinition\":\"destination\",\"name"
    "spaceFormat\":\"${SOURCE_NAMESPACE}\",\"prefix\":\"\",\"configurations\":{\"streams\":[{\"na"
    "me\":\"charges\",\"syncMode\":\"full_refresh_append\",\"cursorField\":[],\"primaryKey\":[[\""
    "id\"]],\"includeFiles\":false,\"selectedFields\":[],\"mappers\":[]}]},\"createdAt\":17684874"
    "00,\"tags\":[{\"tagId\":\"6dd6bf4b-b27b-528c-b5dd-bccbfd8d8a38\",\"workspaceId\":\"e0a1b2c3-"
    "0000-4000-8000-000000000001\",\"name\":\"finance\",\"color\":\"#43A047\"}],\"statusReason\":"
    "\"Sync disabled: the workspace's payment method was declined\"}",
    /* Sandbox (no streams): inactive, manual, an empty streams list */
    "{\"connectionId\":\"78236c55-c284-513e-8d2e-8c8c7ac5f7da\",\"name\":\"Sandbox (no streams)\""
    ",\"sourceId\":\"e4e2b2e7-0e6b-50ee-8a70-1981c6e39ca1\",\"destinationId\":\"14cb747a-8d0e-535"
    "5-a983-caab5e60f1bb\",\"workspaceId\":\"e0a1b2c3-0000-4000-8000-000000000001\",\"status\":\""
    "inactive\",\"schedule\":{\"scheduleType\":\"manual\"},\"nonBreakingSchemaUpdatesBehavior\":\""
    "ignore\",\"namespaceDefinition\":\"destination\",\"namespaceFormat\":\"${SOURCE_NAMESPACE}\""
    ",\"prefix\":\"sandbox_\",\"configurations\":{\"streams\":[]},\"createdAt\":1768501800,\"tags"
    "\":[]}",
    /* Postgres CDC -> BigQuery after a PATCH: `customers` in two namespaces, empty prefix */
    "{\"connectionId\":\"98c47b34-db88-5043-98fc-d9c61bc1d97a\",\"name\":\"Postgres CDC \\u2192 B"
    "igQuery\",\"sourceId\":\"446c1675-0396-52ae-b872-0787897e725d\",\"destinationId\":\"14cb747a"
    "-8d0e-5355-a983-caab5e60f1bb\",\"workspaceId\":\"e0a1b2c3-0000-4000-8000-000000000001\",\"st"
    "atus\":\"inactive\",\"schedule\":{\"scheduleType\":\"manual\"},\"nonBreakingSchemaUpdatesBeh"
    "avior\":\"ignore\",\"namespaceDefinition\":\"source\",\"namespaceFormat\":\"${SOURCE_NAMESPA"
    "CE}\",\"prefix\":\"\",\"configurations\":{\"streams\":[{\"name\":\"users\",\"namespace\":\"p"
    "ublic\",\"syncMode\":\"incremental_append\",\"cursorField\":[\"updated_at\"],\"primaryKey\":"
    "[[\"id\"]],\"includeFiles\":false,\"selectedFields\":[],\"mappers\":[]},{\"name\":\"customer"
    "s\",\"namespace\":\"public\",\"syncMode\":\"full_refresh_overwrite\",\"cursorField\":[],\"pr"
    "imaryKey\":[[\"id\"]],\"includeFiles\":false,\"selectedFields\":[],\"mappers\":[]},{\"name\""
    ":\"customers\",\"namespace\":\"sales\",\"syncMode\":\"full_refresh_overwrite\",\"cursorField"
    "\":[],\"primaryKey\":[[\"id\"]],\"includeFiles\":false,\"selectedFields\":[],\"mappers\":[]}"
    "]},\"createdAt\":1768483800,\"tags\":[]}",
    /* Nightly Export: inactive, basic schedule, streams without namespace */
    "{\"connectionId\":\"67f92ab7-25a8-5c0a-8c8f-a5bfd099651d\",\"name\":\"Nightly Export\",\"sou"
    "rceId\":\"692cfb31-8af1-53e3-898e-fd92ccd6665b\",\"destinationId\":\"d8779267-66ec-5add-a6ce"
    "-2ed7964b38fb\",\"workspaceId\":\"e0a1b2c3-0000-4000-8000-000000000001\",\"status\":\"inacti"
    "ve\",\"schedule\":{\"scheduleType\":\"basic\",\"basicTiming\":\"Every 1 DAYS\"},\"nonBreakin"
    "gSchemaUpdatesBehavior\":\"ignore\",\"namespaceDefinition\":\"destination\",\"namespaceForma"
    "t\":\"${SOURCE_NAMESPACE}\",\"prefix\":\"\",\"configurations\":{\"streams\":[{\"name\":\"com"
    "mits\",\"syncMode\":\"incremental_append\",\"cursorField\":[\"created_at\"],\"primaryKey\":["
    "[\"sha\"]],\"includeFiles\":false,\"selectedFields\":[],\"mappers\":[]}]},\"createdAt\":1768"
    "494600,\"tags\":[{\"tagId\":\"2f5ac07f-f922-5199-8fcf-810ec3a061bd\",\"workspaceId\":\"e0a1b"
    "2c3-0000-4000-8000-000000000001\",\"name\":\"nightly\",\"color\":\"#1E88E5\"}]}",
};

#define ABFS_FUZZ_N_CONNECTIONS (sizeof abfs_fuzz_connections / sizeof abfs_fuzz_connections[0])

#endif
