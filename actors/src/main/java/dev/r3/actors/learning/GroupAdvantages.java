package dev.r3.actors.learning;

/** GRPO's group-relative advantage, {@code A_i = (R_i - mean(R)) / (std(R) + eps)}, on the host. */
public final class GroupAdvantages {
  private GroupAdvantages() {}

  /** Population standard deviation, as GRPO implementations use. */
  public static float[] of(float[] rewards, float eps) {
    int n = rewards.length;
    double mean = 0;
    for (float r : rewards) {
      mean += r;
    }
    mean /= n;
    double var = 0;
    for (float r : rewards) {
      var += (r - mean) * (r - mean);
    }
    double std = Math.sqrt(var / n);
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) ((rewards[i] - mean) / (std + eps));
    }
    return a;
  }

  /** True when every reward equals the first: the group carries no learning signal. */
  public static boolean allEqual(float[] rewards) {
    for (float r : rewards) {
      if (r != rewards[0]) {
        return false;
      }
    }
    return true;
  }
}
