package dev.r3.env;

/**
 * Every seed of a run, derived with SplitMix64 mixing from the experiment seed and the id of what
 * it is for, never from timing or from which worker did the work: the same seed gives the same
 * prompts and samples whatever the scheduling, which is what lets eta = 0 reproduce the synchronous
 * loop exactly.
 *
 * <p>Two families: {@link #derive} gives independent streams under any seed (tasks, corpora,
 * splits); {@link #episode}, {@link #sampling}, {@link #evalEpisode} and {@link #heldOutPrompt}
 * name the run-level seeds the pipeline, the sweeps and the mismatch experiment use.
 */
public final class Seeds {
  private Seeds() {}

  private static final long EPISODE = 0x5eed_0001L;
  private static final long SAMPLING = 0x5eed_0002L;
  private static final long EVAL = 0x5eed_0003L;

  /** The splitmix64 finaliser: a bijection that spreads every input bit over the output. */
  public static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }

  /**
   * A seed for stream {@code index} under {@code seed}; distinct indices give unrelated streams.
   */
  public static long derive(long seed, long index) {
    return mix(mix(seed) + 0x9e3779b97f4a7c15L * (index + 1));
  }

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

  /**
   * The eval-split task {@code index} of the fixed prompt set that sweeps and the mismatch
   * experiment measure on (the same prompts for every cell of one seed).
   */
  public static long heldOutPrompt(long seed, int index) {
    return seed * 1_000_003L + index;
  }

  /**
   * The splitmix64 finaliser with the stream ({@code b}) and the index ({@code c}) folded into its
   * rounds: non-negative.
   */
  static long mix(long a, long b, long c) {
    long z = a * 0x9E3779B97F4A7C15L + b;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L + c;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    z = z ^ (z >>> 31);
    return z & Long.MAX_VALUE;
  }
}
