package dev.r3.actors.pipeline;

import dev.r3.actors.learning.Ledger;
import dev.r3.actors.learning.RolloutCounters;
import dev.r3.actors.learning.ScoredGroup;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * The learner's side of the {@link ReplayBuffer}: keeps the learner's {@link
 * ReplayBuffer.TakeBatch} until B fresh groups wait (stale ones are dropped first), then answers it
 * with the next numbered {@link ReplayBuffer.Batch}, which carries the ledger, the rollout tokens
 * per second and the rollout counters since the previous batch. Time is injected. Not thread-safe:
 * the buffer owns it.
 */
final class BatchServing {
  private final GroupIntake intake;
  private final Ledger ledger;
  private final LongSupplier nanoTime;
  private ReplayBuffer.TakeBatch demand;
  private long nextBatchId;
  private long tokensSinceBatch;
  private RolloutCounters rolloutSinceBatch = RolloutCounters.NONE;
  private long lastBatchNanos;

  /**
   * @param nanoTime the clock of the tokens-per-second rate ({@code System::nanoTime})
   */
  BatchServing(GroupIntake intake, Ledger ledger, LongSupplier nanoTime) {
    this.intake = intake;
    this.ledger = ledger;
    this.nanoTime = nanoTime;
    this.lastBatchNanos = nanoTime.getAsLong();
  }

  /** The learner wants the next batch (it replaces an earlier request). */
  void demand(ReplayBuffer.TakeBatch m) {
    demand = m;
  }

  /** Forgets the learner's request (the run drains, or the learner restarted). */
  void forgetDemand() {
    demand = null;
  }

  /** A group finished with these counters and {@code tokens} generated tokens it keeps. */
  void finished(RolloutCounters counters, long tokens) {
    rolloutSinceBatch = rolloutSinceBatch.plus(counters);
    tokensSinceBatch += tokens;
  }

  /**
   * Answers the learner's request once B fresh groups wait at {@code version}; {@code nextGroupId}
   * is the first group id not yet admitted.
   */
  void serve(long version, long nextGroupId) {
    if (demand == null) {
      return;
    }
    intake.dropStale(version);
    List<ScoredGroup> groups = intake.takeBatch();
    if (groups == null) {
      return;
    }
    long now = nanoTime.getAsLong();
    double rate = tokensSinceBatch / Math.max(1e-9, (now - lastBatchNanos) / 1e9);
    tokensSinceBatch = 0;
    lastBatchNanos = now;
    demand
        .replyTo()
        .tell(
            new ReplayBuffer.Batch(
                nextBatchId++,
                version,
                groups,
                ledger.counts(),
                rate,
                nextGroupId,
                rolloutSinceBatch));
    rolloutSinceBatch = RolloutCounters.NONE;
    demand = null;
  }
}
