package dev.r3.model;

import java.util.Arrays;

/**
 * One sampled continuation of a prompt: what {@link RolloutEngine} returns and what the actors'
 * {@code Generator} port hands a rollout worker (host arrays only, so it may cross an actor
 * boundary).
 *
 * @param tokens prompt followed by the generated tokens (T in all)
 * @param promptLength number of prompt tokens
 * @param logProbs one per generated token: its log-probability under the temperature-scaled softmax
 *     it was sampled from (see {@link Sampler})
 * @param routing experts used at every fed position: all prompt tokens and every generated token
 *     except the last, T - 1 positions (empty layers for a dense model)
 * @param stoppedAtEos true when generation ended by sampling the EOS id (included in tokens), false
 *     when it hit the token limit
 */
public record Generation(
    int[] tokens, int promptLength, float[] logProbs, RoutingRecord routing, boolean stoppedAtEos) {
  public Generation {
    if (logProbs.length != tokens.length - promptLength) {
      throw new IllegalArgumentException(
          "generation has "
              + (tokens.length - promptLength)
              + " generated tokens but "
              + logProbs.length
              + " log-probabilities");
    }
  }

  public int length() {
    return tokens.length;
  }

  public int responseLength() {
    return tokens.length - promptLength;
  }

  /** The generated tokens. */
  public int[] response() {
    return Arrays.copyOfRange(tokens, promptLength, tokens.length);
  }

  /** As a trainer sequence (every generated token trained on). */
  public Sequence toSequence(String id) {
    return new Sequence(id, tokens, promptLength);
  }

  @Override
  public String toString() {
    return "Generation[prompt="
        + promptLength
        + ", response="
        + Arrays.toString(response())
        + ", eos="
        + stoppedAtEos
        + "]";
  }
}
