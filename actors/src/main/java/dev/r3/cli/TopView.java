package dev.r3.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.r3.actors.run.MetricNames;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One frame of {@code ./r3 top}, from the monitor's {@code /api/state} and recent {@code
 * /api/metrics} rows: the run line, the supervision tree (a restart since the last frame is marked,
 * a stopped actor dimmed with why), cluster members, the ledger, the last step's numbers with the
 * per-layer router disagreement, and a sparkline of each live curve. ANSI colour only when asked.
 */
final class TopView {
  static final int CURVE_POINTS = 40;
  private static final String SPARKS = "▁▂▃▄▅▆▇█";

  private final boolean color;
  private final Map<String, Long> restartsSeen = new HashMap<>();

  TopView(boolean color) {
    this.color = color;
  }

  /**
   * @param rows the last steps' rows (oldest first), at most {@link #CURVE_POINTS} are drawn
   * @param evals every evaluation row
   * @param width characters per line; longer lines are cut
   */
  String frame(JsonObject state, List<JsonObject> rows, JsonArray evals, String url, int width) {
    List<String> out = new ArrayList<>();
    JsonObject run = state.getAsJsonObject("run");
    String status = str(run, "status");
    long step = num(run, "step").longValue();
    long total = num(run, "total_steps").longValue();
    String resumed =
        run.has("resumed_from_step") && !run.get("resumed_from_step").isJsonNull()
            ? " (resumed from " + run.get("resumed_from_step").getAsLong() + ")"
            : "";
    out.add(
        bold("R3 " + str(run, "name"))
            + "  "
            + statusText(status)
            + String.format(
                Locale.ROOT,
                "  step %d/%d%s  %s  %s",
                step,
                total,
                resumed,
                duration(num(run, "elapsed_s").doubleValue()),
                url));
    if (!run.get("failure").isJsonNull()) {
      out.add(red("failed: " + run.get("failure").getAsString()));
    }
    out.add("");
    actors(state.getAsJsonArray("actors"), out);
    out.add("");
    members(state.getAsJsonObject("cluster"), out);
    ledger(state.getAsJsonObject("ledger"), out);
    lastStep(state.get("last_step"), evals, out);
    curves(rows, evals, out);
    StringBuilder b = new StringBuilder();
    for (String line : out) {
      b.append(cut(line, width)).append('\n');
    }
    return b.toString();
  }

  private void actors(JsonArray actors, List<String> out) {
    String head =
        String.format(
            Locale.ROOT,
            "%-28s %-12s %-10s %8s %7s %6s %9s %7s %8s  %s",
            "ACTOR",
            "ROLE",
            "STATE",
            "RESTARTS",
            "MAILBOX",
            "FLIGHT",
            "MESSAGES",
            "MS/MSG",
            "LAST MSG",
            "LAST FAILURE / WHY");
    out.add(bold(head));
    for (JsonElement e : actors) {
      JsonObject a = e.getAsJsonObject();
      String path = str(a, "path");
      int depth = Math.max(0, path.split("/").length - 2);
      String name = "  ".repeat(depth) + (depth > 0 ? "└ " : "") + str(a, "name");
      long restarts = a.get("restarts").getAsLong();
      Long before = restartsSeen.put(path, restarts);
      boolean rose = before != null && restarts > before;
      String state = str(a, "state");
      String why =
          "stopped".equals(state) && !a.get("stopped_because").isJsonNull()
              ? a.get("stopped_because").getAsString()
              : a.get("last_failure").isJsonNull()
                  ? ""
                  : ago(a.getAsJsonObject("last_failure").get("time").getAsString())
                      + " "
                      + a.getAsJsonObject("last_failure").get("message").getAsString();
      String line =
          String.format(
              Locale.ROOT,
              "%-28s %-12s %-10s %8s %7s %6d %9d %7.2f %8s  %s",
              name,
              str(a, "role"),
              state,
              restarts + (rose ? " ↑" : ""),
              a.get("mailbox") == null || a.get("mailbox").isJsonNull()
                  ? "-"
                  : a.get("mailbox").getAsString(),
              a.get("busy").getAsInt() + a.get("in_flight").getAsInt(),
              a.get("messages").getAsLong(),
              a.get("processing_ms_mean").getAsDouble(),
              a.get("last_message_at").isJsonNull()
                  ? "-"
                  : ago(a.get("last_message_at").getAsString()),
              why);
      out.add(
          "stopped".equals(state)
              ? dim(line)
              : rose ? inverse(line) : "restarting".equals(state) ? yellow(line) : line);
    }
  }

