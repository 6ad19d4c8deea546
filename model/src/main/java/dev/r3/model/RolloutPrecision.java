package dev.r3.model;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The arithmetic a rollout engine emulates, i.e. the training-inference mismatch source of an
 * experiment. The trainer always runs float32 on the unrounded weights; the rollout engine runs on
 * {@link #prepare prepared} weights and, for {@link #BF16}, rounds its activations to bfloat16 too
 * (inside DJL, by Veltkamp splitting; see {@link WeightRounding#roundBf16}).
 */
public enum RolloutPrecision {
  /**
   * Same weights and arithmetic as the trainer: the only mismatch left is kernel shape and order.
   */
  FP32("fp32"),
  /** Weights rounded to bfloat16 (norms included), activations float32. */
  BF16_WEIGHTS("bf16-weights"),
  /** Weights and activations rounded to bfloat16: behaves like a real bf16 inference engine. */
  BF16("bf16"),
  /** FP8 e4m3 projections with per-tensor scales, the rest in bfloat16; activations float32. */
  FP8_WEIGHTS("fp8");

  private final String configName;

  RolloutPrecision(String configName) {
    this.configName = configName;
  }

  /** The name used in experiment files and on the command line. */
  public String configName() {
    return configName;
  }

  /**
   * The weights this engine holds, derived from the trainer's float32 weights (a new object unless
   * FP32).
   */
  public ModelWeights prepare(ModelWeights w) {
    return switch (this) {
      case FP32 -> w;
      case BF16_WEIGHTS, BF16 -> WeightRounding.toBf16(w);
      case FP8_WEIGHTS -> WeightRounding.toFp8Weights(w);
    };
  }

  /** True when the engine rounds activations (matmul inputs and outputs) to bfloat16. */
  public boolean roundsActivations() {
    return this == BF16;
  }

  /**
   * Parses a config name ({@code fp32}, {@code bf16-weights}, {@code bf16}, {@code fp8}),
   * case-insensitively; the enum constant names are accepted too.
   *
   * @throws IllegalArgumentException naming the valid values
   */
  public static RolloutPrecision parse(String s) {
    String t = s == null ? "" : s.trim().toLowerCase(Locale.ROOT);
    for (RolloutPrecision p : values()) {
      if (p.configName.equals(t) || p.name().toLowerCase(Locale.ROOT).equals(t)) {
        return p;
      }
    }
    throw new IllegalArgumentException(
        "unknown rollout precision '"
            + s
            + "'; valid: "
            + Arrays.stream(values())
                .map(RolloutPrecision::configName)
                .collect(Collectors.joining(", ")));
  }
}
