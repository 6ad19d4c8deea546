package dev.r3.model;

import java.util.List;

/**
 * One optimizer step of {@link Trainer#trainStep}.
 *
 * <p>Not merged with the actors' {@code PolicyTrainer.MiniStepResult}, on purpose: the trainer
 * takes the loss as an opaque {@link PolicyLoss}, so it cannot report what the loss measured (the
 * clip fraction the Learner logs), and the port leaves out what the Learner must not lean on (the
 * optimizer's step count; the routing used, which R2 takes from the batch's first score).
 *
 * @param step optimizer steps taken so far, this one included
 * @param loss the loss value before the update
 * @param gradNorm global L2 norm of the gradient before clipping (NaN or infinite: the step was
 *     skipped)
 * @param routing per sequence, the experts used at positions 0..T-2 (pass back for R2)
 * @param logProbs per sequence, T - 1 detached log-probabilities before the update
 */
public record StepResult(
    long step, float loss, float gradNorm, List<RoutingRecord> routing, float[][] logProbs) {

  /** True when the gradient was finite and the weights were updated. */
  public boolean updated() {
    return Float.isFinite(gradNorm);
  }
}
