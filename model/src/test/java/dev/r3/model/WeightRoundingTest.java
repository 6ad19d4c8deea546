package dev.r3.model;

import static dev.r3.model.WeightRounding.fromFp8E4m3Bits;
import static dev.r3.model.WeightRounding.roundBf16;
import static dev.r3.model.WeightRounding.roundFp8E4m3;
import static dev.r3.model.WeightRounding.toFp8E4m3Bits;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

class WeightRoundingTest {

  // ---- bfloat16 ----

  /**
   * Independent reference: find the two bf16 neighbours of x (truncation toward zero, and one bf16
   * ulp further out), compare the distances in double (exact for floats this close), ties to the
   * even one.
   */
  static float referenceBf16(float x) {
    if (Float.isNaN(x) || Float.isInfinite(x)) {
      return x;
    }
    int bits = Float.floatToRawIntBits(x);
    int lo = bits & 0xFFFF_0000;
    if (lo == bits) {
      return x;
    }
    double loV = Float.intBitsToFloat(lo);
    int hiMag = (lo & 0x7FFF_FFFF) + 0x1_0000;
    // one ulp past the largest bf16 is 2^128, which is not a float: use its double value
    double hiAbs = hiMag == 0x7F80_0000 ? 0x1p128 : Float.intBitsToFloat(hiMag);
    double hiV = x < 0 ? -hiAbs : hiAbs;
    double dLo = Math.abs(x - loV);
    double dHi = Math.abs(hiV - x);
    boolean pickHi = dHi < dLo || (dHi == dLo && ((lo >>> 16) & 1) == 1);
    if (!pickHi) {
      return (float) loV;
    }
    return hiMag == 0x7F80_0000
        ? (x < 0 ? Float.NEGATIVE_INFINITY : Float.POSITIVE_INFINITY)
        : (float) hiV;
  }

  @Test
  void bf16_matchesNeighbourReference_onTwoMillionRandomBitPatterns() {
    SplittableRandom rng = new SplittableRandom(7);
    for (int i = 0; i < 2_000_000; i++) {
      float x = Float.intBitsToFloat(rng.nextInt());
      if (Float.isNaN(x)) {
        assertThat(roundBf16(x)).isNaN();
        continue;
      }
      float got = roundBf16(x);
      float want = referenceBf16(x);
      if (Float.floatToRawIntBits(got) != Float.floatToRawIntBits(want)) {
        throw new AssertionError(
            "x="
                + x
                + " (0x"
                + Integer.toHexString(Float.floatToRawIntBits(x))
                + "): got "
                + got
                + ", reference "
                + want);
      }
    }
  }

  @Test
  void bf16_edgeCases() {
    assertThat(roundBf16(0f)).isEqualTo(0f);
    assertThat(Float.floatToRawIntBits(roundBf16(-0f))).isEqualTo(0x8000_0000);
    assertThat(roundBf16(Float.POSITIVE_INFINITY)).isEqualTo(Float.POSITIVE_INFINITY);
    assertThat(roundBf16(Float.NEGATIVE_INFINITY)).isEqualTo(Float.NEGATIVE_INFINITY);
    assertThat(roundBf16(Float.NaN)).isNaN();
    // a signalling NaN whose payload sits only in the low bits stays NaN (not infinity)
    assertThat(roundBf16(Float.intBitsToFloat(0x7F80_0001))).isNaN();
    assertThat(roundBf16(Float.intBitsToFloat(0xFF80_0001))).isNaN();
    // largest float rounds up to infinity; largest bf16 stays
    assertThat(roundBf16(Float.MAX_VALUE)).isEqualTo(Float.POSITIVE_INFINITY);
    assertThat(roundBf16(Float.intBitsToFloat(0x7F7F_0000)))
        .isEqualTo(Float.intBitsToFloat(0x7F7F_0000));
    assertThat(roundBf16(Float.intBitsToFloat(0x7F7F_7FFF)))
        .isEqualTo(Float.intBitsToFloat(0x7F7F_0000));
    assertThat(roundBf16(Float.intBitsToFloat(0x7F7F_8000)))
        .isEqualTo(Float.POSITIVE_INFINITY); // tie, odd
    // ties to even: 1 + 2^-8 is halfway between 1 and 1 + 2^-7 -> 1 (even); 1 + 3*2^-8 -> 1 + 2^-6
    assertThat(roundBf16(1f + 0x1p-8f)).isEqualTo(1f);
    assertThat(roundBf16(1f + 3 * 0x1p-8f)).isEqualTo(1f + 0x1p-6f);
    assertThat(roundBf16(-(1f + 0x1p-8f))).isEqualTo(-1f);
    // carry into the exponent
    assertThat(roundBf16(Float.intBitsToFloat(0x3FFF_FFFF))).isEqualTo(2f);
    // subnormals round at the same bit position
    assertThat(roundBf16(Float.MIN_VALUE)).isEqualTo(0f);
    assertThat(roundBf16(Float.intBitsToFloat(0x0000_8001)))
        .isEqualTo(Float.intBitsToFloat(0x0001_0000));
    assertThat(roundBf16(Float.intBitsToFloat(0x007F_FFFF))).isEqualTo(Float.MIN_NORMAL);
  }

