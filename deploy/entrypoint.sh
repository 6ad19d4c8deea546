#!/usr/bin/env bash
# Container entry point: one cluster node, chosen by R3_ROLE.
#   R3_ROLE=learner  ./r3 train --cluster: the seed; trains once R3_MIN_ROLLOUT_NODES rollout nodes are ready
#   R3_ROLE=rollout  ./r3 node --role rollout: joins the learner at R3_JOIN (host:port), or, without
#                    R3_JOIN, finds the cluster by r3.cluster.bootstrap (in R3_SET: deploy/k8s)
#   R3_ROLE=train    ./r3 train: the whole run in this one JVM
# R3_HOSTNAME: the address other nodes reach this one at (a service name, a pod's DNS name or IP).
# Artery binds 0.0.0.0 inside the container and advertises R3_HOSTNAME: plain TCP, so keep the
# nodes on a private network, or switch to TLS: r3.cluster.tls in R3_SET, R3_TLS_PASSWORD (deploy/README.md).
# R3_SET: extra "key=value" words for --set (learner and rollout nodes); R3_CONFIG: an experiment file.
# Pekko Management (r3.cluster.management: /ready, /alive, the bootstrap's contact point) binds 0.0.0.0
# too and advertises R3_HOSTNAME.
set -euo pipefail
cd /opt/r3
ROLE="${R3_ROLE:?set R3_ROLE to learner, rollout or train}"
HOST="${R3_HOSTNAME:-$(hostname -i | awk '{print $1}')}"
PORT="${R3_PORT:-25520}"
export R3_JAVA_OPTS="${R3_JAVA_OPTS:--Xmx4g} -Dr3-cluster-pekko.pekko.remote.artery.bind.hostname=0.0.0.0 -Dr3-cluster-pekko.pekko.management.http.bind-hostname=0.0.0.0"
SETS=()
for kv in ${R3_SET:-}; do SETS+=(--set "$kv"); done
case "$ROLE" in
  learner)
    exec ./r3 train --cluster --port "$PORT" --min-rollout-nodes "${R3_MIN_ROLLOUT_NODES:-1}" \
      --set "r3.cluster.hostname=${HOST}" ${R3_CONFIG:+--config "$R3_CONFIG"} \
      --out "${R3_OUT:-runs/cluster}" "${SETS[@]}" ;;
  rollout)
    exec ./r3 node --role rollout ${R3_JOIN:+--join "$R3_JOIN"} \
      --hostname "$HOST" --port "$PORT" \
      ${R3_WORKERS_PER_NODE:+--workers-per-node "$R3_WORKERS_PER_NODE"} "${SETS[@]}" ;;
  train)
    exec ./r3 train ${R3_CONFIG:+--config "$R3_CONFIG"} "${SETS[@]}" ;;
  *) echo "R3_ROLE must be learner, rollout or train, got $ROLE" >&2; exit 2 ;;
esac
