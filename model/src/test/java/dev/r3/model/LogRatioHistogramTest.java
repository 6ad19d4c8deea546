package dev.r3.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

class LogRatioHistogramTest {

  @Property(tries = 200)
  void aQuantileIsAnUpperBoundWithinOneBinOfTheExactValue(
      @ForAll @Size(min = 1, max = 300) double[] raw,
      @ForAll @DoubleRange(min = 0.01, max = 1.0) double q) {
    LogRatioHistogram h = new LogRatioHistogram();
    double[] abs = new double[raw.length];
    for (int i = 0; i < raw.length; i++) {
      double d = Double.isFinite(raw[i]) ? Math.max(-50, Math.min(50, raw[i])) : 0;
      h.add(d);
      abs[i] = Math.abs(d);
    }
    Arrays.sort(abs);
    double exact = abs[(int) Math.ceil(q * abs.length) - 1];
    double reported = h.quantile(q);
    assertThat(reported).isGreaterThanOrEqualTo(exact);
    if (exact == 0) {
      assertThat(reported).isZero();
    } else if (exact >= 1e-9) {
      assertThat(reported).isLessThanOrEqualTo(exact * Math.pow(10, 1.0 / 8) * (1 + 1e-12));
    }
  }

  @Property(tries = 50)
  void mergingTwoHalvesEqualsOnePass(@ForAll @IntRange(min = 1, max = 500) int n) {
    Random rnd = new Random(n);
    LogRatioHistogram whole = new LogRatioHistogram();
    LogRatioHistogram a = new LogRatioHistogram();
    LogRatioHistogram b = new LogRatioHistogram();
    for (int i = 0; i < n; i++) {
      double d = rnd.nextGaussian() * Math.pow(10, -rnd.nextInt(8));
      whole.add(d);
      (i % 2 == 0 ? a : b).add(d);
    }
    a.merge(b);
    assertThat(a.count()).isEqualTo(n);
    assertThat(a.metrics()).isEqualTo(whole.metrics());
  }

  @Test
  void theTailShowsInP99AndMaxNotInTheMedian() {
    LogRatioHistogram h = new LogRatioHistogram();
    for (int i = 0; i < 990; i++) {
      h.add(i % 2 == 0 ? 1e-4 : -1e-4);
    }
    for (int i = 0; i < 10; i++) {
      h.add(Math.log(3)); // ratio 3: outside [0.5, 2]
    }
    assertThat(h.quantile(0.5)).isBetween(1e-4, 1.34e-4);
    assertThat(h.quantile(0.99)).isBetween(1e-4, 1.34e-4);
    assertThat(h.quantile(0.995)).isEqualTo(Math.log(3)); // capped by the exact max
    assertThat(h.metrics())
        .containsOnlyKeys(
            "mismatch/abs_log_ratio_p50",
            "mismatch/abs_log_ratio_p90",
            "mismatch/abs_log_ratio_p99",
            "mismatch/abs_log_ratio_max")
        .containsEntry("mismatch/abs_log_ratio_max", Math.log(3));
  }

  @Test
  void anEmptyHistogramReportsNothingAndBadInputIsRefused() {
    LogRatioHistogram h = new LogRatioHistogram();
    assertThat(h.metrics()).isEmpty();
    assertThat(h.quantile(0.5)).isNaN();
    assertThatThrownBy(() -> h.add(Double.NaN)).hasMessageContaining("finite");
    assertThatThrownBy(() -> h.quantile(0)).hasMessageContaining("(0, 1]");
  }

  @Test
  void theAccumulatorFeedsItOnlyTheUnmaskedTokens() {
    MismatchMeasures.Accumulator acc = MismatchMeasures.accumulator();
    acc.addTokens(new float[] {-1f, -2f, -3f}, new float[] {-1f, -2.5f, -3f}, new byte[] {1, 0, 1});
    LogRatioHistogram h = acc.absLogRatio();
    assertThat(h.count()).isEqualTo(2);
    assertThat(h.max()).isZero();
  }
}
