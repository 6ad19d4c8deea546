package dev.r3.model.rl;

import java.util.Arrays;

/**
 * Group-relative advantages (GRPO: Shao et al., "DeepSeekMath", arXiv 2402.03300, 2024): the G
 * responses to one prompt form a group, and each response's advantage is its reward measured
 * against the group, {@code A_i = (R_i - mean(R)) / (std(R) + eps)}. No value network.
 *
 * <p>Which std. DeepSeekMath writes plain {@code std}. verl ({@code
 * compute_grpo_outcome_advantage}) and TRL ({@code GRPOTrainer}) both call {@code torch.std}, which
 * is the <em>sample</em> std (Bessel, divides by G - 1); so {@link Scale#SAMPLE_STD} is the {@link
 * #DEFAULT_SCALE}, and runs compare with theirs. {@link Scale#POPULATION_STD} divides by G: for
 * binary rewards with G = 8 the two differ by sqrt(8/7), about 7%, a constant factor on the step
 * size. {@link Scale#NONE} only centres the rewards (Dr. GRPO, Liu et al., "Understanding
 * R1-Zero-Like Training", 2025: dividing by the std weights nearly-solved and nearly-failed prompts
 * up).
 *
 * <p>A group whose rewards are all equal (all right, all wrong) carries no signal: its advantages
 * are exactly 0 and {@link Group#allEqual()} is set, so a DAPO-style dynamic sampler (Yu et al.,
 * "DAPO", arXiv 2503.14476, 2025) can drop it and draw another. A group of one is flagged the same
 * way: it has no baseline.
 *
 * <p>Pure Java, double precision inside; no DJL.
 */
public final class Advantages {
  /** verl's default: keeps a group with a tiny but non-zero std from blowing up. */
  public static final float DEFAULT_EPS = 1e-6f;

  /** The std torch.std computes, which verl and TRL use. */
  public static final Scale DEFAULT_SCALE = Scale.SAMPLE_STD;

  /** What the centred rewards are divided by. */
  public enum Scale {
    /** sqrt(sum (R - mean)^2 / (G - 1)) + eps: torch.std, as verl and TRL. */
    SAMPLE_STD,
    /** sqrt(sum (R - mean)^2 / G) + eps: numpy's default std. */
    POPULATION_STD,
    /** Not divided: A = R - mean(R) (Dr. GRPO). */
    NONE
  }

  /**
   * One group's advantages.
   *
   * @param advantages one per response, in the order of the rewards
   * @param mean the group's mean reward
   * @param std the std the {@link Scale} names (0 for {@link Scale#NONE}), before eps
   * @param allEqual no signal: every reward equal (or a single response); advantages are all 0
   */
  public record Group(float[] advantages, float mean, float std, boolean allEqual) {}

  /**
   * Advantages of a batch laid out group after group ({@code groupSize} rewards per prompt).
   *
   * @param advantages one per response, same layout as the rewards
   * @param allEqual one per group: the group carries no signal
   */
  public record Batch(float[] advantages, boolean[] allEqual) {
    /** Number of groups flagged {@link #allEqual}: what dynamic sampling would drop. */
    public int degenerateGroups() {
      int n = 0;
      for (boolean b : allEqual) {
        n += b ? 1 : 0;
      }
      return n;
    }
  }

  private Advantages() {}

  /** One group's advantages. */
  public static Group group(float[] rewards, Scale scale, float eps) {
    if (rewards.length == 0) {
      throw new IllegalArgumentException("a group needs at least one reward");
    }
    if (!(eps >= 0)) {
      throw new IllegalArgumentException("eps must be >= 0, got " + eps);
    }
    int g = rewards.length;
    double sum = 0;
    boolean allEqual = true;
    for (float r : rewards) {
      if (!Float.isFinite(r)) {
        throw new IllegalArgumentException("reward is not finite: " + r);
      }
      sum += r;
      allEqual &= r == rewards[0];
    }
    double mean = sum / g;
    // Compared exactly, not through std == 0: the mean of equal floats need not round back to them.
    if (allEqual) {
      return new Group(new float[g], (float) mean, 0f, true);
    }
    double squares = 0;
    for (float r : rewards) {
      squares += (r - mean) * (r - mean);
    }
    double std =
        switch (scale) {
          case SAMPLE_STD -> Math.sqrt(squares / (g - 1));
          case POPULATION_STD -> Math.sqrt(squares / g);
          case NONE -> 0;
        };
    double divisor = scale == Scale.NONE ? 1 : std + eps;
    float[] a = new float[g];
    for (int i = 0; i < g; i++) {
      a[i] = (float) ((rewards[i] - mean) / divisor);
    }
    return new Group(a, (float) mean, (float) std, false);
  }

  /** Advantages of consecutive groups of {@code groupSize} rewards each. */
  public static Batch batch(float[] rewards, int groupSize, Scale scale, float eps) {
    if (groupSize < 1 || rewards.length % groupSize != 0) {
      throw new IllegalArgumentException(
          rewards.length + " rewards do not split into groups of " + groupSize);
    }
    int groups = rewards.length / groupSize;
    float[] a = new float[rewards.length];
    boolean[] allEqual = new boolean[groups];
    for (int k = 0; k < groups; k++) {
      float[] slice = Arrays.copyOfRange(rewards, k * groupSize, (k + 1) * groupSize);
      Group grp = group(slice, scale, eps);
      System.arraycopy(grp.advantages(), 0, a, k * groupSize, groupSize);
      allEqual[k] = grp.allEqual();
    }
    return new Batch(a, allEqual);
  }
}
