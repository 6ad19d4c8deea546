#!/usr/bin/env bash
# R3 launcher: builds what is missing or stale (mvn package, no tests), then runs the command line.
#   ./r3 --help            every command
#   R3_JAVA_OPTS=...       extra JVM options (default heap: -Xmx8g; soak: a fixed 2 GiB heap)
#   R3_DEBUG=1             stack traces for user errors
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
STAMP="$ROOT/actors/target/.r3-built"
CPFILE="$ROOT/actors/target/classpath.txt"

stale() {
  [ -f "$STAMP" ] && [ -f "$CPFILE" ] || return 0
  [ -n "$(find "$ROOT/pom.xml" "$ROOT/model" "$ROOT/env" "$ROOT/actors" \
      \( -path '*/target' -prune \) -o \( -type f \( -name '*.java' -o -name 'pom.xml' -o -path '*/src/main/resources/*' \) -newer "$STAMP" -print \) \
      2>/dev/null | head -n 1)" ]
}

if stale; then
  echo "r3: building (mvn package -DskipTests; first time downloads dependencies) ..." >&2
  mkdir -p "$ROOT/actors/target"
  if ! (cd "$ROOT" && mvn -B -ntp -DskipTests package) >"$ROOT/actors/target/r3-build.log" 2>&1; then
    grep -E "ERROR|FAIL" "$ROOT/actors/target/r3-build.log" | head -n 40 >&2
    echo "r3: build failed; full log: actors/target/r3-build.log" >&2
    exit 1
  fi
  touch "$STAMP"
fi

CP="$ROOT/actors/target/classes:$ROOT/model/target/classes:$ROOT/env/target/classes:$(cat "$CPFILE")"
# One intra-op thread per engine: the learner and the rollout workers run side by side on the cores,
# and spinning OpenMP threads on a busy machine cost far more than they give (measured: up to 100x).
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
# First touch of freshly mapped memory is very slow here (10-70 ms per MB-sized tensor): keep freed
# blocks in the heap instead of returning them to the kernel (measured: trainer step 1-1.9 s -> 0.2 s).
export MALLOC_MMAP_THRESHOLD_="${MALLOC_MMAP_THRESHOLD_:-33554432}"
export MALLOC_TRIM_THRESHOLD_="${MALLOC_TRIM_THRESHOLD_:-1073741824}"
# Kept blocks stay in the arena that freed them; glibc's default of 8 arenas per core lets each
# thread's arena hold its own high-water mark. Two arenas (one per core here) keep RSS flat across
# runs (measured with ./r3 soak, two soaks side by side: 2508 -> 2627 MiB over 8 minutes with 2
# arenas, 2556 -> 3129 MiB with 16).
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
# A soak judges resident memory, so its heap is fixed and touched up front: a heap that grows in the
# middle of the hour would show as an RSS step that is not a leak (measured: +390 MiB at minute 22).
JAVA_OPTS_DEFAULT="-Xmx8g"
if [ "${1:-}" = "soak" ]; then
  JAVA_OPTS_DEFAULT="-Xms2g -Xmx2g -XX:+AlwaysPreTouch"
fi
exec java ${R3_JAVA_OPTS:-$JAVA_OPTS_DEFAULT} \
  -Dai.djl.offline=true \
  -DENGINE_CACHE_DIR="$ROOT/.cache/djl" -DDJL_CACHE_DIR="$ROOT/.cache/djl" \
  -Dai.djl.default_engine=PyTorch \
  -Dr3.root="$ROOT" \
  -cp "$CP" dev.r3.cli.R3 "$@"
