package dev.r3.actors.learning;

/**
 * What rollouts cost in prefill and in routing transport over a span (one worker batch, the groups
 * of one learner step). Additive ({@link #plus}), so the buffer sums what its groups report and the
 * learner writes one row per step; it travels inside the wire messages, so a cluster's remote
 * rollouts count too.
 *
 * @param promptTokens prompt tokens the engine was asked to prefill (every turn's whole transcript)
 * @param computedTokens of them, those it computed (the others came from a GRPO group's shared
 *     prefill or from the prefix cache)
 * @param cacheLookups prefix-cache lookups
 * @param cacheHits lookups that reused a cached prefix
 * @param cacheBytes KV and routing bytes held by the prefix cache at the end of the span (the
 *     largest reported when spans are summed)
 * @param trajectories trajectories whose routing record arrived in pieces and was assembled
 * @param routingPieces pieces those records came in
 * @param routingBytes bytes of routing ids in those pieces (one byte per id)
 */
public record RolloutCounters(
    long promptTokens,
    long computedTokens,
    long cacheLookups,
    long cacheHits,
    long cacheBytes,
    long trajectories,
    long routingPieces,
    long routingBytes) {

  public static final RolloutCounters NONE = new RolloutCounters(0, 0, 0, 0, 0, 0, 0, 0);

  /** A worker batch's prefill counters. */
  public static RolloutCounters prefill(
      long promptTokens, long computedTokens, long lookups, long hits, long cacheBytes) {
    return new RolloutCounters(promptTokens, computedTokens, lookups, hits, cacheBytes, 0, 0, 0);
  }

  /** Routing transport: {@code pieces} pieces of {@code bytes} bytes made {@code trajectories}. */
  public static RolloutCounters transport(long trajectories, long pieces, long bytes) {
    return new RolloutCounters(0, 0, 0, 0, 0, trajectories, pieces, bytes);
  }

  public RolloutCounters plus(RolloutCounters o) {
    return new RolloutCounters(
        promptTokens + o.promptTokens,
        computedTokens + o.computedTokens,
        cacheLookups + o.cacheLookups,
        cacheHits + o.cacheHits,
        Math.max(cacheBytes, o.cacheBytes),
        trajectories + o.trajectories,
        routingPieces + o.routingPieces,
        routingBytes + o.routingBytes);
  }

  /** Prompt tokens not computed again. */
  public long savedTokens() {
    return promptTokens - computedTokens;
  }

  /** NaN without lookups. */
  public double hitRate() {
    return cacheLookups == 0 ? Double.NaN : cacheHits / (double) cacheLookups;
  }

  /** NaN without assembled trajectories. */
  public double routingBytesPerTrajectory() {
    return trajectories == 0 ? Double.NaN : routingBytes / (double) trajectories;
  }

  /** NaN without pieces. */
  public double routingBytesPerPiece() {
    return routingPieces == 0 ? Double.NaN : routingBytes / (double) routingPieces;
  }

  /** NaN without assembled trajectories. */
  public double piecesPerTrajectory() {
    return trajectories == 0 ? Double.NaN : routingPieces / (double) trajectories;
  }
}
