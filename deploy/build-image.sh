#!/usr/bin/env bash
# Builds the R3 container image without a Docker daemon: a Debian bookworm root file system made by
# debootstrap (minbase + openjdk-17-jre-headless) from the Debian mirror, the built project laid into
# it at /opt/r3 (classes, the launcher, config/, deploy/entrypoint.sh) with the run-time jars at the
# paths the launcher's class path names, then imported into Podman (vfs storage: no overlay or fuse
# needed) and saved as an OCI archive any runtime can load:
#
#   deploy/build-image.sh              # -> target/image/r3-oci.tar and image r3:latest (localhost/r3)
#   podman --storage-driver vfs run --rm --network host -e R3_ROLE=... localhost/r3
#
# (On the machine this was written on, podman run itself is refused: the sandbox does not let the
# runtime set RLIMIT_NPROC / RLIMIT_NOFILE; deploy/README.md shows how the image was run there
# instead, with runc on the image's mounted root file system.)
#
# Needs root (debootstrap, chroot), and the Debian packages debootstrap, podman and crun
# (apt-get install debootstrap podman crun). Not part of .ci/run: it downloads ~200 MB of Debian
# packages and takes minutes. The root file system is kept in target/image/rootfs and reused.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/target/image"
ROOTFS="$OUT/rootfs"
MIRROR="${R3_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
TAG="${R3_IMAGE:-r3:latest}"
PODMAN=(podman --storage-driver vfs --cgroup-manager cgroupfs)
for tool in debootstrap podman; do
  command -v "$tool" >/dev/null || { echo "build-image: $tool is missing (apt-get install debootstrap podman crun)" >&2; exit 2; }
done
[ "$(id -u)" = 0 ] || { echo "build-image: run as root (debootstrap)" >&2; exit 2; }

# 1. The project, built as ./r3 runs it (target/classes + the class path file).
(cd "$ROOT" && ./r3 --help >/dev/null)
CPFILE="$ROOT/actors/target/classpath.txt"

# 2. The base: Debian bookworm with a headless JRE 17, once.
mkdir -p "$OUT"
if [ ! -x "$ROOTFS/usr/bin/java" ]; then
  rm -rf "$ROOTFS"
  echo "build-image: debootstrap bookworm into $ROOTFS (minutes) ..." >&2
  debootstrap --variant=minbase --include=openjdk-17-jre-headless,ca-certificates,procps \
    bookworm "$ROOTFS" "$MIRROR" > "$OUT/debootstrap.log" 2>&1 \
    || { tail -n 20 "$OUT/debootstrap.log" >&2; exit 1; }
  rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/lib/apt/lists/*
fi

# 3. The base image (once): the root file system as one layer.
BASE="localhost/r3-base:bookworm-jre17"
if ! "${PODMAN[@]}" image exists "$BASE"; then
  tar -C "$ROOTFS" -cf - . | "${PODMAN[@]}" import - "$BASE" >/dev/null
fi

# 4. The application layer: /opt/r3 as the launcher expects it; the jars at their class path paths.
CTX="$OUT/context"
APP="$CTX/app"
rm -rf "$CTX" && mkdir -p "$APP/opt/r3"
tar -C "$ROOT" -cf - r3 config deploy/entrypoint.sh \
    env/target/classes model/target/classes actors/target/classes \
    actors/target/classpath.txt actors/target/.r3-built | tar -C "$APP/opt/r3" -xpf -
tr ':' '\n' < "$CPFILE" | while read -r jar; do
  mkdir -p "$APP$(dirname "$jar")" && cp -p "$jar" "$APP$jar"
done
# The launcher reads the class path at these absolute paths; the stamp stays newest (no rebuild).
touch "$APP/opt/r3/actors/target/.r3-built"
mkdir -p "$APP/opt/r3/runs" "$APP/opt/r3/.cache"
cat > "$CTX/Containerfile" <<CONTAINERFILE
FROM $BASE
COPY app/ /
WORKDIR /opt/r3
ENV OMP_NUM_THREADS=1
# R3_ROLE=learner | rollout | train picks the command (deploy/entrypoint.sh)
ENTRYPOINT ["/opt/r3/deploy/entrypoint.sh"]
CONTAINERFILE

# 5. Build (no RUN step: nothing runs inside it while building) and save as an OCI archive.
"${PODMAN[@]}" build --isolation chroot -q -f "$CTX/Containerfile" -t "$TAG" "$CTX" >/dev/null
rm -f "$OUT/r3-oci.tar"
"${PODMAN[@]}" save --format oci-archive -o "$OUT/r3-oci.tar" "$TAG"
echo "build-image: $TAG ($(du -h "$OUT/r3-oci.tar" | cut -f1) OCI archive: $OUT/r3-oci.tar)" >&2
