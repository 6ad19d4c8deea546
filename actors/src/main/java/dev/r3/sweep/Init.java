package dev.r3.sweep;

import dev.r3.model.ModelConfig;
import dev.r3.model.ModelWeights;
import java.util.Locale;

/**
 * How a sweep cell's random weights are drawn (the {@code init} axis).
 *
 * <ul>
 *   <li>a number: Hugging Face style, {@link ModelWeights#random} with {@code initializer_range}
 *       set to it (normal(0, std) matrices, residual projections scaled by 1/sqrt(2 layers), unit
 *       norms); the project's default is 0.02;
 *   <li>{@code torch}: PyTorch's module defaults, as a plain {@code nn.Module} Qwen3-MoE written
 *       without {@code _init_weights} gets them: {@code nn.Embedding} normal(0, 1), every {@code
 *       nn.Linear} uniform(+-1/sqrt(fan_in)) (kaiming_uniform with a = sqrt(5)), unit norms.
 * </ul>
 *
 * @param torch true for PyTorch defaults
 * @param std the initializer range when not {@code torch}
 */
record Init(boolean torch, double std) {
  public static final Init TORCH = new Init(true, Double.NaN);

  public Init {
    if (!torch && !(std > 0 && Double.isFinite(std))) {
      throw new IllegalArgumentException("init std must be a positive number, got " + std);
    }
  }

  public static Init std(double std) {
    return new Init(false, std);
  }

  /** Parses {@code torch} or a positive number. */
  public static Init parse(String s) {
    String t = s == null ? "" : s.trim().toLowerCase(Locale.ROOT);
    if (t.equals("torch")) {
      return TORCH;
    }
    try {
      return std(Double.parseDouble(t));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "init must be a positive number (initializer_range) or 'torch', got '" + s + "'");
    }
  }

  /** The label used in files and tables: {@code torch} or the std as written ({@code 0.02}). */
  public String label() {
    if (torch) {
      return "torch";
    }
    String s = String.format(Locale.ROOT, "%.6f", std).replaceAll("0+$", "");
    return s.endsWith(".") ? s + "0" : s;
  }

  @Override
  public String toString() {
    return label();
  }

  /**
   * The model config with this init's {@code initializer_range} recorded (torch: the config's own).
   */
  public ModelConfig apply(ModelConfig c) {
    if (torch) {
      return c;
    }
    return c.toBuilder().initStd((float) std).build();
  }

  /** Seeded random weights of {@code c} with this init. */
  public ModelWeights random(ModelConfig c, long seed) {
    ModelConfig cfg = apply(c);
    if (!torch) {
      return ModelWeights.random(cfg, seed);
    }
    // PyTorch's module defaults: nn.Embedding N(0, 1), nn.Linear U(-1/sqrt(fan_in),
    // 1/sqrt(fan_in)).
    return ModelWeights.random(
        cfg,
        seed,
        (name, shape, rng, data) -> {
          if (name.endsWith("embed_tokens.weight")) {
            for (int i = 0; i < data.length; i++) {
              data[i] = (float) ModelWeights.gaussian(rng);
            }
          } else {
            double bound =
                1.0 / Math.sqrt(shape[shape.length - 1]); // fan_in of a [out, in] Linear weight
            for (int i = 0; i < data.length; i++) {
              data[i] = (float) ((rng.nextDouble() * 2 - 1) * bound);
            }
          }
        });
  }
}