  @Property(tries = 2000)
  void bf16_isIdempotentAndMonotonic(@ForAll float a, @ForAll float b) {
    if (Float.isNaN(a) || Float.isNaN(b)) {
      return;
    }
    assertThat(roundBf16(roundBf16(a))).isEqualTo(roundBf16(a));
    if (a <= b) {
      assertThat(roundBf16(a)).isLessThanOrEqualTo(roundBf16(b));
    }
  }

  // ---- Veltkamp splitting (the way the engine rounds activations inside DJL) ----

  @Test
  void veltkamp_equalsRoundBf16_onAMillionRandomNormalFloats() {
    SplittableRandom rng = new SplittableRandom(11);
    int checked = 0;
    while (checked < 1_000_000) {
      float x = Float.intBitsToFloat(rng.nextInt());
      float a = Math.abs(x);
      if (!(a >= WeightRounding.VELTKAMP_MIN_ABS && a < WeightRounding.VELTKAMP_MAX_ABS)) {
        continue;
      }
      checked++;
      float g = x * 65537f;
      float d = x - g;
      float r = g + d;
      if (Float.floatToRawIntBits(r) != Float.floatToRawIntBits(roundBf16(x))) {
        throw new AssertionError("Veltkamp differs at x=" + x + ": " + r + " vs " + roundBf16(x));
      }
    }
  }

  @Test
  void veltkamp_isExactOnActivationScaleValuesAndTies() {
    SplittableRandom rng = new SplittableRandom(12);
    for (int i = 0; i < 200_000; i++) {
      float x = (float) ((rng.nextDouble() * 2 - 1) * Math.scalb(1.0, rng.nextInt(-30, 30)));
      if (x == 0f) {
        continue;
      }
      assertThat(WeightRounding.veltkampBf16(x)).isEqualTo(roundBf16(x));
    }
    // exact ties in both directions
    for (float x :
        new float[] {1f + 0x1p-8f, 1f + 3 * 0x1p-8f, -(1f + 0x1p-8f), 3.0078125f, 0.0f}) {
      assertThat(WeightRounding.veltkampBf16(x)).isEqualTo(roundBf16(x));
    }
  }

  @Test
  void veltkamp_documentedRangeBoundaries() {
    float maxOk = Math.nextDown(WeightRounding.VELTKAMP_MAX_ABS);
    assertThat(WeightRounding.veltkampBf16(maxOk)).isEqualTo(roundBf16(maxOk));
    assertThat(WeightRounding.veltkampBf16(-maxOk)).isEqualTo(roundBf16(-maxOk));
    assertThat(WeightRounding.veltkampBf16(Float.MIN_NORMAL))
        .isEqualTo(roundBf16(Float.MIN_NORMAL));
    // outside: overflow gives NaN, -0 loses its sign, infinity gives NaN, subnormals differ
    assertThat(WeightRounding.veltkampBf16(WeightRounding.VELTKAMP_MAX_ABS)).isNaN();
    assertThat(WeightRounding.veltkampBf16(Float.MAX_VALUE)).isNaN();
    assertThat(WeightRounding.veltkampBf16(Float.POSITIVE_INFINITY)).isNaN();
    assertThat(Float.floatToRawIntBits(WeightRounding.veltkampBf16(-0f))).isEqualTo(0);
    float sub = Float.intBitsToFloat(0x0000_8001);
    assertThat(WeightRounding.veltkampBf16(sub)).isNotEqualTo(roundBf16(sub));
    assertThat(Math.abs(WeightRounding.veltkampBf16(sub) - roundBf16(sub)))
        .isLessThan(Float.MIN_NORMAL);
  }