  private static void members(JsonObject cluster, List<String> out) {
    for (JsonElement e : cluster.getAsJsonArray("members")) {
      JsonObject m = e.getAsJsonObject();
      List<String> roles = new ArrayList<>();
      m.getAsJsonArray("roles").forEach(r -> roles.add(r.getAsString()));
      out.add(
          "member "
              + str(m, "address")
              + (str(m, "address").equals(str(cluster, "self")) ? " (this)" : "")
              + "  roles "
              + String.join(",", roles)
              + "  "
              + str(m, "status")
              + (m.get("reachable").getAsBoolean() ? "" : "  UNREACHABLE"));
    }
  }

  private static void ledger(JsonObject l, List<String> out) {
    StringBuilder b = new StringBuilder("ledger");
    for (String k : List.of("produced", "trained", "dropped", "buffered", "in_training")) {
      if (l.has(k)) {
        b.append("  ").append(k.replace('_', ' ')).append(' ').append(l.get(k).getAsLong());
      }
    }
    JsonObject by = l.getAsJsonObject("dropped_by_reason");
    List<String> reasons = new ArrayList<>();
    for (Map.Entry<String, JsonElement> kv : by.entrySet()) {
      if (kv.getValue().getAsLong() > 0) {
        reasons.add(kv.getKey() + " " + kv.getValue().getAsLong());
      }
    }
    if (!reasons.isEmpty()) {
      b.append("  (").append(String.join(", ", reasons)).append(')');
    }
    out.add(b.toString());
  }

  private static void lastStep(JsonElement last, JsonArray evals, List<String> out) {
    if (last == null || last.isJsonNull()) {
      out.add("no step yet");
      return;
    }
    JsonObject r = last.getAsJsonObject();
    StringBuilder b = new StringBuilder("step " + r.get(MetricNames.STEP).getAsLong() + ":");
    for (String k :
        List.of(
            MetricNames.REWARD_MEAN,
            MetricNames.LOSS,
            MetricNames.APPROX_KL,
            MetricNames.CLIP_FRAC,
            MetricNames.GRAD_NORM,
            MetricNames.MISMATCH_KL,
            MetricNames.EXTREME_2,
            MetricNames.STEP_SECONDS)) {
      if (r.has(k) && !r.get(k).isJsonNull()) {
        b.append("  ").append(k).append(' ').append(fmt(r.get(k).getAsDouble()));
      }
    }
    if (!evals.isEmpty()) {
      JsonObject e = evals.get(evals.size() - 1).getAsJsonObject();
      if (e.has(MetricNames.EVAL_ACCURACY) && !e.get(MetricNames.EVAL_ACCURACY).isJsonNull()) {
        b.append("  ")
            .append(MetricNames.EVAL_ACCURACY)
            .append(' ')
            .append(fmt(e.get(MetricNames.EVAL_ACCURACY).getAsDouble()))
            .append(" (step ")
            .append(e.get(MetricNames.STEP).getAsLong())
            .append(')');
      }
    }
    out.add(b.toString());
    StringBuilder layers = new StringBuilder("router disagreement by layer:");
    boolean any = false;
    for (Map.Entry<String, JsonElement> kv : r.entrySet()) {
      int layer = MetricNames.layerOf(kv.getKey());
      if (layer >= 0 && !kv.getValue().isJsonNull()) {
        layers.append("  L").append(layer).append(' ').append(fmt(kv.getValue().getAsDouble()));
        any = true;
      }
    }
    if (any) {
      out.add(layers.toString());
    }
  }

