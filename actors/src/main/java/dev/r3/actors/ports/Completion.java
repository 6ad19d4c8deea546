package dev.r3.actors.ports;

import dev.r3.model.RoutingRecord;

/**
 * One sampled sequence as a rollout engine returns it (host arrays only).
 *
 * @param tokens prompt followed by the generated tokens
 * @param promptLength number of prompt tokens
 * @param logProbs per generated token, its log-probability under the rollout engine (pi_infer)
 * @param routing experts chosen at positions 0..T-2 (T - 1 positions); empty for a dense model
 * @param stoppedAtEos false when generation hit max-new-tokens
 */
public record Completion(
    int[] tokens, int promptLength, float[] logProbs, RoutingRecord routing, boolean stoppedAtEos) {
  public Completion {
    if (logProbs.length != tokens.length - promptLength) {
      throw new IllegalArgumentException(
          "completion has "
              + (tokens.length - promptLength)
              + " generated tokens but "
              + logProbs.length
              + " log-probabilities");
    }
  }
}