  // ---- fp8 e4m3fn ----

  /** All non-negative finite e4m3fn values, ascending, decoded from the bit layout alone. */
  static float[] positiveFp8Values() {
    float[] v = new float[0x7F];
    for (int code = 0; code < 0x7F; code++) {
      int e = code >>> 3;
      int m = code & 7;
      v[code] = e == 0 ? m / 8f * 0x1p-6f : (1 + m / 8f) * (float) Math.pow(2, e - 7);
    }
    return v;
  }

  /** Reference: nearest value by exhaustive search; ties to the even code; saturate beyond 448. */
  static float referenceFp8(float x) {
    if (Float.isNaN(x)) {
      return Float.NaN;
    }
    float[] v = positiveFp8Values();
    double a = Math.min(Math.abs((double) x), 448.0);
    int best = 0;
    for (int c = 1; c < v.length; c++) {
      double d = Math.abs(v[c] - a);
      double db = Math.abs(v[best] - a);
      if (d < db || (d == db && (c & 1) == 0)) {
        best = c;
      }
    }
    return Math.copySign(v[best], x);
  }

  @Test
  void fp8_decodesTheOcpTable() {
    assertThat(fromFp8E4m3Bits((byte) 0x7E)).isEqualTo(448f);
    assertThat(fromFp8E4m3Bits((byte) 0xFE)).isEqualTo(-448f);
    assertThat(fromFp8E4m3Bits((byte) 0x7F)).isNaN();
    assertThat(fromFp8E4m3Bits((byte) 0xFF)).isNaN();
    assertThat(fromFp8E4m3Bits((byte) 0x01)).isEqualTo(0x1p-9f);
    assertThat(fromFp8E4m3Bits((byte) 0x07)).isEqualTo(7 * 0x1p-9f);
    assertThat(fromFp8E4m3Bits((byte) 0x08)).isEqualTo(0x1p-6f);
    assertThat(fromFp8E4m3Bits((byte) 0x38)).isEqualTo(1f);
    assertThat(fromFp8E4m3Bits((byte) 0x78)).isEqualTo(256f);
    assertThat(Float.floatToRawIntBits(fromFp8E4m3Bits((byte) 0x80))).isEqualTo(0x8000_0000);
  }

  @Test
  void fp8_everyRepresentableValueMapsToItself() {
    for (int code = 0; code < 256; code++) {
      if ((code & 0x7F) == 0x7F) {
        continue;
      }
      float v = fromFp8E4m3Bits((byte) code);
      assertThat(toFp8E4m3Bits(v) & 0xFF).as("code 0x%02x", code).isEqualTo(code);
      assertThat(roundFp8E4m3(v)).isEqualTo(v);
    }
  }

  @Test
  void fp8_midpointsRoundToEvenCode() {
    float[] v = positiveFp8Values();
    for (int c = 0; c + 1 < v.length; c++) {
      float mid = (v[c] + v[c + 1]) / 2; // exact: one more bit than e4m3 has
      float even = (c & 1) == 0 ? v[c] : v[c + 1];
      assertThat(roundFp8E4m3(mid)).as("midpoint of codes %d,%d", c, c + 1).isEqualTo(even);
      assertThat(roundFp8E4m3(-mid)).isEqualTo(-even);
      assertThat(roundFp8E4m3(Math.nextDown(mid))).isEqualTo(v[c]);
      assertThat(roundFp8E4m3(Math.nextUp(mid))).isEqualTo(v[c + 1]);
    }
  }

