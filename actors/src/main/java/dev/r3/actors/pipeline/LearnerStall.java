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
                + status.ledger()
                + starvedBy(status.ledger());
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
   * Dynamic sampling's starvation, said plainly: when nearly every sample produced was dropped for
   * its group's equal rewards, the batch waits for informative groups that the policy hardly makes.
   */
  private static String starvedBy(LedgerCounts ledger) {
    long allEqual = ledger.dropped(DropReason.ALL_EQUAL);
    if (ledger.produced() == 0 || allEqual < STARVED_SHARE * ledger.produced()) {
      return "";
    }
    return String.format(
        java.util.Locale.ROOT,
        ". Dynamic sampling starved: %d of the %d samples produced (%.1f%%) were dropped because"
            + " every sample of their group earned the same reward. The policy's rewards have become"
            + " uniform (a collapse, or a task too easy or too hard for it); turn"
            + " r3.algorithm.dynamic-sampling off to train on such groups anyway, or lower the"
            + " learning rate",
        allEqual,
        ledger.produced(),
        100.0 * allEqual / ledger.produced());
  }

  /** The share of all-equal drops above which a missing batch is starvation. */
  static final double STARVED_SHARE = 0.9;
}
