package dev.r3.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class SignificanceTest {

  @Test
  void exactPermutation_threeAgainstThree_separatedGroupsGiveTheSmallestPossibleP() {
    // 20 relabellings; only the observed one and its mirror are as extreme
    assertThat(Significance.permutationP(new double[] {4, 5, 6}, new double[] {1, 2, 3}))
        .isCloseTo(0.1, within(1e-12));
  }

  @Test
  void exactPermutation_identicalGroupsGiveOne_andNonFiniteValuesAreLeftOut() {
    assertThat(Significance.permutationP(new double[] {1, 1, 1}, new double[] {1, 1, 1}))
        .isEqualTo(1.0);
    assertThat(
            Significance.permutationP(
                new double[] {4, 5, 6, Double.NaN}, new double[] {1, 2, 3, Double.NaN}))
        .isCloseTo(0.1, within(1e-12));
    assertThat(Significance.permutationP(new double[] {Double.NaN}, new double[] {1})).isNaN();
  }

  @Test
  void exactPermutation_countsTiesAsExtreme() {
    // collapse indicators {1, 1, 0} vs {0, 0, 0}: |diff| 2/3 is reached by the 4 relabellings
    // that put both ones on one side and the 4 that put them on the other: 8 of 20
    assertThat(Significance.permutationP(new double[] {1, 1, 0}, new double[] {0, 0, 0}))
        .isCloseTo(0.4, within(1e-12));
  }

  @Test
  void sampledPermutation_largeSeparatedGroupsGiveAboutOneOverResamples() {
    double[] a = new double[12];
    double[] b = new double[12];
    for (int i = 0; i < 12; i++) {
      a[i] = 10 + i;
      b[i] = i;
    }
    double p = Significance.permutationP(a, b); // C(24, 12) = 2.7M relabellings: sampled
    assertThat(p).isGreaterThan(0).isLessThan(5.0 / Significance.RESAMPLES);
    assertThat(Significance.permutationP(a, b)).isEqualTo(p); // deterministic
  }

  @Test
  void bootstrap_liesWithinTheRangeOfTheData_andIsDeterministic() {
    double[] xs = {0.2, 0.5, 0.9};
    Significance.Interval i = Significance.bootstrapMean95(xs);
    assertThat(i.low()).isBetween(0.2, 0.5);
    assertThat(i.high()).isBetween(0.5, 0.9);
    assertThat(i.high()).isGreaterThan(i.low());
    assertThat(Significance.bootstrapMean95(xs)).isEqualTo(i);
    assertThat(Significance.bootstrapMean95(new double[] {0.4, 0.4}))
        .isEqualTo(new Significance.Interval(0.4, 0.4));
    assertThat(Significance.bootstrapMean95(new double[] {Double.NaN}).text("%.3f")).isEqualTo("-");
  }
}