  @Test
  void fp8_saturatesAndKeepsNaN() {
    assertThat(roundFp8E4m3(448f)).isEqualTo(448f);
    assertThat(roundFp8E4m3(463.9f)).isEqualTo(448f);
    assertThat(roundFp8E4m3(464f)).isEqualTo(448f);
    assertThat(roundFp8E4m3(1e6f)).isEqualTo(448f);
    assertThat(roundFp8E4m3(Float.POSITIVE_INFINITY)).isEqualTo(448f);
    assertThat(roundFp8E4m3(Float.NEGATIVE_INFINITY)).isEqualTo(-448f);
    assertThat(roundFp8E4m3(Float.NaN)).isNaN();
    assertThat(roundFp8E4m3(0x1p-10f))
        .isEqualTo(0f); // half the smallest subnormal: tie to even (0)
    assertThat(roundFp8E4m3(Math.nextUp(0x1p-10f))).isEqualTo(0x1p-9f);
    assertThat(roundFp8E4m3(1e-30f)).isEqualTo(0f);
  }

  @Test
  void fp8_matchesExhaustiveReference_onRandomFloats() {
    SplittableRandom rng = new SplittableRandom(3);
    for (int i = 0; i < 200_000; i++) {
      float x = (float) ((rng.nextDouble() * 2 - 1) * Math.scalb(1.0, rng.nextInt(-12, 10)));
      assertThat(roundFp8E4m3(x)).as("x=%s", x).isEqualTo(referenceFp8(x));
    }
  }

  @Test
  void fp8_isMonotonic() {
    SplittableRandom rng = new SplittableRandom(4);
    float[] xs = new float[100_000];
    for (int i = 0; i < xs.length; i++) {
      xs[i] = (float) ((rng.nextDouble() * 2 - 1) * Math.scalb(1.0, rng.nextInt(-12, 10)));
    }
    Arrays.sort(xs);
    for (int i = 1; i < xs.length; i++) {
      assertThat(roundFp8E4m3(xs[i - 1])).isLessThanOrEqualTo(roundFp8E4m3(xs[i]));
    }
  }

