package dev.r3.model.rl;

import ai.djl.ndarray.NDArray;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The loss to differentiate and what to log about it. Every statistic is a mean over the batch's
 * trained tokens (for GSPO a sequence's value counts once per token of it), read back detached.
 *
 * @param loss scalar, pg_loss + kl_loss, with gradient; attached to {@code logp}'s manager
 * @param pgLoss the clipped surrogate's value
 * @param klLoss klCoef * k3(pi_theta || pi_ref); 0 when off
 * @param clipFrac share of tokens where the clip is active (the min picks the clipped term, so the
 *     token gives no gradient)
 * @param approxKl k3 estimate of KL(pi_old || pi_theta): mean (r - 1 - log r), r = pi_theta/pi_old
 * @param isWeightMean mean behaviour weight (pi_old/mu, truncated or masked); 1 when none applies
 * @param misDroppedFrac share of tokens MIS dropped (weight 0)
 * @param tokens number of trained tokens
 */
public record ObjectiveResult(
    NDArray loss,
    float pgLoss,
    float klLoss,
    float clipFrac,
    float approxKl,
    float isWeightMean,
    float misDroppedFrac,
    int tokens) {

  /** The statistics under CleanRL-style names, in a stable order. */
  public Map<String, Float> metrics() {
    Map<String, Float> m = new LinkedHashMap<>();
    m.put("losses/pg_loss", pgLoss);
    m.put("losses/kl_loss", klLoss);
    m.put("losses/clip_frac", clipFrac);
    m.put("losses/approx_kl", approxKl);
    m.put("losses/is_weight_mean", isWeightMean);
    m.put("losses/mis_dropped_frac", misDroppedFrac);
    m.put("losses/tokens", (float) tokens);
    return m;
  }
}
