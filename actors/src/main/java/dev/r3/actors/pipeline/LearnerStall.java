package dev.r3.actors.pipeline;

import dev.r3.actors.config.R3Config;
import dev.r3.actors.learning.DropReason;
import dev.r3.actors.learning.LedgerCounts;

/**
 * What the {@link Learner} says when its progress deadline ({@code r3.timeouts.step}) passes: the
 * step that is still running, or the batch that never came and what the buffer held then.
 */
final class LearnerStall {
  private LearnerStall() {}

  /** Step {@code step} ended with a non-finite loss or gradient norm: its weights are not used. */
  static String diverged(long step, double loss, double gradNorm) {
    return "learner step "
        + step
        + " diverged: loss "
        + loss
        + ", gradient norm "
        + gradNorm
        + " (mean over its mini-steps); its weights are not published and the run stops (a"
        + " non-finite weight would fail every rollout). Lower r3.learner.lr, or resume from the"
        + " last checkpoint with ./r3 train --resume RUN_DIR";
  }

  /** Step {@code version + 1} has run longer than the deadline. */
  static String stepStillRunning(R3Config config, long version) {
    return "learner step "
        + (version + 1)
        + " still running after r3.timeouts.step = "
        + config.timeouts().step()
        + " (the learner thread is busy in RlStep: "
        + config.learner().miniSteps()
        + " mini-steps on "
        + config.learner().batchGroups()
        + " groups)";
  }

  /**
   * No batch came at {@code version} from {@code buffer}, which answered {@code status} (null, with
   * {@code error}, when it did not answer).
   */
  static String noBatch(
      R3Config config, String buffer, long version, ReplayBuffer.Status status, Throwable error) {
    String held =
        status == null
            ? "the buffer did not answer a status request within "
                + config.timeouts().ask()
                + " ("
                + error
                + ")"
            : "the buffer held "
                + status.queued()
                + " fresh groups waiting (a batch needs "
                + config.learner().batchGroups()
                + "), "
                + status.running()
                + " groups running, "
                + status.accepted()
                + " accepted, at version "
                + status.version()
                + "; ledger "
                + status.ledger();
    return "no batch from the replay buffer ("
        + buffer
        + ") within r3.timeouts.step = "
        + config.timeouts().step()
        + " at version "
        + version
        + ": "
        + held;
  }

  /**
   * Whether dynamic sampling starved the learner between two ledgers of the buffer (at its last
   * batch and now): at least ten batches' worth of samples produced ({@code batchSamples} each),
   * and at least {@link #STARVED_SHARE} of them dropped because their group's rewards were all
   * equal.
   */
  static boolean starved(LedgerCounts before, LedgerCounts now, long batchSamples) {
    long produced = now.produced() - before.produced();
    long allEqual = now.dropped(DropReason.ALL_EQUAL) - before.dropped(DropReason.ALL_EQUAL);
    return produced >= 10 * batchSamples && allEqual >= STARVED_SHARE * produced;
  }

  /**
   * The run ends for dynamic sampling's starvation: no batch for {@code waited}, and the samples
   * produced since the last batch ({@code before}) were nearly all dropped for equal rewards.
   */
  static String starvation(
      String buffer,
      long version,
      java.time.Duration waited,
      LedgerCounts before,
      ReplayBuffer.Status status) {
    LedgerCounts now = status.ledger();
    long produced = now.produced() - before.produced();
    long allEqual = now.dropped(DropReason.ALL_EQUAL) - before.dropped(DropReason.ALL_EQUAL);
    return String.format(
        java.util.Locale.ROOT,
        "dynamic sampling starved the learner: no batch from the replay buffer (%s) for %d s at"
            + " version %d, and %d of the %d samples produced since the last batch (%.1f%%) were"
            + " dropped because every sample of their group earned the same reward (%d fresh groups"
            + " waiting, %d running). The policy's rewards have become uniform: a collapse, or a"
            + " task too easy or too hard for it. Turn r3.algorithm.dynamic-sampling off to train"
            + " on such groups anyway, lower the learning rate, or set r3.timeouts.starved = 0 to"
            + " wait up to r3.timeouts.step",
        buffer,
        waited.toSeconds(),
        version,
        allEqual,
        produced,
        100.0 * allEqual / Math.max(1, produced),
        status.queued(),
        status.running());
  }

  /** The share of all-equal drops above which a missing batch is starvation. */
  static final double STARVED_SHARE = 0.9;
}
