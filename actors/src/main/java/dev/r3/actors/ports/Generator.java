package dev.r3.actors.ports;

import dev.r3.model.ContinuousBatch;
import dev.r3.model.CoreShare;
import dev.r3.model.Generation;
import dev.r3.model.ModelWeights;
import dev.r3.model.PrefixCache;
import dev.r3.model.SamplingParams;
import dev.r3.model.TurnOptions;
import java.util.List;

/**
 * A rollout engine bound to one version of the weights: the seam between a RolloutWorker and the
 * model's inference code. Called from one thread at a time.
 */
public interface Generator extends AutoCloseable {

  /**
   * One completion per prompt, in order; the same seed, prompts and weights give the same tokens.
   */
  List<Generation> generate(List<int[]> prompts, SamplingParams params);

  /**
   * One turn of multi-turn episodes: as {@link #generate}, a sequence also stopping at any of
   * {@code turn.stopIds()} and drawing from sampler stream {@code turn.streams()[b]}. Prompts
   * extend earlier calls' sequences; the routing record of each generation covers all its T - 1
   * positions.
   */
  default List<Generation> generateTurn(
      List<int[]> prompts, SamplingParams params, TurnOptions turn) {
    throw new UnsupportedOperationException(
        getClass().getSimpleName() + " generates single turns only");
  }

  /** The engine's prefix-cache counters since it was opened, or null when it keeps none. */
  default PrefixCache.Stats prefixCacheStats() {
    return null;
  }

  /**
   * A running decode batch on this generator's engine for continuous batching, or null when the
   * engine has none (then a continuous-batching worker generates each group with {@link
   * #generate}).
   */
  default ContinuousBatch openBatch() {
    return null;
  }

  /** Tokens a sequence may hold at most (prompt and generated). */
  default int maxContext() {
    return Integer.MAX_VALUE;
  }

  @Override
  default void close() {}

  /** Builds a generator for given weights (applies the rollout precision). */
  @FunctionalInterface
  interface Factory {
    Generator open(ModelWeights weights);

    /**
     * The process's share of the cores that this factory's engines compute in: a rollout worker
     * enters a {@link CoreShare.Role#ROLLOUT} section around each engine call. {@link
     * CoreShare#FIXED} (nothing set) unless the engines run on libtorch.
     */
    default CoreShare cores() {
      return CoreShare.FIXED;
    }
  }
}
