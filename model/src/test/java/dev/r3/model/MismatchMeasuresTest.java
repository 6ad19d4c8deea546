package dev.r3.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.r3.model.MismatchMeasures.RoutingPositions;
import dev.r3.model.MismatchMeasures.Summary;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class MismatchMeasuresTest {

  /** Log-probs whose differences are d (train = infer + d), infer values arbitrary. */
  private static float[][] withLogRatios(double... d) {
    float[] train = new float[d.length];
    float[] infer = new float[d.length];
    for (int i = 0; i < d.length; i++) {
      infer[i] = -1.5f - i;
      train[i] = (float) (infer[i] + d[i]);
    }
    return new float[][] {train, infer};
  }

  @Test
  void k3AndExtremeFractions_matchHandComputedValues() {
    // rho = 2.5, 1, 1/6, 1.6:
    //   k3 = 2.5-1-ln2.5 = 0.583709; 0; 1/6-1+ln6 = 0.958426; 1.6-1-ln1.6 = 0.130000
    //   max(rho,1/rho) = 2.5, 1, 6, 1.6 -> F(1.5)=3/4, F(2)=2/4, F(5)=1/4
    float[][] lp = withLogRatios(Math.log(2.5), 0, -Math.log(6), Math.log(1.6));
    Summary s = MismatchMeasures.ofTokens(lp[0], lp[1]);
    double expectKl =
        ((2.5 - 1 - Math.log(2.5)) + 0 + (1.0 / 6 - 1 + Math.log(6)) + (1.6 - 1 - Math.log(1.6)))
            / 4;
    assertThat(expectKl).isCloseTo(0.418033, within(1e-6));
    assertThat(s.kl()).isCloseTo(expectKl, within(1e-6));
    assertThat(s.extreme1_5()).isEqualTo(0.75);
    assertThat(s.extreme2()).isEqualTo(0.5);
    assertThat(s.extreme5()).isEqualTo(0.25);
    assertThat(s.tokens()).isEqualTo(4);
    assertThat(s.routerDisagreement()).isNaN();
    assertThat(s.routedPositions()).isZero();
  }

  @Test
  void identicalEngines_giveZeroMismatch() {
    float[] lp = {-0.1f, -2f, -7.5f};
    Summary s = MismatchMeasures.ofTokens(lp, lp.clone());
    assertThat(s.kl()).isZero();
    assertThat(s.extreme2()).isZero();
  }

  @Test
  void k3_isAccurateForTinyRatios_andNeverNegative() {
    // for small d, rho - 1 - log rho = d^2/2 + d^3/6 + ...; naive exp(d) - 1 - d loses it all at
    // 1e-9
    for (double d : new double[] {1e-3, -1e-4, 1e-6, 1e-9}) {
      double series = d * d / 2 + d * d * d / 6 + d * d * d * d / 24;
      assertThat(MismatchMeasures.k3(d)).isCloseTo(series, within(Math.abs(series) * 1e-6));
    }
    SplittableRandom rng = new SplittableRandom(1);
    for (int i = 0; i < 10_000; i++) {
      assertThat(MismatchMeasures.k3(rng.nextGaussian() * Math.pow(10, -rng.nextInt(8))))
          .isGreaterThanOrEqualTo(0);
    }
  }

  @Test
  void extreme_isStrictlyGreaterThanTau_inBothDirections() {
    assertThat(MismatchMeasures.extreme(Math.log(2.001), 2)).isTrue();
    assertThat(MismatchMeasures.extreme(-Math.log(2.001), 2)).isTrue();
    assertThat(MismatchMeasures.extreme(Math.log(1.999), 2)).isFalse();
    assertThat(MismatchMeasures.extreme(0, 1)).isFalse();
  }

  @Test
  void mask_skipsObservationTokens() {
    float[][] lp = withLogRatios(Math.log(3), 0);
    Summary s = MismatchMeasures.accumulator().addTokens(lp[0], lp[1], new byte[] {0, 1}).summary();
    assertThat(s.tokens()).isEqualTo(1);
    assertThat(s.kl()).isZero();
  }

  @Test
  void rejectsNonFiniteOrMisalignedLogprobs() {
    var acc = MismatchMeasures.accumulator();
    assertThatThrownBy(
            () -> acc.addTokens(new float[] {-1f, Float.NEGATIVE_INFINITY}, new float[] {-1f, -2f}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("token 1");
    assertThatThrownBy(() -> acc.addTokens(new float[2], new float[3]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("2")
        .hasMessageContaining("3");
  }

  @Test
  void aSampleWithANonFiniteLogprob_isLeftOutWhole_noneOfItsTokensCount() {
    var acc = MismatchMeasures.accumulator().addTokens(new float[] {-1f}, new float[] {-1.5f});
    Summary before = acc.summary();
    // the first two tokens are finite and far apart: counted, they would move KL and F(2)
    assertThatThrownBy(
            () -> acc.addTokens(new float[] {-0.1f, -5f, Float.NaN}, new float[] {-4f, -0.1f, -1f}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("token 2");
    assertThat(acc.summary()).isEqualTo(before);
    assertThat(acc.summary().tokens()).isEqualTo(1);
  }

  // ---- routing ----

  // 3 positions (a 4-token sequence), 2 layers, k = 2, 4 experts.
  private static final RoutingRecord ROLLOUT =
      RoutingRecord.of(
          3,
          2,
          2,
          4,
          new int[] {
            0, 1, 2, 3, // position 0: layer 0 {0,1}, layer 1 {2,3}
            1, 2, 0, 3, // position 1: {1,2}, {0,3}
            3, 0, 1, 2
          }); // position 2: {0,3}, {1,2}
  private static final RoutingRecord TRAINER =
      RoutingRecord.of(
          3,
          2,
          2,
          4,
          new int[] {
            1, 0, 2, 3, // same sets (order differs), same
            1, 3, 0, 3, // layer 0 differs
            0, 3, 1, 0
          }); // layer 1 differs

  @Test
  void routerDisagreement_countsDifferingTopKSets_overAllPositions() {
    Summary s = MismatchMeasures.accumulator().addRouting(ROLLOUT, TRAINER, 2).summary();
    assertThat(s.routerDisagreement()).isEqualTo(2.0 / 6);
    assertThat(s.perLayer()).containsExactly(1.0 / 3, 1.0 / 3);
    assertThat(s.tokenAnyLayer()).isEqualTo(2.0 / 3);
    assertThat(s.routedPositions()).isEqualTo(3);
    assertThat(s.kl()).isNaN();
  }

  @Test
  void responseOnly_countsPositionsThatPredictResponseTokens() {
    // prompt of 2 tokens: positions 1 and 2 predict the response tokens 2 and 3
    Summary s =
        MismatchMeasures.accumulator(RoutingPositions.RESPONSE)
            .addRouting(ROLLOUT, TRAINER, 2)
            .summary();
    assertThat(s.routedPositions()).isEqualTo(2);
    assertThat(s.routerDisagreement()).isEqualTo(2.0 / 4);
    assertThat(s.perLayer()).containsExactly(0.5, 0.5);
    assertThat(s.tokenAnyLayer()).isEqualTo(1.0);
    // prompt of 3 tokens: only position 2
    Summary t =
        MismatchMeasures.accumulator(RoutingPositions.RESPONSE)
            .addRouting(ROLLOUT, TRAINER, 3)
            .summary();
    assertThat(t.routedPositions()).isEqualTo(1);
    assertThat(t.perLayer()).containsExactly(0.0, 1.0);
  }

  @Test
  void sameRecord_givesZeroDisagreement() {
    Summary s = MismatchMeasures.accumulator().addRouting(ROLLOUT, ROLLOUT, 1).summary();
    assertThat(s.routerDisagreement()).isZero();
    assertThat(s.tokenAnyLayer()).isZero();
  }

  @Test
  void accumulatingBatches_equalsOneBigBatch_andMergeAgrees() {
    SplittableRandom rng = new SplittableRandom(5);
    var whole = MismatchMeasures.accumulator();
    var left = MismatchMeasures.accumulator();
    var right = MismatchMeasures.accumulator();
    for (int seq = 0; seq < 20; seq++) {
      int t = 3 + rng.nextInt(6);
      int prompt = 1 + rng.nextInt(t - 1);
      float[] tr = new float[t - prompt];
      float[] in = new float[t - prompt];
      for (int i = 0; i < tr.length; i++) {
        in[i] = (float) -rng.nextDouble(0.01, 4);
        tr[i] = in[i] + (float) (rng.nextGaussian() * 0.7);
      }
      RoutingRecord a = randomRecord(rng, t - 1);
      RoutingRecord b = randomRecord(rng, t - 1);
      whole.addSequence(tr, in, a, b, prompt);
      (seq % 2 == 0 ? left : right).addSequence(tr, in, a, b, prompt);
    }
    Summary merged = left.merge(right).summary();
    Summary w = whole.summary();
    assertThat(merged.tokens()).isEqualTo(w.tokens());
    assertThat(merged.kl()).isCloseTo(w.kl(), within(1e-12));
    assertThat(merged.extreme2()).isEqualTo(w.extreme2());
    assertThat(merged.perLayer()).containsExactly(w.perLayer());
    assertThat(merged.tokenAnyLayer()).isEqualTo(w.tokenAnyLayer());
    assertThat(merged.metrics())
        .containsKeys(
            "mismatch/kl",
            "mismatch/extreme_2",
            "routing/disagreement",
            "routing/disagreement/layer_2",
            "routing/token_any_layer");
  }

  private static RoutingRecord randomRecord(SplittableRandom rng, int positions) {
    int layers = 3;
    int k = 2;
    int[] ids = new int[positions * layers * k];
    for (int i = 0; i < ids.length; i += k) {
      ids[i] = rng.nextInt(5);
      ids[i + 1] = (ids[i] + 1 + rng.nextInt(4)) % 5;
    }
    return RoutingRecord.of(positions, layers, k, 5, ids);
  }

  @Test
  void rejectsRecordsOfDifferentShapes_orAPromptThatDoesNotFit() {
    var acc = MismatchMeasures.accumulator();
    assertThatThrownBy(() -> acc.addRouting(ROLLOUT, ROLLOUT.prefix(2), 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("differ in shape");
    assertThatThrownBy(() -> acc.addRouting(ROLLOUT, TRAINER, 5))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("prompt length 5");
  }

  @Test
  void addSequence_rejectsLogprobsThatDoNotMatchTheRecord() {
    // 4 tokens (3 positions), prompt 2 -> 2 response tokens; 3 log-probs is an off-by-one
    float[] three = {-1f, -1f, -1f};
    assertThatThrownBy(
            () -> MismatchMeasures.accumulator().addSequence(three, three, ROLLOUT, TRAINER, 2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("2 response tokens, but 3");
    float[] two = {-1f, -2f};
    Summary s = MismatchMeasures.accumulator().addSequence(two, two, ROLLOUT, TRAINER, 2).summary();
    assertThat(s.tokens()).isEqualTo(2);
    assertThat(s.routedPositions()).isEqualTo(3);
  }

  @Test
  void denseRecords_leaveRouterMeasuresUndefined() {
    Summary s =
        MismatchMeasures.accumulator()
            .addRouting(RoutingRecord.empty(4), RoutingRecord.empty(4), 2)
            .summary();
    assertThat(s.routerDisagreement()).isNaN();
    assertThat(s.perLayer()).isEmpty();
  }
}
