package dev.r3.actors.learning;

/**
 * Every random choice of a run derives from the experiment seed and the id of what it is for, never
 * from timing or from which worker did the work: the same seed gives the same prompts and samples
 * whatever the scheduling, which is what lets eta = 0 reproduce the synchronous loop exactly.
 */
public final class Seeds {
  private Seeds() {}

  private static final long EPISODE = 0x5eed_0001L;
  private static final long SAMPLING = 0x5eed_0002L;
  private static final long EVAL = 0x5eed_0003L;

  /** The train-split episode of group {@code groupId}. */
  public static long episode(long runSeed, long groupId) {
    return mix(runSeed, EPISODE, groupId);
  }

  /** The sampling seed of group {@code groupId} (sample j of the group is stream j). */
  public static long sampling(long runSeed, long groupId) {
    return mix(runSeed, SAMPLING, groupId);
  }

  /** The held-out episode {@code index} (the same prompts at every evaluation of a run). */
  public static long evalEpisode(long runSeed, int index) {
    return mix(runSeed, EVAL, index);
  }

  /** SplitMix64 finaliser over the three inputs. */
  static long mix(long a, long b, long c) {
    long z = a * 0x9E3779B97F4A7C15L + b;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L + c;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    z = z ^ (z >>> 31);
    return z & Long.MAX_VALUE;
  }
}
