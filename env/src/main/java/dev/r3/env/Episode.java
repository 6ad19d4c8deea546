package dev.r3.env;

import java.util.Optional;

/**
 * One play of a task: the first observation, then one {@link #step} per model turn.
 *
 * <p>Not thread-safe; one episode belongs to one rollout. A single-turn episode answers its first
 * step with {@link Turn.Done}. Stepping an episode that is over throws {@link
 * IllegalStateException} (a caller bug, not a model error).
 */
public interface Episode {

  /** The task this episode plays; send it with the completion to a {@link RewardFunction}. */
  TaskSpec task();

  /** The prompt, as the model sees it after BOS. */
  String firstObservation();

  /**
   * Feeds one model turn (text decoded without BOS/EOS; tool tokens as their text). Never throws on
   * malformed output: that ends the episode with a zero reward.
   */
  Turn step(String modelOutput);

  /** The outcome once the episode is over, else empty. */
  Optional<Outcome> outcome();
}
