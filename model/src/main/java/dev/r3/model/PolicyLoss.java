package dev.r3.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * A training objective over one batch of per-token log-probabilities: returns a scalar to minimise.
 * RL objectives (GRPO, GSPO, TIS, ...) are written elsewhere as plain functions of these arrays;
 * every array they create belongs in {@code scope}, which the trainer closes after the step.
 */
@FunctionalInterface
public interface PolicyLoss {
  NDArray apply(TokenBatch batch, NDManager scope);

  /** Masked mean negative log-likelihood of the trained tokens (supervised warm-up). */
  static PolicyLoss negativeLogLikelihood() {
    return (b, scope) -> {
      NDArray tokens = b.mask().sum().maximum(1f);
      return b.logProbs().mul(b.mask()).sum().neg().div(tokens);
    };
  }
}
