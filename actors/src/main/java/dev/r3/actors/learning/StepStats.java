package dev.r3.actors.learning;

/**
 * What one learner step measured (NaN where a measure does not apply, e.g. router disagreement of a
 * dense model).
 *
 * @param trainedTokens generated tokens trained on
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
    double seconds) {}
