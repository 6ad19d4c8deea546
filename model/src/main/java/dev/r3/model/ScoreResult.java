package dev.r3.model;

import java.util.List;

/**
 * Trainer log-probabilities without gradient.
 *
 * @param logProbs per sequence, T - 1 values: entry t is log pi(tokens[t + 1] | tokens[..t]) at the
 *     trainer temperature
 * @param routing per sequence, the experts the trainer used at positions 0..T-2 (empty for a dense
 *     model)
 */
public record ScoreResult(float[][] logProbs, List<RoutingRecord> routing) {}
