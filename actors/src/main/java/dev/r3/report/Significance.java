package dev.r3.report;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The two statistics the stress report rests on, in plain Java and deterministic (fixed seeds, so
 * regenerating a report gives the same numbers):
 *
 * <ul>
 *   <li>a 95% percentile-bootstrap interval of a mean over seeds ({@value #RESAMPLES} resamples);
 *   <li>a two-sided permutation test of a difference of means between two groups of runs: exact
 *       (every relabelling) when there are at most {@value #EXACT_LIMIT} of them, else {@value
 *       #RESAMPLES} random relabellings with the add-one correction so that p is never 0.
 * </ul>
 *
 * With three seeds a bootstrap interval is wide and coarse (a resample can only take 10 distinct
 * means) and the smallest exact two-sided permutation p-value of 3 against 3 is 2/20 = 0.1: the
 * report says so next to each number rather than pretending to more.
 */
final class Significance {
  static final int RESAMPLES = 10_000;
  static final int EXACT_LIMIT = 100_000;
  private static final long SEED = 0x5EED0F3L;

  private Significance() {}

  /** A closed interval; NaN ends when there was nothing to resample. */
  record Interval(double low, double high) {
    String text(String fmt) {
      if (Double.isNaN(low)) {
        return "-";
      }
      return "["
          + String.format(java.util.Locale.ROOT, fmt, low)
          + ", "
          + String.format(java.util.Locale.ROOT, fmt, high)
          + "]";
    }
  }

  /**
   * The 2.5th and 97.5th percentiles of the mean of {@code xs} resampled with replacement; the
   * non-finite values are left out first (a run that did not produce the number). One value gives
   * the point itself; none gives NaN.
   */
  static Interval bootstrapMean95(double[] xs) {
    double[] v = finite(xs);
    if (v.length == 0) {
      return new Interval(Double.NaN, Double.NaN);
    }
    SplittableRandom rng = new SplittableRandom(SEED);
    double[] means = new double[RESAMPLES];
    for (int r = 0; r < RESAMPLES; r++) {
      double s = 0;
      for (int i = 0; i < v.length; i++) {
        s += v[rng.nextInt(v.length)];
      }
      means[r] = s / v.length;
    }
    Arrays.sort(means);
    return new Interval(percentile(means, 0.025), percentile(means, 0.975));
  }

  /**
   * Two-sided p-value of the observed |mean(a) - mean(b)| under random relabelling of the pooled
   * values (non-finite values left out); NaN when either group is empty.
   */
  static double permutationP(double[] a, double[] b) {
    double[] x = finite(a);
    double[] y = finite(b);
    if (x.length == 0 || y.length == 0) {
      return Double.NaN;
    }
    double[] pooled = new double[x.length + y.length];
    System.arraycopy(x, 0, pooled, 0, x.length);
    System.arraycopy(y, 0, pooled, x.length, y.length);
    double total = sum(pooled);
    double observed = Math.abs(meanDiff(sum(x), x.length, total, y.length));
    double tolerance = 1e-12 * Math.max(1, Math.abs(observed));
    double combos = binomial(pooled.length, x.length);
    if (combos <= EXACT_LIMIT) {
      long[] counts = new long[2]; // {as extreme, all}
      enumerate(pooled, x.length, 0, 0, 0.0, total, y.length, observed - tolerance, counts);
      return (double) counts[0] / counts[1];
    }
    SplittableRandom rng = new SplittableRandom(SEED);
    int extreme = 0;
    double[] p = pooled.clone();
    for (int r = 0; r < RESAMPLES; r++) {
      for (int i = 0; i < x.length; i++) { // a partial Fisher-Yates shuffle picks the first group
        int j = i + rng.nextInt(p.length - i);
        double t = p[i];
        p[i] = p[j];
        p[j] = t;
      }
      double s = 0;
      for (int i = 0; i < x.length; i++) {
        s += p[i];
      }
      if (Math.abs(meanDiff(s, x.length, total, y.length)) >= observed - tolerance) {
        extreme++;
      }
    }
    return (extreme + 1.0) / (RESAMPLES + 1.0);
  }

  private static void enumerate(
      double[] pooled,
      int k,
      int from,
      int chosen,
      double chosenSum,
      double total,
      int others,
      double threshold,
      long[] counts) {
    if (chosen == k) {
      counts[1]++;
      if (Math.abs(meanDiff(chosenSum, k, total, others)) >= threshold) {
        counts[0]++;
      }
      return;
    }
    for (int i = from; i <= pooled.length - (k - chosen); i++) {
      enumerate(
          pooled, k, i + 1, chosen + 1, chosenSum + pooled[i], total, others, threshold, counts);
    }
  }

  private static double meanDiff(double firstSum, int n, double total, int m) {
    return firstSum / n - (total - firstSum) / m;
  }

  private static double binomial(int n, int k) {
    double c = 1;
    for (int i = 1; i <= k; i++) {
      c = c * (n - k + i) / i;
    }
    return c;
  }

  private static double percentile(double[] sorted, double q) {
    double pos = q * (sorted.length - 1);
    int lo = (int) Math.floor(pos);
    int hi = Math.min(sorted.length - 1, lo + 1);
    return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
  }

  private static double[] finite(double[] xs) {
    return Arrays.stream(xs).filter(Double::isFinite).toArray();
  }

  private static double sum(double[] xs) {
    double s = 0;
    for (double x : xs) {
      s += x;
    }
    return s;
  }
}
