package dev.r3.actors.cluster;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the learner node saw of the cluster during a run, for the {@code cluster} section of
 * summary.json: members (address, roles, joined / left / downed times), nodes lost, shard moves,
 * weight-sync bytes and seconds, and bytes per trajectory on the wire. Written by the learner
 * node's actors, read when the summary is written: every method is synchronized.
 */
final class ClusterRecord {
  private final Map<String, Member> members = new LinkedHashMap<>();
  private final List<Map<String, Object>> syncs = new ArrayList<>();
  private int nodesLost;
  private int shardMoves;
  private long bytesServed;
  private long chunksServed;
  private long versionsPublished;
  private long encodedBytes;
  private String transport = "";

  private static final class Member {
    final String address;
    final List<String> roles;
    String joined;
    String left;
    String downed;
    String removed;
    String ready;
    String firstGroup;
    long groupsPlaced;
    long readyNanos;
    double secondsToFirstGroup = Double.NaN;

    Member(String address, List<String> roles) {
      this.address = address;
      this.roles = roles;
    }
  }

  private Member member(String address, List<String> roles) {
    return members.computeIfAbsent(address, a -> new Member(a, roles));
  }

  public synchronized void joined(String address, List<String> roles) {
    Member m = member(address, roles);
    if (m.joined == null) {
      m.joined = Instant.now().toString();
    }
  }

  public synchronized void left(String address, List<String> roles) {
    member(address, roles).left = Instant.now().toString();
  }

  /** Removed after being downed (unreachable): a lost node. */
  public synchronized void downed(String address, List<String> roles) {
    Member m = member(address, roles);
    if (m.downed == null) {
      m.downed = Instant.now().toString();
      nodesLost++;
    }
  }

  public synchronized void removed(String address, List<String> roles) {
    member(address, roles).removed = Instant.now().toString();
  }

  /** A rollout node has its stations up. */
  public synchronized void ready(String address) {
    Member m = member(address, List.of("rollout"));
    m.ready = Instant.now().toString();
    m.readyNanos = System.nanoTime();
  }

  /**
   * A group was placed on a station of {@code address}.
   *
   * @return seconds from the node's readiness to this, its first group; NaN for later groups
   */
  public synchronized double placed(String address) {
    Member m = member(address, List.of("rollout"));
    m.groupsPlaced++;
    if (m.firstGroup != null) {
      return Double.NaN;
    }
    m.firstGroup = Instant.now().toString();
    if (m.readyNanos != 0) {
      m.secondsToFirstGroup = (System.nanoTime() - m.readyNanos) / 1e9;
    }
    return m.secondsToFirstGroup;
  }

  public synchronized void shardMoved() {
    shardMoves++;
  }

  public synchronized void published(long bytes, String transport) {
    versionsPublished++;
    encodedBytes = bytes;
    this.transport = transport;
  }

  public synchronized void served(long bytes) {
    bytesServed += bytes;
    chunksServed++;
  }

  /** A rollout node loaded a version: bytes pulled and seconds from announcement to use. */
  public synchronized void synced(String node, long version, long bytes, double seconds) {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("node", node);
    s.put("version", version);
    s.put("bytes", bytes);
    s.put("seconds", seconds);
    syncs.add(s);
  }

  public synchronized int nodesLost() {
    return nodesLost;
  }

  /** The {@code cluster} section of summary.json. */
  public synchronized Map<String, Object> toJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    List<Map<String, Object>> ms = new ArrayList<>();
    for (Member x : members.values()) {
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("address", x.address);
      o.put("roles", x.roles);
      o.put("joined", x.joined);
      o.put("left", x.left);
      o.put("downed", x.downed);
      o.put("removed", x.removed);
      if (x.roles.contains("rollout")) {
        o.put("ready", x.ready);
        o.put("first_group", x.firstGroup);
        o.put(
            "seconds_ready_to_first_group",
            Double.isNaN(x.secondsToFirstGroup) ? null : x.secondsToFirstGroup);
        o.put("groups_placed", x.groupsPlaced);
      }
      ms.add(o);
    }
    m.put("members", ms);
    m.put("nodes_lost", nodesLost);
    m.put("shard_moves", shardMoves);
    Map<String, Object> w = new LinkedHashMap<>();
    w.put("transport", transport);
    w.put("versions_published", versionsPublished);
    w.put("bytes_per_version", encodedBytes);
    w.put("bytes_served", bytesServed);
    w.put("chunks_served", chunksServed);
    double seconds = 0;
    long pulled = 0;
    for (Map<String, Object> s : syncs) {
      seconds += (Double) s.get("seconds");
      pulled += (Long) s.get("bytes");
    }
    w.put("syncs", syncs.size());
    w.put("sync_seconds_mean", syncs.isEmpty() ? null : seconds / syncs.size());
    w.put("sync_bytes_total", pulled);
    m.put("weight_sync", w);
    m.put("trajectories_on_wire", dev.r3.actors.wire.WireStats.trajectoryJson());
    return m;
  }
}
