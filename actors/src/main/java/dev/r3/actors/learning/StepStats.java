package dev.r3.actors.learning;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What one learner step measured (NaN where a measure does not apply, e.g. router disagreement of a
 * dense model).
 *
 * @param trainedTokens generated tokens trained on
 * @param diagnostics the objective's diagnostics (mean over the mini-steps) and the mismatch
 *     summary's measures, keyed by their metric names ({@code losses/approx_kl}, {@code
 *     routing/disagreement/layer_0}, ...); NaN where a measure does not apply
 */
public record StepStats(
    int groups,
    int sequences,
    long trainedTokens,
    double rewardMean,
    double accuracy,
    double mismatchKl,
    double extreme2,
    double routerDisagreement,
    double loss,
    double gradNorm,
    double clipFrac,
    double stalenessMean,
    long stalenessMax,
    double seconds,
    Map<String, Double> diagnostics) {

  public StepStats {
    // A copy, as a LinkedHashMap (the registered wire form; Kryo reads records by accessor).
    diagnostics = new LinkedHashMap<>(diagnostics);
  }
}
