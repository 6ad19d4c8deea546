package dev.r3.sweep;

import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import dev.r3.actors.config.UnknownKeys;
import dev.r3.model.RolloutPrecision;
import java.util.ArrayList;
import java.util.List;

/** The axes a sweep varies. The key is the name used in sweep files, JSON and tables. */
enum Axis {
  /** Decoder layers (every one an MoE block). */
  LAYERS("layers", "layers"),
  /** Experts per MoE block (E). */
  EXPERTS("experts", "experts E"),
  /** Experts active per token (k). */
  TOP_K("top_k", "top-k"),
  /**
   * The rollout engine's arithmetic: bf16-weights, bf16 (weights + activations), fp8 (weights),
   * fp32.
   */
  PRECISION("precision", "rollout precision"),
  /** Response length: the rollout's token limit. */
  MAX_NEW_TOKENS("max_new_tokens", "response tokens"),
  /**
   * Supervised warm-up steps on the environment's SFT corpus before measuring (0 = random init).
   */
  WARMUP_STEPS("warmup_steps", "warm-up steps"),
  /** Random-init scale: an initializer_range (HF style) or 'torch' (PyTorch module defaults). */
  INIT("init", "init");

  private final String key;
  private final String title;

  Axis(String key, String title) {
    this.key = key;
    this.title = title;
  }

  /** The name in sweep.json, tables and chart file names (snake_case, like every JSON key). */
  public String key() {
    return key;
  }

  /** The name in sweep files (kebab-case, like every config key): {@code top-k}. */
  public String configKey() {
    return key.replace('_', '-');
  }

  /** Axis title for charts. */
  public String title() {
    return title;
  }

  /** The axis a sweep file names {@code key}, or an error with the closest name. */
  public static Axis of(String key, String where) {
    List<String> names = new ArrayList<>();
    for (Axis a : values()) {
      if (a.configKey().equals(key)) {
        return a;
      }
      names.add(a.configKey());
    }
    String near = UnknownKeys.closest(key, names);
    throw new SweepConfigException(
        where, "unknown axis '" + key + "'; did you mean " + near + "? (axes: " + names() + ")");
  }

  /** The axes as sweep files name them. */
  public static String names() {
    StringBuilder b = new StringBuilder();
    for (Axis a : values()) {
      b.append(b.length() == 0 ? "" : ", ").append(a.configKey());
    }
    return b.toString();
  }

  /** Parses one value of this axis from a sweep file; {@code where} is the key path for errors. */
  public Object parse(ConfigValue v, String where) {
    Object raw = v.unwrapped();
    switch (this) {
      case PRECISION:
        try {
          return RolloutPrecision.parse(String.valueOf(raw));
        } catch (IllegalArgumentException e) {
          throw new SweepConfigException(where, e.getMessage());
        }
      case INIT:
        try {
          return Init.parse(String.valueOf(raw));
        } catch (IllegalArgumentException e) {
          throw new SweepConfigException(where, e.getMessage());
        }
      default:
        int n;
        if (v.valueType() == ConfigValueType.NUMBER && raw instanceof Integer i) {
          n = i;
        } else if (v.valueType() == ConfigValueType.STRING
            && String.valueOf(raw).trim().matches("-?\\d+")) {
          n = Integer.parseInt(String.valueOf(raw).trim());
        } else {
          throw new SweepConfigException(
              where, configKey() + " must be an integer, got " + v.render());
        }
        int min = this == WARMUP_STEPS ? 0 : 1;
        if (n < min) {
          throw new SweepConfigException(where, configKey() + " must be >= " + min + ", got " + n);
        }
        return n;
    }
  }

  /** The value as written in files and tables. */
  public String format(Object value) {
    if (value instanceof RolloutPrecision p) {
      return p.configName();
    }
    return String.valueOf(value);
  }
}
