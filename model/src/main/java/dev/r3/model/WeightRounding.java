package dev.r3.model;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reduced-precision number formats of a rollout engine, emulated in Java on float32 values.
 *
 * <p>Why in Java: DJL's {@code BFLOAT16} aborts the JVM and its float16 matmul is 16-45x slower
 * than float32 on this CPU (DESIGN.md section 6). So the rollout engine keeps computing in float32
 * on weights whose values are exactly those a bf16 or fp8 engine would hold: each value is rounded
 * here once per weight publication, and the float32 arithmetic that follows sees the same operands
 * a real reduced-precision engine sees. This is the mismatch source R3 exists to neutralise.
 *
 * <p>Formats:
 *
 * <ul>
 *   <li><b>bfloat16</b>: the top 16 bits of a float32 (8 exponent bits, 7 mantissa bits), rounded
 *       to nearest, ties to even; overflow goes to infinity, NaN stays NaN (made quiet), subnormals
 *       are rounded like any other value (bf16 has the float32 exponent range).
 *   <li><b>fp8 e4m3</b>, OCP "FN" variant (as in {@code torch.float8_e4m3fn}): bias 7, 3 mantissa
 *       bits, no infinities, NaN = S.1111.111, largest finite 448, smallest subnormal 2^-9.
 *       Rounding is to nearest, ties to even, <em>saturating</em>: anything beyond +-448,
 *       infinities included, maps to +-448, as FP8 inference kernels do with {@code satfinite}
 *       conversion.
 * </ul>
 *
 * <p>{@link #toFp8Weights} follows what FP8 serving (vLLM's {@code fp8} weight quantization) does
 * to a Qwen3-MoE model: every linear projection of attention and of the experts is stored as fp8
 * with one float32 scale per tensor ({@code amax / 448}); the embedding, the LM head, the MoE
 * router and the norm weights stay in bf16 (the engine's activation dtype). Without the scale our
 * 0.02-std weights would sit in e4m3's subnormal range and lose almost all precision, which no real
 * engine does. The stored value is {@code fp8 * scale} rounded once to float32; a real engine
 * applies the scale to the matmul output instead, which differs only by that one float32 rounding.
 */
public final class WeightRounding {
  private WeightRounding() {}

  /** Largest finite e4m3fn value: S.1111.110 = 1.75 * 2^8. */
  public static final float FP8_E4M3_MAX = 448f;

  /** Smallest positive normal e4m3 value, 2^-6. */
  static final float FP8_E4M3_MIN_NORMAL = 0x1p-6f;

  /** Encoding of the canonical (positive) e4m3fn NaN. */
  static final int FP8_E4M3_NAN = 0x7F;

  // ---- bfloat16 ----

  /**
   * The 16 bits of {@code x} rounded to bfloat16, round to nearest even. Adding {@code 0x7FFF +
   * lsb} to the float bits rounds the low half up exactly when it is above the halfway point, or at
   * it with an odd kept bit; a carry out of the mantissa increments the exponent, which is the
   * right answer (and turns the largest floats into infinity). NaN is handled first so that the
   * carry cannot turn a NaN payload into infinity.
   */
  public static short toBf16Bits(float x) {
    int bits = Float.floatToRawIntBits(x);
    if ((bits & 0x7FFF_FFFF) > 0x7F80_0000) {
      return (short) ((bits >>> 16) | 0x0040); // quiet NaN, sign and top payload bits kept
    }
    int lsb = (bits >>> 16) & 1;
    return (short) ((bits + 0x7FFF + lsb) >>> 16);
  }

  /** The float32 value of bfloat16 bits (exact). */
  public static float fromBf16Bits(short b) {
    return Float.intBitsToFloat((b & 0xFFFF) << 16);
  }

  /** {@code x} rounded to the nearest bfloat16 (ties to even), as a float32. */
  public static float roundBf16(float x) {
    return fromBf16Bits(toBf16Bits(x));
  }

  /**
   * Veltkamp splitting constant for bfloat16: {@code 2^16 + 1}. For a float32 x, {@code g = x *
   * 65537f; d = x - g; r = g + d} leaves in {@code r} the high 8 significant bits of x, rounded to
   * nearest even, i.e. {@link #roundBf16}(x), with three element-wise float32 ops and no dtype
   * change (how the rollout engine rounds activations inside DJL).
   *
   * <p>Checked exhaustively over all 2^32 floats: bit-exact for {@code +0} and for {@link
   * #VELTKAMP_MIN_ABS} <= |x| < {@link #VELTKAMP_MAX_ABS}. Outside: {@code -0} comes back as {@code
   * +0}; subnormals come back wrong (the product is itself rounded at the subnormal quantum; the
   * absolute error stays below 2^-126); |x| >= 0x1.fffep111 (about 5.19e33) overflows {@code x *
   * 65537} and gives NaN, as do infinities and NaN. Activations of a sane model are far inside the
   * range.
   */
  public static final float VELTKAMP_BF16 = 65537f;

  /**
   * Smallest magnitude for which Veltkamp bf16 rounding is exact: the smallest normal float,
   * 2^-126.
   */
  public static final float VELTKAMP_MIN_ABS = Float.MIN_NORMAL;

  /**
   * Exclusive upper bound of magnitudes for which Veltkamp bf16 rounding is exact (about 5.19e33).
   */
  public static final float VELTKAMP_MAX_ABS = 0x1.fffep111f;

  /**
   * Java form of the Veltkamp bf16 rounding the engine does with DJL ops (for tests and reference).
   */
  public static float veltkampBf16(float x) {
    float g = x * VELTKAMP_BF16;
    float d = x - g;
    return g + d;
  }

  /** Rounds every element to bfloat16, in place. */
  public static void roundBf16InPlace(float[] a) {
    for (int i = 0; i < a.length; i++) {
      a[i] = roundBf16(a[i]);
    }
  }

  // ---- fp8 e4m3fn ----

  /**
   * {@code x} as e4m3fn bits (sign in bit 7), round to nearest even, saturating at +-448. Works by
   * scaling: within one binade the representable values are multiples of a power of two (the
   * quantum), so {@code Math.rint(a / quantum)} is the round-to-nearest-even of the mantissa, exact
   * in double.
   */
  public static byte toFp8E4m3Bits(float x) {
    int sign = (Float.floatToRawIntBits(x) >>> 24) & 0x80;
    if (Float.isNaN(x)) {
      return (byte) (sign | FP8_E4M3_NAN);
    }
    double a = Math.abs((double) x);
    if (a >= FP8_E4M3_MAX) {
      return (byte) (sign | 0x7E); // saturate (infinity included)
    }
    if (a < FP8_E4M3_MIN_NORMAL) {
      // Subnormal range: quantum 2^-9, mantissa 0..8 (8 means the rounding reached 2^-6, the first
      // normal, whose encoding 0b0001_000 is exactly 8: the carry lands in the exponent by itself).
      int m = (int) Math.rint(a * 0x1p9);
      return (byte) (sign | m);
    }
    int e = Math.getExponent(a); // floor(log2 a), in [-6, 8]
    double quantum = Math.scalb(1.0, e - 3);
    int q = (int) Math.rint(a / quantum); // 8..16; 16 carries into the next binade
    if (q == 16) {
      e++;
      q = 8;
    }
    // a < 448 keeps the result <= 448 (416 and 448 are neighbours with quantum 32), so no overflow
    // here.
    return (byte) (sign | ((e + 7) << 3) | (q - 8));
  }

  /** The float32 value of e4m3fn bits (exact); S.1111.111 is NaN. */
  public static float fromFp8E4m3Bits(byte b) {
    int v = b & 0xFF;
    float sign = (v & 0x80) != 0 ? -1f : 1f;
    int exp = (v >>> 3) & 0xF;
    int man = v & 0x7;
    if (exp == 0xF && man == 0x7) {
      return Float.NaN;
    }
    if (exp == 0) {
      return sign * man * 0x1p-9f;
    }
    return sign * Math.scalb(1f + man / 8f, exp - 7);
  }

  /** {@code x} rounded to the nearest e4m3fn value (ties to even, saturating at +-448). */
  public static float roundFp8E4m3(float x) {
    return fromFp8E4m3Bits(toFp8E4m3Bits(x));
  }

  /**
   * Rounds a tensor to fp8 with one float32 scale: {@code s = amax / 448}, {@code a[i] =
   * roundFp8(a[i] / s) * s}, in place, as an fp8 engine stores a weight and its scale. An all-zero
   * tensor is left as is.
   *
   * @return the scale used (0 for an all-zero tensor)
   * @throws IllegalArgumentException when the tensor holds NaN or infinity (no scale fits it)
   */
  public static float roundFp8ScaledInPlace(float[] a) {
    float amax = 0f;
    for (float v : a) {
      if (!Float.isFinite(v)) {
        throw new IllegalArgumentException("cannot scale a tensor holding " + v + " to fp8");
      }
      amax = Math.max(amax, Math.abs(v));
    }
    if (amax == 0f) {
      return 0f;
    }
    float scale = amax / FP8_E4M3_MAX;
    for (int i = 0; i < a.length; i++) {
      a[i] = roundFp8E4m3(a[i] / scale) * scale;
    }
    return scale;
  }

  // ---- whole models ----

  /** Every tensor, norm weights included, rounded to bfloat16 (what a bf16 engine stores). */
  public static ModelWeights toBf16(ModelWeights w) {
    Map<String, HostTensor> out = new LinkedHashMap<>();
    for (var e : w.tensors().entrySet()) {
      float[] data = e.getValue().data().clone();
      roundBf16InPlace(data);
      out.put(e.getKey(), new HostTensor(e.getValue().shape(), data));
    }
    return new ModelWeights(w.config(), out);
  }

  /**
   * The weights an FP8 engine serves: attention and expert (or dense MLP) projections in fp8 e4m3fn
   * with a per-tensor scale; embedding, LM head, router and norms in bfloat16. See the class
   * comment.
   */
  public static ModelWeights toFp8Weights(ModelWeights w) {
    Map<String, HostTensor> out = new LinkedHashMap<>();
    for (var e : w.tensors().entrySet()) {
      String name = e.getKey();
      float[] data = e.getValue().data().clone();
      if (isFp8Projection(name)) {
        try {
          roundFp8ScaledInPlace(data);
        } catch (IllegalArgumentException ex) {
          throw new IllegalArgumentException("tensor '" + name + "': " + ex.getMessage(), ex);
        }
      } else {
        roundBf16InPlace(data);
      }
      out.put(name, new HostTensor(e.getValue().shape(), data));
    }
    return new ModelWeights(w.config(), out);
  }

  /** Linear projections an FP8 engine quantizes: attention q/k/v/o and the SwiGLU gate/up/down. */
  static boolean isFp8Projection(String name) {
    // q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj; not the router
    // "mlp.gate.weight".
    return name.startsWith("model.layers.") && name.endsWith("_proj.weight");
  }
}
