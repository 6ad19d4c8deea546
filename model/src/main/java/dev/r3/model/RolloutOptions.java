package dev.r3.model;

/**
 * Settings of a {@link RolloutEngine}.
 *
 * @param roundActivationsBf16 round every linear/matmul output, norm output and residual sum to
 *     bfloat16 (exactly, by Veltkamp splitting; compute stays float32), as a bf16 inference engine
 *     would. Weight rounding happens before construction.
 * @param prefixCacheEntries finished sequences whose KV entries and routing ids are kept, least
 *     recently used first out, for reuse by later prompts that extend them (multi-turn); 0 disables
 *     the cross-call cache (in-batch sharing of identical prompts always happens)
 */
public record RolloutOptions(boolean roundActivationsBf16, int prefixCacheEntries) {
  public RolloutOptions {
    if (prefixCacheEntries < 0) {
      throw new IllegalArgumentException(
          "prefix cache entries must be >= 0, got " + prefixCacheEntries);
    }
  }

  /** float32 activations, a 64-entry prefix cache. */
  public static RolloutOptions defaults() {
    return new RolloutOptions(false, 64);
  }

  public RolloutOptions withBf16Activations(boolean on) {
    return new RolloutOptions(on, prefixCacheEntries);
  }

  public RolloutOptions withPrefixCacheEntries(int n) {
    return new RolloutOptions(roundActivationsBf16, n);
  }
}
