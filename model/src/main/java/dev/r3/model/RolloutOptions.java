package dev.r3.model;

/**
 * Settings of a {@link RolloutEngine}.
 *
 * @param roundActivationsBf16 round every linear/matmul output, norm output and residual sum to
 *     bfloat16 (exactly, by Veltkamp splitting; compute stays float32), as a bf16 inference engine
 *     would. Weight rounding happens before construction.
 * @param prefixCacheBytes bytes of KV entries and routing ids of finished sequences kept, least
 *     recently used first out, for reuse by later prompts that extend them (multi-turn); 0 disables
 *     the cross-call cache
 * @param sharePrompts identical prompts of one call are prefilled once (a GRPO group); off only to
 *     measure what that saves
 */
public record RolloutOptions(
    boolean roundActivationsBf16, long prefixCacheBytes, boolean sharePrompts) {
  public RolloutOptions {
    if (prefixCacheBytes < 0) {
      throw new IllegalArgumentException(
          "prefix cache bytes must be >= 0, got " + prefixCacheBytes);
    }
  }

  /** float32 activations, a 64 MiB prefix cache. */
  public static RolloutOptions defaults() {
    return new RolloutOptions(false, 64L << 20, true);
  }

  public RolloutOptions withBf16Activations(boolean on) {
    return new RolloutOptions(on, prefixCacheBytes, sharePrompts);
  }

  public RolloutOptions withPrefixCacheBytes(long bytes) {
    return new RolloutOptions(roundActivationsBf16, bytes, sharePrompts);
  }

  public RolloutOptions withSharedPrompts(boolean on) {
    return new RolloutOptions(roundActivationsBf16, prefixCacheBytes, on);
  }
}
