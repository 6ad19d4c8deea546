package dev.r3.actors.wire;

import dev.r3.actors.pipeline.ReplayBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Bytes of trajectories received over the wire in this JVM (the learner node): every {@link
 * ReplayBuffer.GroupFinished} and {@link ReplayBuffer.RoutingPiece} (the routing records, shipped
 * in pieces) the Kryo serializer reads, with its trajectory and routing-id counts, so the bytes per
 * trajectory can be set against an encoding with int32 routing ids (SGLang's), which would take 3
 * more bytes per id.
 */
public final class WireStats {
  private WireStats() {}

  private static final AtomicLong GROUP_BYTES = new AtomicLong();
  private static final AtomicLong TRAJECTORIES = new AtomicLong();
  private static final AtomicLong ROUTING_IDS = new AtomicLong();

  static void received(Object message, int bytes) {
    if (message instanceof ReplayBuffer.GroupFinished g && !g.scored().isEmpty()) {
      long ids = 0;
      for (var s : g.scored()) {
        ids += ids(s.trajectory().routing()); // null: it came in pieces (counted below)
      }
      GROUP_BYTES.addAndGet(bytes);
      TRAJECTORIES.addAndGet(g.scored().size());
      ROUTING_IDS.addAndGet(ids);
    } else if (message instanceof ReplayBuffer.RoutingPiece p) {
      GROUP_BYTES.addAndGet(bytes);
      ROUTING_IDS.addAndGet(ids(p.routing()));
    }
  }

  private static long ids(dev.r3.model.RoutingRecord r) {
    return r == null ? 0 : (long) r.positions() * r.layers() * r.k();
  }

  public static long trajectories() {
    return TRAJECTORIES.get();
  }

  /** Bytes per trajectory as received (routing one byte per id); NaN before the first. */
  public static double bytesPerTrajectory() {
    long n = TRAJECTORIES.get();
    return n == 0 ? Double.NaN : GROUP_BYTES.get() / (double) n;
  }

  /** The same trajectories with int32 routing ids. */
  public static double int32BytesPerTrajectory() {
    long n = TRAJECTORIES.get();
    return n == 0 ? Double.NaN : (GROUP_BYTES.get() + 3.0 * ROUTING_IDS.get()) / n;
  }

  public static Map<String, Object> trajectoryJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    long n = TRAJECTORIES.get();
    m.put("trajectories", n);
    m.put("bytes", GROUP_BYTES.get());
    m.put("routing_ids", ROUTING_IDS.get());
    m.put("bytes_per_trajectory", n == 0 ? null : bytesPerTrajectory());
    m.put("bytes_per_trajectory_int32_routing", n == 0 ? null : int32BytesPerTrajectory());
    return m;
  }
}
