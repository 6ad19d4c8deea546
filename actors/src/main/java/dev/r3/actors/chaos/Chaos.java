package dev.r3.actors.chaos;

import dev.r3.actors.pipeline.RolloutWorker;
import java.io.NotSerializableException;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.Serializer;

/**
 * The fault injection of one run ({@code r3.chaos}): decides, from its own seeded stream, which
 * groups to hold back past the staleness bound, which result frames to corrupt on the wire, and
 * when the learner fails; counts every fault it injects and how it was handled in its {@link
 * ChaosLog}. {@link #NONE} injects nothing. Thread-safe.
 */
public final class Chaos {
  /** No faults. */
  public static final Chaos NONE = new Chaos(ChaosSettings.OFF, new ChaosLog());

  private final ChaosSettings settings;
  private final ChaosLog log;
  private final SplittableRandom random;
  private final AtomicBoolean learnerFailed = new AtomicBoolean();

  public Chaos(ChaosSettings settings, ChaosLog log) {
    this.settings = settings;
    this.log = log;
    this.random = new SplittableRandom(settings.seed());
  }

  public ChaosSettings settings() {
    return settings;
  }

  public ChaosLog log() {
    return log;
  }

  public boolean enabled() {
    return settings.enabled();
  }

  /** A uniform draw from the fault stream. */
  public double draw() {
    synchronized (random) {
      return random.nextDouble();
    }
  }

  /** An int in [0, n) from the fault stream. */
  public int pick(int n) {
    synchronized (random) {
      return random.nextInt(n);
    }
  }

  /** Whether to hold this finished group back until it is stale (counted when true). */
  public boolean holdGroup() {
    if (!settings.enabled() || settings.staleGroups() <= 0 || draw() >= settings.staleGroups()) {
      return false;
    }
    log.injected(ChaosLog.STALE_DELAY);
    return true;
  }

  /** Whether the learner's step that publishes {@code version} fails (once per run). */
  public boolean failLearnerAt(long version) {
    int at = settings.learnerFailureStep();
    if (!settings.enabled()
        || at <= 0
        || version != at
        || !learnerFailed.compareAndSet(false, true)) {
      return false;
    }
    log.injected(ChaosLog.LEARNER_FAILURE);
    return true;
  }

  /**
   * A worker's result on its way to the group rollout: with probability {@code corrupt-frames} its
   * Kryo frame (from the system's serializer for the message) gets a flipped byte or is truncated,
   * and the receiving side decodes it. A frame the serializer refuses comes back as a failed
   * attempt (the group re-issues it); one it accepts is delivered as decoded.
   */
  public RolloutWorker.GenerateReply overTheWire(
      RolloutWorker.Generated g, Serialization serialization) {
    if (!settings.enabled()
        || settings.corruptFrames() <= 0
        || draw() >= settings.corruptFrames()) {
      return g;
    }
    Serializer s = serialization.findSerializerFor(g);
    byte[] frame = s.toBinary(g);
    boolean flip = pick(2) == 0;
    String kind = flip ? ChaosLog.FRAME_FLIPPED_BYTE : ChaosLog.FRAME_TRUNCATED;
    byte[] bad;
    if (flip) {
      bad = frame.clone();
      int at = pick(bad.length);
      bad[at] = (byte) (bad[at] ^ (1 << pick(8)));
    } else {
      bad = Arrays.copyOf(frame, pick(frame.length));
    }
    log.injected(kind);
    try {
      Object decoded = s.fromBinary(bad, RolloutWorker.Generated.class);
      log.handled(kind, "accepted_by_serializer");
      return (RolloutWorker.Generated) decoded;
    } catch (NotSerializableException | RuntimeException e) {
      log.handled(kind, "refused_by_serializer_attempt_reissued");
      return new RolloutWorker.GenerationFailed(
          g.groupId(),
          g.attempt(),
          g.worker(),
          "corrupt frame refused by the serializer: " + e.getMessage(),
          true);
    }
  }
}
