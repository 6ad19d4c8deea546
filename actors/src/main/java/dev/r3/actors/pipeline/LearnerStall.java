package dev.r3.actors.pipeline;

import dev.r3.actors.config.R3Config;

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
}
