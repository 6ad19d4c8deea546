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
 */
public record TurnOptions(int[] stopIds, long[] streams) {
  public static final TurnOptions NONE = new TurnOptions(new int[0], null);

  public TurnOptions {
    stopIds = stopIds == null ? new int[0] : stopIds.clone();
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
