#!/bin/bash
# The baseline "a user would write this instead of mounting": curl + jq against the public API.
#
#   curl_jq.sh ls                  one line "<id> <name>" per connection
#   curl_jq.sh names               each connection's name and schedule (as the schedule file shows it)
#   curl_jq.sh settings DEST       each connection's JSON to DEST/<id>.json
#   curl_jq.sh parallel DEST ID..  16 (or however many ids) parallel GET /connections/{id} to DEST/<id>.json
#
# Environment: API (public API root), WS (workspace id), CLIENT_ID, CLIENT_SECRET.
# Every run gets its own token (POST /applications/token), as a script would.
set -euo pipefail

: "${API:?}" "${WS:?}" "${CLIENT_ID:?}" "${CLIENT_SECRET:?}"
page_file=$(mktemp)
trap 'rm -f "$page_file"' EXIT

token=$(curl -sS -f -X POST -H 'Content-Type: application/json' \
             -d "{\"client_id\": \"$CLIENT_ID\", \"client_secret\": \"$CLIENT_SECRET\"}" \
             "$API/applications/token" | jq -r .access_token)
auth="Authorization: Bearer $token"

# Walks GET /connections 100 at a time, running the jq filter $1 on each page; a short page ends it.
each_page() {
    local filter=$1 offset=0
    while :; do
        curl -sS -f -H "$auth" -o "$page_file" \
             "$API/connections?workspaceIds=$WS&limit=100&offset=$offset"
        jq -r "$filter" "$page_file"
        [ "$(jq '.data | length' "$page_file")" -lt 100 ] && break
        offset=$((offset + 100))
    done
}

case "${1:-}" in
ls)
    each_page '.data[] | "\(.connectionId) \(.name)"'
    ;;
names)
    each_page '.data[] | .name, (.schedule // {} |
        if .scheduleType == "cron" then (.cronExpression | sub(" UTC$"; ""))
        elif .scheduleType == "basic" then .basicTiming
        else (.scheduleType // "manual") end)'
    ;;
settings)
    dest=$2
    mkdir -p "$dest"
    each_page '.data[] | .connectionId + "\t" + tojson' |
        awk -F '\t' -v dest="$dest" '{ f = dest "/" $1 ".json"; print $2 > f; close(f) }'
    ;;
parallel)
    dest=$2
    shift 2
    mkdir -p "$dest"
    pids=()
    for id in "$@"; do
        curl -sS -f -H "$auth" -o "$dest/$id.json" "$API/connections/$id" &
        pids+=($!)
    done
    rc=0
    for p in "${pids[@]}"; do wait "$p" || rc=1; done
    exit $rc
    ;;
*)
    echo "usage: $0 ls | names | settings DEST | parallel DEST ID..." >&2
    exit 2
    ;;
esac
