package dev.r3.report;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A finished run's {@code summary.json}: initial and final eval accuracy, wall time, the ledger and
 * the config the run used. The writer's exact key names are not pinned down, so each number is
 * looked up under a few likely names and then by a loose match ("final" and "acc" in one key); what
 * is not found is NaN. A run also writes one when it fails or is interrupted: its {@code status}
 * says which.
 *
 * @param ledger numbers under {@code ledger/} (produced, trained, dropped...), keys without the
 *     prefix
 * @param config the {@code config} object as written, or an empty object
 */
record SummaryFile(
    String status,
    String failure,
    double initialAccuracy,
    double finalAccuracy,
    double wallSeconds,
    Map<String, Double> ledger,
    JsonObject config) {

  /**
   * Whether the run ended by finishing its steps (a summary without a status is an older run's).
   */
  boolean finished() {
    return "finished".equals(status);
  }

  private static final List<String> INITIAL =
      List.of(
          "initial_eval_accuracy",
          "initial_accuracy",
          "eval/initial_accuracy",
          "eval/initial",
          "accuracy/initial",
          "initial/accuracy",
          "initial_eval/accuracy");
  private static final List<String> FINAL =
      List.of(
          "final_eval_accuracy",
          "final_accuracy",
          "eval/final_accuracy",
          "eval/final",
          "accuracy/final",
          "final/accuracy",
          "final_eval/accuracy");
  private static final List<String> WALL =
      List.of("wall_time_s", "wall_seconds", "wall_s", "wall_time", "seconds", "wall/seconds");

  /**
   * Reads {@code file}; null when it is missing or not a JSON object (a run that did not finish).
   */
  static SummaryFile read(Path file) {
    JsonObject o = JsonFiles.readObject(file);
    if (o == null) {
      return null;
    }
    JsonObject config =
        o.has("config") && o.get("config").isJsonObject()
            ? o.getAsJsonObject("config")
            : new JsonObject();
    JsonObject rest = o.deepCopy();
    rest.remove("config"); // config values (e.g. eval.size) must not pass for results
    Map<String, Double> flat = JsonFlat.numbers(rest);
    Map<String, Double> ledger = new LinkedHashMap<>();
    flat.forEach(
        (k, v) -> {
          if (k.startsWith("ledger/")) {
            ledger.put(k.substring("ledger/".length()), v);
          }
        });
    return new SummaryFile(
        text(o, "status", "finished"),
        text(o, "failure", ""),
        find(flat, INITIAL, "initial", "acc"),
        find(flat, FINAL, "final", "acc"),
        find(flat, WALL, "wall", ""),
        ledger,
        config);
  }

  /**
   * A string from the config the run used ({@code configString("rollout", "precision")}); null if
   * absent.
   */
  String configString(String... path) {
    JsonElement e = config;
    for (String k : path) {
      if (e == null || !e.isJsonObject()) {
        return null;
      }
      e = e.getAsJsonObject().get(k);
    }
    return e != null && e.isJsonPrimitive() ? e.getAsString() : null;
  }

  private static double find(
      Map<String, Double> flat, List<String> names, String must1, String must2) {
    Double v = JsonFlat.first(flat, names);
    if (v != null) {
      return v;
    }
    for (Map.Entry<String, Double> kv : flat.entrySet()) {
      String k = kv.getKey().toLowerCase(Locale.ROOT);
      if (k.contains(must1) && k.contains(must2)) {
        return kv.getValue();
      }
    }
    return Double.NaN;
  }

  private static String text(JsonObject o, String key, String absent) {
    return o.has(key) && o.get(key).isJsonPrimitive() ? o.get(key).getAsString() : absent;
  }
}
