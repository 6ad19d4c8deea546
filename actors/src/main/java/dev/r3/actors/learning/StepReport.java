package dev.r3.actors.learning;

/**
 * One line of metrics.jsonl: a learner step and the state of the run around it.
 *
 * @param step learner steps done (1 for the first)
 * @param version the policy version this step published (one per step)
 * @param learnerBusyFrac the step's share of the wall time since the previous step ended
 * @param rollout prefill, prefix-cache and routing-transport counters of the groups finished since
 *     the previous batch
 */
public record StepReport(
    long step,
    long version,
    StepStats stats,
    LedgerCounts ledger,
    double rolloutTokensPerSecond,
    double trainTokensPerSecond,
    double learnerBusyFrac,
    RolloutCounters rollout) {

  /**
   * The report of the step that published {@code version} from a batch of {@code trajectories} that
   * left the buffer with {@code batchLedger}: the batch now counts as trained.
   *
   * @param wallSeconds wall time since the previous step ended
   */
  public static StepReport of(
      long version,
      StepStats stats,
      LedgerCounts batchLedger,
      long trajectories,
      double rolloutTokensPerSecond,
      double wallSeconds,
      RolloutCounters rollout) {
    LedgerCounts l = batchLedger;
    LedgerCounts ledger =
        new LedgerCounts(
            l.produced(),
            l.trained() + trajectories,
            l.inTraining() - trajectories,
            l.buffered(),
            l.dropped(),
            l.abandonedGroups());
    return new StepReport(
        version,
        version,
        stats,
        ledger,
        rolloutTokensPerSecond,
        stats.trainedTokens() / Math.max(1e-9, stats.seconds()),
        Math.min(1.0, stats.seconds() / Math.max(1e-9, wallSeconds)),
        rollout);
  }
}
