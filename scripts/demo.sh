#!/usr/bin/env bash
# From a fresh Debian machine to a mounted demo workspace: installs the packages, builds
# airbytefs, starts the Airbyte API emulator with the demo workspace on a free port, mounts it on
# ./mnt and prints a short tour.  `./scripts/demo.sh stop` unmounts and stops the emulator.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)
state="$top/.demo"
mnt="$top/mnt"

stop() {
  if mountpoint -q "$mnt" 2>/dev/null; then fusermount3 -u "$mnt"; fi
  if [ -f "$state/emulator.pid" ]; then kill "$(cat "$state/emulator.pid")" 2>/dev/null || true; fi
  rm -rf "$state"
}

if [ "${1:-}" = stop ]; then stop; echo "demo stopped"; exit 0; fi

./scripts/setup-debian.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
stop
mkdir -p "$state" "$mnt"
/usr/bin/python3 tests/emulator/airbyte_emulator.py --port 0 --port-file "$state/port" --quiet \
  >"$state/emulator.log" 2>&1 &
echo $! >"$state/emulator.pid"
for _ in $(seq 100); do [ -s "$state/port" ] && break; sleep 0.1; done
port=$(cat "$state/port")

AIRBYTE_CLOUD_CLIENT_ID=demo-client-id AIRBYTE_CLOUD_CLIENT_SECRET=demo-client-secret \
AIRBYTE_CLOUD_WORKSPACE_ID=e0a1b2c3-0000-4000-8000-000000000001 \
AIRBYTE_CLOUD_API_URL="http://127.0.0.1:$port/api/public/v1" \
  ./build/airbytefs "$mnt"

cat <<TOUR
The demo workspace (an emulated Airbyte API on 127.0.0.1:$port) is mounted on $mnt.

  ls $mnt/by-name $mnt/connections $mnt/sources
  cd "$mnt/by-name/Faker Demo" && cat name schedule streams
  echo '0 0 6 * * ?' > schedule                      # a Quartz cron (or 'manual')
  sed -i '/^purchases\$/d' streams                  # the other streams keep their sync modes
  echo sync > run && cat jobs/latest/wait            # a sync, and its outcome
  cat $mnt/status/summary; ls $mnt/status/failed     # what is failing right now
  cat health jobs/latest/failure; ls streams.d       # why, and each stream's own files
  timeout 30 cat $mnt/events                         # job and connection events as they happen
  rsync -a $mnt/settings/ ~/workspace-settings/      # GitOps: see docs/gitops.md
  cat $mnt/errors                                    # why a write failed

Stop it with: ./scripts/demo.sh stop
TOUR
