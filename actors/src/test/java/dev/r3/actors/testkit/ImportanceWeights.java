package dev.r3.actors.testkit;

import dev.r3.actors.config.R3Config;

/**
 * The bigram stand-in's copy of the behaviour weights that {@code dev.r3.model.rl} applies on the
 * real model. Per-token weights that correct for the gap between the trainer's policy at the start
 * of the batch (pi_prox, pi_old) and the rollout engine's (mu), DESIGN.md section 3:
 *
 * <ul>
 *   <li>decoupled PPO: weight {@code pi_prox / mu};
 *   <li>TIS: that weight truncated at {@code cap} (TIS alone: {@code min(pi_old / mu, cap)});
 *   <li>MIS (IcePop): tokens whose ratio leaves {@code [low, high]} get weight 0 (masked).
 * </ul>
 *
 * Arrays are aligned with tokens[1..T-1] of a sequence; prompt positions get weight 0.
 */
final class ImportanceWeights {
  private ImportanceWeights() {}

  static float[] of(float[] prox, float[] mu, int promptLength, R3Config.Algorithm a) {
    float[] w = new float[prox.length];
    for (int i = promptLength - 1; i < prox.length; i++) {
      double ratio = Math.exp(prox[i] - mu[i]);
      double weight = a.decoupledPpo() ? ratio : 1.0;
      if (a.tis()) {
        weight = Math.min(ratio, a.tisCap());
      }
      if (a.mis() && (ratio < a.misLow() || ratio > a.misHigh())) {
        weight = 0;
      }
      w[i] = (float) weight;
    }
    return w;
  }
}
