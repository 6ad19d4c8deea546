package dev.r3.actors.ports;

import dev.r3.env.Split;
import java.util.List;

/**
 * What the pipeline needs from an environment: a prompt for an episode seed, and a verdict on a
 * completion for that same episode; for multi-turn tasks also the rules of a turn and the episodes
 * themselves. Episodes are rebuilt from (seed, split), so messages carry two numbers instead of an
 * environment's task object. Implementations need not be thread-safe: each actor opens its own (an
 * {@link Episode} may be stepped on another thread than the one that started it, one step at a
 * time).
 */
public interface Task {

  /** The prompt text of episode {@code seed} of the train or the held-out split. */
  String prompt(long seed, Split split);

  /**
   * Scores the decoded completion of that episode (for a multi-turn task the whole transcript after
   * the prompt: model turns and observations); environment failures come back as failed verdicts.
   */
  Verdict score(long seed, Split split, String completion);

  /** How one episode is played; {@link Rules#SINGLE} for a single-turn task. */
  default Rules rules() {
    return Rules.SINGLE;
  }

  /** A fresh episode of a multi-turn task (its prompt is {@link #prompt}). */
  default Episode start(long seed, Split split) {
    throw new UnsupportedOperationException(getClass().getSimpleName() + " is single-turn");
  }

  /**
   * @param reward the scalar the learner optimises
   * @param correct the answer was right (what accuracy counts)
   * @param failed the environment failed (exception, timeout): the trajectory is dropped, not
   *     trained on
   * @param reason a short word for logs and the ledger
   */
  record Verdict(float reward, boolean correct, boolean failed, String reason) {}

  /**
   * @param maxTurns model turns at most (1: single-turn)
   * @param maxTokensPerTurn generated tokens per turn at most, the stop token included
   * @param stopTokens text forms of the tokens that end a turn besides end-of-sequence (each one
   *     token)
   */
  record Rules(int maxTurns, int maxTokensPerTurn, List<String> stopTokens) {
    public static final Rules SINGLE = new Rules(1, Integer.MAX_VALUE, List.of());

    public Rules {
      if (maxTurns < 1) {
        throw new IllegalArgumentException("max turns must be >= 1, got " + maxTurns);
      }
      stopTokens = List.copyOf(stopTokens);
    }

    public boolean multiTurn() {
      return maxTurns > 1;
    }
  }

  /** One episode of a multi-turn task. */
  interface Episode {
    /**
     * Feeds one model turn (decoded text, tool tokens as text). Never throws for a model's mistake;
     * an environment failure is an {@link Step.End} with {@code failed}.
     */
    Step step(String modelTurn);
  }

  /** The environment's answer to a model turn. */
  sealed interface Step {
    /** The episode goes on with {@code text} (e.g. a tool result) appended to the context. */
    record Observe(String text) implements Step {}

    /**
     * The episode is over; the reward comes from {@link #score} on the transcript.
     *
     * @param failed the environment failed (the trajectory is dropped)
     */
    record End(boolean failed, String reason) implements Step {}
  }

  /** Opens a fresh task (one per actor). */
  @FunctionalInterface
  interface Factory {
    Task open();
  }
}
