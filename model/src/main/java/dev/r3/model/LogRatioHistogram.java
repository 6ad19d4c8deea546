package dev.r3.model;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The distribution of {@code |log pi_train - log pi_infer|} over response tokens, as a histogram
 * with log-spaced bins: exact counts, so adding tokens batch by batch or merging histograms gives
 * the same result as one pass, in fixed memory whatever the number of tokens.
 *
 * <p>Bins: one for exactly 0 (the engines agree bit for bit), then {@value #BINS_PER_DECADE} per
 * decade from {@value #MIN_EXPONENT} to {@value #MAX_EXPONENT} (10^-9 to 10^2; |d| above the top
 * edge goes in the last bin, below the bottom edge in the first). A quantile is reported as the
 * upper edge of the bin that holds it: an upper bound within a factor 10^(1/8) = 1.33 of the value,
 * never an underestimate; the maximum is exact.
 *
 * <p>Why a quantile and not only the KL: the KL is a mean, and the paper's mechanism is a tail (a
 * few tokens whose train/infer ratio leaves [0.5, 2], i.e. |d| > log 2 = 0.69, carry the mismatch).
 * The per-step p50 / p90 / p99 / max show whether the tail or the bulk moves.
 */
public final class LogRatioHistogram {
  static final int MIN_EXPONENT = -9;
  static final int MAX_EXPONENT = 2;
  static final int BINS_PER_DECADE = 8;
  private static final int LOG_BINS = (MAX_EXPONENT - MIN_EXPONENT) * BINS_PER_DECADE;

  /** The quantiles {@link #metrics()} reports, with their metric-name suffixes. */
  private static final double[] QUANTILES = {0.5, 0.9, 0.99};

  private static final String[] SUFFIXES = {"p50", "p90", "p99"};

  private final long[] counts = new long[LOG_BINS + 1]; // [0] = exact zeros
  private long total;
  private double max;

  /** Adds one token's {@code d = log pi_train - log pi_infer} (finite). */
  public void add(double logRatio) {
    if (!Double.isFinite(logRatio)) {
      throw new IllegalArgumentException("log ratio must be finite, got " + logRatio);
    }
    double a = Math.abs(logRatio);
    counts[bin(a)]++;
    total++;
    max = Math.max(max, a);
  }

  /** Adds every count of {@code other} to this histogram. */
  public void merge(LogRatioHistogram other) {
    for (int i = 0; i < counts.length; i++) {
      counts[i] += other.counts[i];
    }
    total += other.total;
    max = Math.max(max, other.max);
  }

  /** Tokens added. */
  public long count() {
    return total;
  }

  /** The largest |d| added (0 when empty). */
  public double max() {
    return max;
  }

  /**
   * An upper bound on the q-quantile of |d|: the upper edge of the bin holding the value of rank
   * {@code ceil(q * n)} (0 when that value is an exact zero); NaN when empty.
   */
  public double quantile(double q) {
    if (!(q > 0 && q <= 1)) {
      throw new IllegalArgumentException("quantile must be in (0, 1], got " + q);
    }
    if (total == 0) {
      return Double.NaN;
    }
    long rank = (long) Math.ceil(q * total);
    long seen = 0;
    for (int i = 0; i < counts.length; i++) {
      seen += counts[i];
      if (seen >= rank) {
        if (i == 0) {
          return 0.0;
        }
        return i == counts.length - 1 ? max : Math.min(upperEdge(i), max);
      }
    }
    return max;
  }

  /**
   * {@code mismatch/abs_log_ratio_p50}, {@code _p90}, {@code _p99} and {@code _max}; empty when no
   * token was added (no data must not read as no mismatch).
   */
  public Map<String, Double> metrics() {
    Map<String, Double> m = new LinkedHashMap<>();
    if (total == 0) {
      return m;
    }
    for (int i = 0; i < QUANTILES.length; i++) {
      m.put("mismatch/abs_log_ratio_" + SUFFIXES[i], quantile(QUANTILES[i]));
    }
    m.put("mismatch/abs_log_ratio_max", max);
    return m;
  }

  private static int bin(double a) {
    if (a == 0) {
      return 0;
    }
    int i = (int) Math.floor((Math.log10(a) - MIN_EXPONENT) * BINS_PER_DECADE);
    return 1 + Math.max(0, Math.min(LOG_BINS - 1, i));
  }

  private static double upperEdge(int bin) {
    return Math.pow(10, MIN_EXPONENT + (double) bin / BINS_PER_DECADE);
  }
}
