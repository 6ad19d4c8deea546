package dev.r3.model.rl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * What the policy objective reads for one (mini-)batch: B sequences, L = max length - 1 positions
 * (position t holds the log-probability of token t + 1), right padded. Every (B, L) array holds
 * float32 log-probabilities of the token actually sampled; values at untrained positions (prompt,
 * padding) are ignored, whatever they are (even -inf or NaN).
 *
 * @param logp log pi_theta, the current policy, with gradient (B, L)
 * @param logpOld log pi_old: the trainer's own scores at the start of the batch, or the proximal
 *     policy pi_prox for decoupled PPO (B, L); treated as a constant
 * @param logpInfer log mu: the rollout engine's log-probabilities (B, L); constant; may be null
 *     when the objective uses no behaviour weight ({@link ObjectiveConfig#usesBehaviour()})
 * @param logpRef log pi_ref of a reference policy (B, L); constant; may be null when klCoef is 0
 * @param advantages one per sequence (B), the same for all its tokens
 * @param mask 1 where a position is trained (response tokens), 0 elsewhere (B, L)
 */
public record PolicyBatch(
    NDArray logp,
    NDArray logpOld,
    NDArray logpInfer,
    NDArray logpRef,
    NDArray advantages,
    NDArray mask) {

  public PolicyBatch {
    if (logp == null || logpOld == null || advantages == null || mask == null) {
      throw new IllegalArgumentException("logp, logpOld, advantages and mask are required");
    }
    Shape bl = logp.getShape();
    if (bl.dimension() != 2) {
      throw new IllegalArgumentException("logp must be (B, L), got " + bl);
    }
    requireShape("logpOld", logpOld, bl);
    requireShape("mask", mask, bl);
    if (logpInfer != null) {
      requireShape("logpInfer", logpInfer, bl);
    }
    if (logpRef != null) {
      requireShape("logpRef", logpRef, bl);
    }
    requireShape("advantages", advantages, new Shape(bl.get(0)));
  }

  /** A batch without a reference policy (no KL penalty). */
  public static PolicyBatch of(
      NDArray logp, NDArray logpOld, NDArray logpInfer, NDArray advantages, NDArray mask) {
    return new PolicyBatch(logp, logpOld, logpInfer, null, advantages, mask);
  }

  public PolicyBatch withRef(NDArray ref) {
    return new PolicyBatch(logp, logpOld, logpInfer, ref, advantages, mask);
  }

  private static void requireShape(String name, NDArray a, Shape expected) {
    if (!a.getShape().equals(expected)) {
      throw new IllegalArgumentException(
          name + " must have shape " + expected + ", got " + a.getShape());
    }
  }
}
