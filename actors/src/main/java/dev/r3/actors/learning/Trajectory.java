package dev.r3.actors.learning;

import dev.r3.model.RoutingRecord;
import dev.r3.model.Sequence;

/**
 * One sampled response, stamped with the policy version that generated it, carrying what the
 * learner needs: tokens, the rollout log-probabilities (mu) and the routing record (R3). A
 * multi-turn episode is one trajectory: its response is the whole transcript after the prompt, the
 * model's turns and the environment's observations, and its loss mask says which tokens the model
 * generated.
 *
 * @param sample index within its group (0..G-1)
 * @param episodeSeed the environment episode (train split) the prompt came from
 * @param version the weights version that generated it (every turn of it)
 * @param logProbs one per response token: the rollout log-probability of a model token, 0 on an
 *     observation token
 * @param routing the experts the rollout engine used at all T - 1 fed positions, observation tokens
 *     included; null between a rollout worker and the replay buffer, which assembles it from the
 *     pieces the worker shipped turn by turn ({@link RoutingAssembly})
 * @param lossMask per token (length T), 1 on model-generated tokens; null = every response token
 *     (single turn)
 * @param turns model turns played (1 for a single-turn task)
 * @param envFailure why the environment failed during the episode (the trajectory is dropped), or
 *     null
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
    boolean stoppedAtEos,
    byte[] lossMask,
    int turns,
    String envFailure) {

  /** A single-turn sample. */
  public Trajectory(
      long groupId,
      int sample,
      long episodeSeed,
      long version,
      int[] tokens,
      int promptLength,
      float[] logProbs,
      RoutingRecord routing,
      boolean stoppedAtEos) {
    this(
        groupId,
        sample,
        episodeSeed,
        version,
        tokens,
        promptLength,
        logProbs,
        routing,
        stoppedAtEos,
        null,
        1,
        null);
  }

  public String id() {
    return id(groupId, sample);
  }

  /** The id of sample {@code sample} of group {@code groupId}: {@code g7-s3}. */
  public static String id(long groupId, int sample) {
    return "g" + groupId + "-s" + sample;
  }

  /**
   * This trajectory with another routing record; null while the record travels in pieces ({@link
   * RoutingSink}).
   */
  public Trajectory withRouting(RoutingRecord r) {
    return new Trajectory(
        groupId,
        sample,
        episodeSeed,
        version,
        tokens,
        promptLength,
        logProbs,
        r,
        stoppedAtEos,
        lossMask,
        turns,
        envFailure);
  }

  public int generatedTokens() {
    return tokens.length - promptLength;
  }

  /** Tokens the model generated (the trained ones): the response less its observations. */
  public int modelTokens() {
    if (lossMask == null) {
      return generatedTokens();
    }
    int n = 0;
    for (int t = promptLength; t < tokens.length; t++) {
      n += lossMask[t] != 0 ? 1 : 0;
    }
    return n;
  }

  public Sequence sequence() {
    return new Sequence(id(), tokens, promptLength, lossMask);
  }
}
