package dev.r3.actors.learning;

/**
 * The admission rule of asynchronous training (DESIGN.md section 4): with staleness bound eta,
 * batch size B groups and learner version v, a new group may start only while {@code accepted +
 * running < (eta + v + 1) * B}, where accepted counts the groups accepted into the buffer that can
 * still be trained (trained on, or waiting fresh: a group dropped as stale gives its place back, or
 * the gate would shrink by one group per stale drop until the learner starves) and running the
 * groups in flight. Staleness is bounded by admission, not by generating and throwing away; eta = 0
 * admits exactly one batch per version, which is synchronous training.
 */
public final class StalenessGate {
  private final int eta;
  private final int batchGroups;

  public StalenessGate(int eta, int batchGroups) {
    if (eta < 0) {
      throw new IllegalArgumentException("eta must be >= 0, got " + eta);
    }
    if (batchGroups < 1) {
      throw new IllegalArgumentException("batch size must be >= 1 group, got " + batchGroups);
    }
    this.eta = eta;
    this.batchGroups = batchGroups;
  }

  /** The most groups that may be accepted or running at version v. */
  public long capacity(long version) {
    return (eta + version + 1) * batchGroups;
  }

  public boolean mayAdmit(long accepted, long running, long version) {
    return accepted + running < capacity(version);
  }

  /** How many more groups may start now. */
  public long admissible(long accepted, long running, long version) {
    return Math.max(0, capacity(version) - accepted - running);
  }

  /**
   * True when a group generated at {@code generatedAt} may still be trained at learner version
   * {@code now}.
   */
  public boolean fresh(long generatedAt, long now) {
    return now - generatedAt <= eta;
  }

  public int eta() {
    return eta;
  }

  public int batchGroups() {
    return batchGroups;
  }
}
