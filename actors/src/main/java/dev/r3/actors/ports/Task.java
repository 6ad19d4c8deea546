package dev.r3.actors.ports;

import dev.r3.env.Split;

/**
 * What the pipeline needs from an environment: a prompt for an episode seed, and a verdict on a
 * completion for that same episode. Episodes are rebuilt from (seed, split), so messages carry two
 * numbers instead of an environment's task object. Implementations need not be thread-safe: each
 * actor opens its own.
 */
public interface Task {

  /** The prompt text of episode {@code seed} of the train or the held-out split. */
  String prompt(long seed, Split split);

  /**
   * Scores the decoded completion of that episode; environment failures come back as failed
   * verdicts.
   */
  Verdict score(long seed, Split split, String completion);

  /**
   * @param reward the scalar the learner optimises
   * @param correct the answer was right (what accuracy counts)
   * @param failed the environment failed (exception, timeout): the trajectory is dropped, not
   *     trained on
   * @param reason a short word for logs and the ledger
   */
  record Verdict(float reward, boolean correct, boolean failed, String reason) {}

  /** Opens a fresh task (one per actor). */
  @FunctionalInterface
  interface Factory {
    Task open();
  }
}
