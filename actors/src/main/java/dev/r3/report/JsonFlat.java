package dev.r3.report;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Flattens a JSON object into numbers keyed by path, so that readers need not know how the writer
 * nested things: {@code {"mismatch": {"kl": 1e-3}}} becomes {@code mismatch/kl}, an array {@code
 * "layer": [0.1, 0.2]} becomes {@code layer[0]}, {@code layer[1]}. Numbers, booleans (1/0) and
 * numeric strings ({@code "NaN"}, {@code "Infinity"}: how some writers spell non-finite values) are
 * kept, non-finite ones included; other strings are dropped. A null becomes NaN: JSON has no NaN,
 * so the pipeline writes a non-finite or not-applicable value as null, and every reader already
 * skips NaN where it wants values and looks for it where it wants divergence.
 */
final class JsonFlat {
  private JsonFlat() {}

  static Map<String, Double> numbers(JsonObject o) {
    Map<String, Double> out = new LinkedHashMap<>();
    walk("", o, out);
    return out;
  }

  private static void walk(String path, JsonElement e, Map<String, Double> out) {
    if (e == null) {
      return;
    }
    if (e.isJsonNull()) {
      if (!path.isEmpty()) {
        out.put(path, Double.NaN);
      }
      return;
    }
    if (e.isJsonObject()) {
      for (Map.Entry<String, JsonElement> kv : e.getAsJsonObject().entrySet()) {
        walk(path.isEmpty() ? kv.getKey() : path + "/" + kv.getKey(), kv.getValue(), out);
      }
    } else if (e.isJsonArray()) {
      JsonArray a = e.getAsJsonArray();
      for (int i = 0; i < a.size(); i++) {
        walk(path + "[" + i + "]", a.get(i), out);
      }
    } else {
      Double d = number(e.getAsJsonPrimitive());
      if (d != null) {
        out.put(path, d);
      }
    }
  }

  private static Double number(JsonPrimitive p) {
    if (p.isBoolean()) {
      return p.getAsBoolean() ? 1.0 : 0.0;
    }
    if (p.isNumber()) {
      return p.getAsDouble();
    }
    String s = p.getAsString().trim();
    try {
      return Double.parseDouble(s);
    } catch (NumberFormatException ex) {
      return switch (s.toLowerCase(Locale.ROOT)) {
        case "nan" -> Double.NaN;
        case "inf", "+inf", "infinity" -> Double.POSITIVE_INFINITY;
        case "-inf", "-infinity" -> Double.NEGATIVE_INFINITY;
        default -> null;
      };
    }
  }

  /** The first of {@code keys} present in {@code row}; null when none is. */
  static Double first(Map<String, Double> row, Iterable<String> keys) {
    for (String k : keys) {
      Double v = row.get(k);
      if (v != null) {
        return v;
      }
    }
    return null;
  }
}
