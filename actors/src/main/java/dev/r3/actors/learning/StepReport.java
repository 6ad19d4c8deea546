package dev.r3.actors.learning;

/**
 * One line of metrics.jsonl: a learner step and the state of the run around it.
 *
 * @param step learner steps done (1 for the first)
 * @param version the policy version this step published (one per step)
 * @param learnerBusyFrac the step's share of the wall time since the previous step ended
 */
public record StepReport(
    long step,
    long version,
    StepStats stats,
    LedgerCounts ledger,
    double rolloutTokensPerSecond,
    double trainTokensPerSecond,
    double learnerBusyFrac) {}
