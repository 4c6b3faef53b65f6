#!/usr/bin/env bash
# Builds airbytefs twice (plain, and with AddressSanitizer + UndefinedBehaviorSanitizer) and runs
# the whole test suite (C unit tests, emulator tests, mount-based integration tests, the daemon
# under valgrind, a quick benchmark) under CTest for each build (the emulator's own tests and the
# benchmark once, in the plain build: neither is about the daemon's memory), then the libFuzzer
# harnesses.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -e /dev/fuse ] || { echo "error: /dev/fuse is missing: the mount tests cannot run" >&2; exit 1; }
jobs=$(nproc)
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs"
(cd build && ctest --output-on-failure)
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DABFS_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$jobs"
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
   ctest --output-on-failure -E '^(emulator|bench\.quick)$')

# libFuzzer harnesses (clang): each fuzzes briefly, and every known crashing input is replayed.
cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DABFS_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-fuzz -j"$jobs" --target fuzzers
(cd build-fuzz && ctest --output-on-failure -R '^fuzz\.')
