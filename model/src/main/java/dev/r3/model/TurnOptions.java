package dev.r3.model;

import java.util.Arrays;

/**
 * Per-call options of {@link RolloutEngine#generate(java.util.List, SamplingParams, TurnOptions)}
 * for one turn of multi-turn episodes.
 *
 * @param stopIds besides {@link SamplingParams#eosId()}, token ids that end a sequence's turn
 *     (included in its output), e.g. an environment's tool-call closing token
 * @param streams per prompt, the sampler stream (so that a sequence's draws do not depend on which
 *     other sequences share the call, or on its index in it); null = the prompt's index
 * @param recorded per prompt, the routing record its caller already holds for the prompt's first
 *     positions (the earlier turns of an episode), or null (the array or an element): the engine
 *     replays it wherever it has to compute those positions again (after an eviction, in a fresh
 *     engine) and reuses a cached prefix only as far as the cached routing equals it, so the record
 *     and the KV the new turn attends to always come from the same experts
 */
public record TurnOptions(int[] stopIds, long[] streams, RoutingRecord[] recorded) {
  public static final TurnOptions NONE = new TurnOptions(new int[0], null);

  public TurnOptions {
    stopIds = stopIds == null ? new int[0] : stopIds.clone();
  }

  public TurnOptions(int[] stopIds, long[] streams) {
    this(stopIds, streams, null);
  }

  /** The record held for prompt b, or null. */
  RoutingRecord recorded(int b, int prompts) {
    if (recorded == null) {
      return null;
    }
    if (recorded.length != prompts) {
      throw new IllegalArgumentException(
          recorded.length + " recorded routing records for " + prompts + " prompts");
    }
    return recorded[b];
  }

  boolean stops(int token) {
    for (int s : stopIds) {
      if (s == token) {
        return true;
      }
    }
    return false;
  }

  long stream(int b, int prompts) {
    if (streams == null) {
      return b;
    }
    if (streams.length != prompts) {
      throw new IllegalArgumentException(
          streams.length + " sampler streams for " + prompts + " prompts");
    }
    return streams[b];
  }

  @Override
  public String toString() {
    return "TurnOptions[stops=" + Arrays.toString(stopIds) + "]";
  }
}
