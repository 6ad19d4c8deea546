package dev.r3.report;

import java.util.Arrays;

/**
 * One metric against the learner step: the points where the run logged a finite value, in step
 * order. Absent keys, nulls and non-finite values never become points, so every consumer (a mean, a
 * chart on a log axis) sees only numbers it can use; non-finite values are counted separately by
 * the reader because they matter to collapse detection.
 */
record Series(double[] steps, double[] values) {

  static final Series EMPTY = new Series(new double[0], new double[0]);

  Series {
    if (steps.length != values.length) {
      throw new IllegalArgumentException(
          "steps and values differ in length: " + steps.length + " vs " + values.length);
    }
  }

  int size() {
    return steps.length;
  }

  boolean isEmpty() {
    return steps.length == 0;
  }

  /** Mean of the values; NaN when empty. */
  double mean() {
    return isEmpty() ? Double.NaN : Arrays.stream(values).average().orElse(Double.NaN);
  }

  /** Largest value; NaN when empty. */
  double max() {
    return isEmpty() ? Double.NaN : Arrays.stream(values).max().orElse(Double.NaN);
  }

  /** The value logged last; NaN when empty. */
  double last() {
    return isEmpty() ? Double.NaN : values[values.length - 1];
  }

  /** Trailing mean over the last {@code w} points (fewer at the start); this series when w <= 1. */
  Series movingAverage(int w) {
    if (w <= 1) {
      return this;
    }
    double[] out = new double[values.length];
    double sum = 0;
    for (int i = 0; i < values.length; i++) {
      sum += values[i];
      if (i >= w) {
        sum -= values[i - w];
      }
      out[i] = sum / Math.min(i + 1, w);
    }
    return new Series(steps, out);
  }

  /** Only the strictly positive points: what a logarithmic axis can show. */
  Series positive() {
    int n = 0;
    for (double v : values) {
      if (v > 0) {
        n++;
      }
    }
    double[] s = new double[n];
    double[] v = new double[n];
    int j = 0;
    for (int i = 0; i < values.length; i++) {
      if (values[i] > 0) {
        s[j] = steps[i];
        v[j++] = values[i];
      }
    }
    return new Series(s, v);
  }
}