  private static void curves(List<JsonObject> rows, JsonArray evals, List<String> out) {
    List<JsonObject> recent = rows.subList(Math.max(0, rows.size() - CURVE_POINTS), rows.size());
    if (recent.isEmpty()) {
      return;
    }
    out.add("");
    out.add(
        "last "
            + recent.size()
            + " steps ("
            + recent.get(0).get(MetricNames.STEP).getAsLong()
            + "-"
            + recent.get(recent.size() - 1).get(MetricNames.STEP).getAsLong()
            + ")");
    for (String k : MetricNames.CURVES) {
      List<Double> v = new ArrayList<>();
      if (k.equals(MetricNames.EVAL_ACCURACY)) {
        for (JsonElement e : evals) {
          JsonElement x = e.getAsJsonObject().get(k);
          if (x != null && !x.isJsonNull()) {
            v.add(x.getAsDouble());
          }
        }
        v = v.subList(Math.max(0, v.size() - CURVE_POINTS), v.size());
      } else {
        for (JsonObject r : recent) {
          JsonElement x = r.get(k);
          if (x != null && !x.isJsonNull()) {
            v.add(x.getAsDouble());
          }
        }
      }
      if (!v.isEmpty()) {
        out.add(
            String.format(Locale.ROOT, "%-34s %-40s %s", k, spark(v), fmt(v.get(v.size() - 1))));
      }
    }
  }

  /** A sparkline: one block per value, scaled between the values' min and max. */
  static String spark(List<Double> v) {
    double lo = Double.POSITIVE_INFINITY;
    double hi = Double.NEGATIVE_INFINITY;
    for (double x : v) {
      lo = Math.min(lo, x);
      hi = Math.max(hi, x);
    }
    StringBuilder b = new StringBuilder();
    for (double x : v) {
      int i = hi > lo ? (int) Math.round((x - lo) / (hi - lo) * (SPARKS.length() - 1)) : 3;
      b.append(SPARKS.charAt(i));
    }
    return b.toString();
  }

  static String fmt(double x) {
    if (x == Math.rint(x) && Math.abs(x) < 1e9) {
      return Long.toString((long) x);
    }
    double a = Math.abs(x);
    if (a != 0 && (a < 1e-3 || a >= 1e5)) {
      return String.format(Locale.ROOT, "%.2e", x);
    }
    String s = String.format(Locale.ROOT, "%.4g", x);
    return s.contains(".") ? s.replaceAll("0+$", "").replaceAll("\\.$", "") : s;
  }

  private static String ago(String iso) {
    long s = Duration.between(Instant.parse(iso), Instant.now()).toSeconds();
    return Math.max(0, s) + " s ago";
  }

  private static String duration(double seconds) {
    long s = (long) seconds;
    return (s >= 3600 ? s / 3600 + " h " : "")
        + (s >= 60 ? (s % 3600) / 60 + " min " : "")
        + s % 60
        + " s";
  }

  /** Cuts a line to {@code width} visible characters (ANSI escapes do not count). */
  static String cut(String line, int width) {
    StringBuilder b = new StringBuilder();
    int visible = 0;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (c == '\u001b') {
        int end = line.indexOf('m', i);
        b.append(line, i, end + 1);
        i = end;
        continue;
      }
      if (visible == width) {
        continue;
      }
      b.append(c);
      visible++;
    }
    return b.toString();
  }

  private static String str(JsonObject o, String k) {
    JsonElement e = o.get(k);
    return e == null || e.isJsonNull() ? "" : e.getAsString();
  }

  private static Number num(JsonObject o, String k) {
    JsonElement e = o.get(k);
    return e == null || e.isJsonNull() ? 0 : e.getAsNumber();
  }

  private String statusText(String status) {
    return switch (status) {
      case "running" -> green(status);
      case "failed" -> red(status);
      default -> bold(status);
    };
  }

  private String ansi(String code, String s) {
    return color ? "\u001b[" + code + "m" + s + "\u001b[0m" : s;
  }

  private String bold(String s) {
    return ansi("1", s);
  }

  private String dim(String s) {
    return ansi("2", s);
  }

  private String inverse(String s) {
    return ansi("7", s);
  }

  private String red(String s) {
    return ansi("31", s);
  }

  private String green(String s) {
    return ansi("32", s);
  }

  private String yellow(String s) {
    return ansi("33", s);
  }
}
