package dev.r3.env;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A source of episodes that a policy can be trained on: the contract between R3 and the tasks
 * people plug in (see {@link EnvironmentProvider} for how they are found).
 *
 * <p>An environment is configured once (its parameters are fixed at creation) and is then immutable
 * and thread-safe: many rollout workers may start episodes from one instance. The same {@code
 * (seed, split)} always gives the same task, on every machine.
 *
 * <p>Protocol, as a rollout worker sees it: {@code start(seed, split)}; feed BOS plus {@link
 * Episode#firstObservation()} to the model; generate at most {@link #maxTokensPerTurn()} tokens,
 * stopping at EOS or any of {@link #stopTokens()}; pass the decoded turn to {@link Episode#step};
 * on {@link Turn.Continue} append the observation and generate again; on {@link Turn.Done} the
 * reward is known. At most {@link #maxTurns()} model turns happen.
 */
public interface Environment {

  /** The registered name, e.g. {@code add}. */
  String name();

  /** One line for people, e.g. for {@code ./r3 env list}. */
  String description();

  /** True if the model may take more than one turn (tool calls). */
  boolean multiTurn();

  /** Upper bound on model turns per episode; 1 for single-turn tasks. */
  int maxTurns();

  /** Upper bound on generated tokens per model turn (EOS or a stop token included). */
  int maxTokensPerTurn();

  /**
   * Special tokens (text form, e.g. {@code </calc>}) that end a model turn besides EOS. The token
   * is part of the turn's text passed to {@link Episode#step}.
   */
  default List<String> stopTokens() {
    return List.of();
  }

  /** The task for a seed in a split; deterministic. */
  TaskSpec task(long seed, Split split);

  /** A fresh episode playing {@code task}. */
  Episode start(TaskSpec task);

  /** A fresh episode for a seed in a split; the same seed always gives the same episode. */
  default Episode start(long seed, Split split) {
    return start(task(seed, split));
  }

  /** Grades completions; usable apart from episodes (e.g. in a reward actor). */
  RewardFunction reward();

  /**
   * A correct completion, as the list of model turns (observations in between come from the
   * episode), or empty if this environment has no oracle. Built-in tasks always have one.
   */
  default Optional<List<String>> oracle(TaskSpec task) {
    return Optional.empty();
  }

  /**
   * {@code n} supervised examples (prompt plus correct completion) from the train split, for
   * warming a model up before RL. The default plays the {@link #oracle} through real episodes, so
   * multi-turn examples carry the environment's own tool results.
   *
   * @throws UnsupportedOperationException if there is no oracle
   */
  default List<SftExample> sftCorpus(int n, long seed) {
    if (n < 0) {
      throw new IllegalArgumentException("n must be >= 0, got " + n);
    }
    List<SftExample> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(SftExample.fromOracle(this, task(Seeds.derive(seed, i), Split.TRAIN)));
    }
    return out;
  }
}
