package dev.r3.report;

import java.util.Locale;

/**
 * A number over seeds: count, mean, sample standard deviation (n - 1 in the denominator; NaN for
 * one seed, where a spread is not measured) and the min-max range. Non-finite inputs (a seed that
 * did not produce the number) are left out and not counted.
 */
record Stats(int n, double mean, double std, double min, double max) {

  static Stats of(double... xs) {
    int n = 0;
    double sum = 0;
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;
    for (double x : xs) {
      if (Double.isFinite(x)) {
        n++;
        sum += x;
        min = Math.min(min, x);
        max = Math.max(max, x);
      }
    }
    if (n == 0) {
      return new Stats(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
    }
    double mean = sum / n;
    double ss = 0;
    for (double x : xs) {
      if (Double.isFinite(x)) {
        ss += (x - mean) * (x - mean);
      }
    }
    return new Stats(n, mean, n > 1 ? Math.sqrt(ss / (n - 1)) : Double.NaN, min, max);
  }

  /** "0.612 ± 0.034", "0.612" for one seed, "-" for none; {@code fmt} formats one number. */
  String text(String fmt) {
    if (n == 0) {
      return "-";
    }
    String m = String.format(Locale.ROOT, fmt, mean);
    return n > 1 ? m + " ± " + String.format(Locale.ROOT, fmt, std) : m;
  }
}
