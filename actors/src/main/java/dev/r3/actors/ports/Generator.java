package dev.r3.actors.ports;

import dev.r3.model.Generation;
import dev.r3.model.ModelWeights;
import dev.r3.model.SamplingParams;
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

  @Override
  default void close() {}

  /** Builds a generator for given weights (applies the rollout precision). */
  @FunctionalInterface
  interface Factory {
    Generator open(ModelWeights weights);
  }
}
