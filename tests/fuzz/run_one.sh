#!/bin/sh
# tests/fuzz/run_one.sh — runs one libFuzzer harness from a throwaway copy of its seed corpus, so the
# inputs it adds never land in the repository. Crashes, leaks and timeouts go to ARTIFACT_DIR.
#   run_one.sh FUZZER CORPUS_DIR ARTIFACT_DIR [libFuzzer flags...]
# e.g. run_one.sh build-fuzz/tests/fuzz/fuzz_cron tests/fuzz/corpus/cron /tmp/fz -max_total_time=60
set -eu
if [ $# -lt 3 ]; then
  echo "usage: $0 FUZZER CORPUS_DIR ARTIFACT_DIR [libFuzzer flags...]" >&2
  exit 2
fi
fuzzer=$1 corpus=$2 artifacts=$3
shift 3
work=$(mktemp -d "${TMPDIR:-/tmp}/abfs-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
if [ -d "$corpus" ]; then
  cp -R "$corpus/." "$work/"
fi
mkdir -p "$artifacts"
status=0
"$fuzzer" -artifact_prefix="$artifacts/" "$@" "$work" || status=$?
if [ "$status" -ne 0 ]; then
  echo "run_one.sh: $fuzzer failed ($status); the input that failed is in $artifacts/" >&2
fi
exit "$status"