  @Test
  void fp8Scaled_usesAmaxOver448_andKeepsTheLargestValue() {
    float[] a = {0.02f, -0.013f, 0.001f, 0f, -0.05f};
    float scale = WeightRounding.roundFp8ScaledInPlace(a);
    assertThat(scale).isEqualTo(0.05f / 448f);
    assertThat(a[4]).isCloseTo(-0.05f, Offset.offset(1e-8f));
    assertThat(a[3]).isEqualTo(0f);
    for (float v : a) {
      // every value is an e4m3 value times the scale
      assertThat(roundFp8E4m3(v / scale)).isCloseTo(v / scale, Offset.offset(1e-3f));
    }
    // relative error of a normal-range value is at most 2^-4 (3 mantissa bits, round to nearest)
    assertThat(Math.abs(a[0] - 0.02f) / 0.02f).isLessThanOrEqualTo(0.0625f);
    assertThat(WeightRounding.roundFp8ScaledInPlace(new float[] {0f, 0f})).isEqualTo(0f);
    assertThatThrownBy(() -> WeightRounding.roundFp8ScaledInPlace(new float[] {1f, Float.NaN}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("NaN");
  }

  // ---- whole models and RolloutPrecision ----

  private static ModelConfig tiny() {
    return ModelConfig.builder(11)
        .hidden(8)
        .layers(2)
        .heads(2)
        .kvHeads(1)
        .experts(4, 2, 6)
        .maxPositions(16)
        .build();
  }

  @Test
  void bf16Weights_roundEveryTensorIncludingNorms() {
    ModelWeights w = randomWithNoisyNorms(tiny());
    ModelWeights r = RolloutPrecision.BF16_WEIGHTS.prepare(w);
    for (var e : w.tensors().entrySet()) {
      float[] src = e.getValue().data();
      float[] dst = r.get(e.getKey()).data();
      for (int i = 0; i < src.length; i++) {
        assertThat(dst[i]).isEqualTo(roundBf16(src[i]));
      }
    }
    assertThat(r.sameAs(w)).isFalse();
    assertThat(RolloutPrecision.BF16.prepare(w).sameAs(r)).isTrue();
  }

  @Test
  void fp8Weights_quantizeProjectionsOnly_andRoundTheRestToBf16() {
    ModelWeights w = randomWithNoisyNorms(tiny());
    ModelWeights r = RolloutPrecision.FP8_WEIGHTS.prepare(w);
    List<String> fp8 = new ArrayList<>();
    for (var e : w.tensors().entrySet()) {
      String name = e.getKey();
      float[] src = e.getValue().data();
      float[] dst = r.get(name).data();
      if (WeightRounding.isFp8Projection(name)) {
        fp8.add(name);
        float[] expect = src.clone();
        WeightRounding.roundFp8ScaledInPlace(expect);
        assertThat(dst).containsExactly(expect);
        int distinct =
            (int) IntStream.range(0, dst.length).mapToObj(i -> dst[i]).distinct().count();
        assertThat(distinct).isLessThanOrEqualTo(253); // at most 253 finite e4m3 values (with -0)
      } else {
        for (int i = 0; i < src.length; i++) {
          assertThat(dst[i]).isEqualTo(roundBf16(src[i]));
        }
      }
    }
    assertThat(fp8)
        .contains(
            TensorNames.qProj(0),
            TensorNames.oProj(1),
            TensorNames.expert(0, 3, "down_proj"),
            TensorNames.expert(1, 0, "gate_proj"));
    assertThat(fp8)
        .doesNotContain(
            TensorNames.router(0),
            TensorNames.EMBED,
            TensorNames.LM_HEAD,
            TensorNames.qNorm(0),
            TensorNames.FINAL_NORM);
  }

  @Test
  void fp32_prepareReturnsTheSameWeights() {
    ModelWeights w = ModelWeights.random(tiny(), 1);
    assertThat(RolloutPrecision.FP32.prepare(w)).isSameAs(w);
  }

  @Test
  void precision_parsesConfigNames_andListsValidOnesOnError() {
    assertThat(RolloutPrecision.parse("fp32")).isEqualTo(RolloutPrecision.FP32);
    assertThat(RolloutPrecision.parse("bf16-weights")).isEqualTo(RolloutPrecision.BF16_WEIGHTS);
    assertThat(RolloutPrecision.parse(" BF16 ")).isEqualTo(RolloutPrecision.BF16);
    assertThat(RolloutPrecision.parse("fp8")).isEqualTo(RolloutPrecision.FP8_WEIGHTS);
    assertThat(RolloutPrecision.parse("FP8_WEIGHTS")).isEqualTo(RolloutPrecision.FP8_WEIGHTS);
    for (RolloutPrecision p : RolloutPrecision.values()) {
      assertThat(RolloutPrecision.parse(p.configName())).isEqualTo(p);
    }
    assertThatThrownBy(() -> RolloutPrecision.parse("int4"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'int4'")
        .hasMessageContaining("fp32, bf16-weights, bf16, fp8");
    assertThat(RolloutPrecision.BF16.roundsActivations()).isTrue();
    assertThat(RolloutPrecision.BF16_WEIGHTS.roundsActivations()).isFalse();
    assertThat(RolloutPrecision.FP8_WEIGHTS.roundsActivations()).isFalse();
    assertThat(RolloutPrecision.FP32.roundsActivations()).isFalse();
  }

  /** Random weights whose norm vectors are not all ones (ones are exact in every format). */
  static ModelWeights randomWithNoisyNorms(ModelConfig c) {
    ModelWeights w = ModelWeights.random(c, 5);
    SplittableRandom rng = new SplittableRandom(6);
    var m = new LinkedHashMap<String, HostTensor>();
    for (var e : w.tensors().entrySet()) {
      float[] d = e.getValue().data().clone();
      if (e.getValue().shape().length == 1) {
        for (int i = 0; i < d.length; i++) {
          d[i] = 1f + (float) (rng.nextDouble() * 0.1);
        }
      }
      m.put(e.getKey(), new HostTensor(e.getValue().shape(), d));
    }
    return new ModelWeights(c, m);
  }
}
