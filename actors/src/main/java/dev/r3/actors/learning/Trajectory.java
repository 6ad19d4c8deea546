package dev.r3.actors.learning;

import dev.r3.model.RoutingRecord;
import dev.r3.model.Sequence;

/**
 * One sampled response, stamped with the policy version that generated it, carrying what the
 * learner needs: tokens, the rollout log-probabilities (mu) and the routing record (R3).
 *
 * @param sample index within its group (0..G-1)
 * @param episodeSeed the environment episode (train split) the prompt came from
 * @param version the weights version that generated it
 */
public record Trajectory(
    long groupId,
    int sample,
    long episodeSeed,
    long version,
    int[] tokens,
    int promptLength,
    float[] logProbs,
    RoutingRecord routing,
    boolean stoppedAtEos) {

  public String id() {
    return "g" + groupId + "-s" + sample;
  }

  public int generatedTokens() {
    return tokens.length - promptLength;
  }

  public Sequence sequence() {
    return new Sequence(id(), tokens, promptLength);
  }
}
