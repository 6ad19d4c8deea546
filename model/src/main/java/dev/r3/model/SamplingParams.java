package dev.r3.model;

/**
 * How the rollout engine samples. The trainer scores with the same {@code temperature}, so that
 * {@code pi_train} and {@code pi_infer} are the same distribution up to numerics.
 *
 * @param temperature logits are divided by it; must be > 0 (use a small value for near-greedy)
 * @param topP nucleus mass in (0, 1]; 1 = plain sampling
 * @param maxNewTokens generation stops after this many tokens
 * @param eosId generation of a sequence stops after it samples this id (included in the output)
 * @param seed same seed, same prompts, same weights: same tokens
 */
public record SamplingParams(
    float temperature, float topP, int maxNewTokens, int eosId, long seed) {
  public SamplingParams {
    if (!(temperature > 0) || Float.isInfinite(temperature)) {
      throw new IllegalArgumentException("temperature must be finite and > 0, got " + temperature);
    }
    if (!(topP > 0 && topP <= 1)) {
      throw new IllegalArgumentException("top_p must be in (0, 1], got " + topP);
    }
    if (maxNewTokens < 1) {
      throw new IllegalArgumentException("max_new_tokens must be >= 1, got " + maxNewTokens);
    }
  }

  public SamplingParams withSeed(long s) {
    return new SamplingParams(temperature, topP, maxNewTokens, eosId, s);
  }
}
