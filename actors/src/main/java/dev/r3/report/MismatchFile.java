package dev.r3.report;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The output of {@code ./r3 mismatch --json}: training-inference mismatch of the trained model
 * measured three ways (dense twin, MoE, MoE with R3), the table the paper's first figure makes.
 * Shape: {@code {"dense": {"kl","extreme_2","tokens"}, "moe":
 * {"kl","extreme_2","router_disagreement", "token_any_layer","tokens"}, "moe_r3": {...}, "config":
 * {"rollout_precision", ...}}}; a missing field is NaN (a missing precision is "").
 */
record MismatchFile(List<Row> rows, String rolloutPrecision) {

  /**
   * One model variant; NaN where the measure does not apply (router disagreement of the dense
   * model).
   *
   * @param perLayer router disagreement per MoE layer ({@code router_disagreement_per_layer});
   *     empty if absent
   */
  record Row(
      String model,
      double kl,
      double extreme2,
      double routerDisagreement,
      double tokenAnyLayer,
      double tokens,
      double[] perLayer) {}

  private static final List<String> MODELS = List.of("dense", "moe", "moe_r3");

  /** Reads {@code file}; null when it is missing or unreadable ("not measured"). */
  static MismatchFile read(Path file) {
    JsonObject o = JsonFiles.readObject(file);
    if (o == null) {
      return null;
    }
    List<Row> rows = new ArrayList<>();
    for (String model : MODELS) {
      if (o.has(model) && o.get(model).isJsonObject()) {
        Map<String, Double> m = JsonFlat.numbers(o.getAsJsonObject(model));
        rows.add(
            new Row(
                model,
                get(m, "kl"),
                get(m, "extreme_2"),
                get(m, "router_disagreement"),
                get(m, "token_any_layer"),
                get(m, "tokens"),
                perLayer(m)));
      }
    }
    String precision = "";
    if (o.has("config") && o.get("config").isJsonObject()) {
      JsonElement p = o.getAsJsonObject("config").get("rollout_precision");
      precision = p != null && p.isJsonPrimitive() ? p.getAsString() : "";
    }
    return rows.isEmpty() ? null : new MismatchFile(List.copyOf(rows), precision);
  }

  private static double[] perLayer(Map<String, Double> m) {
    List<Double> out = new ArrayList<>();
    for (int i = 0; m.containsKey("router_disagreement_per_layer[" + i + "]"); i++) {
      out.add(m.get("router_disagreement_per_layer[" + i + "]"));
    }
    return out.stream().mapToDouble(Double::doubleValue).toArray();
  }

  private static double get(Map<String, Double> m, String key) {
    Double v = m.get(key);
    return v == null ? Double.NaN : v;
  }
}
