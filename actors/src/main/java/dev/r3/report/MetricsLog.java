package dev.r3.report;

import com.google.gson.JsonElement;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.r3.actors.run.MetricNames;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A run's {@code metrics.jsonl}, one row per learner step (and its {@code eval.jsonl}, one row per
 * evaluation, when the run writes one), read so that a crashed or still-running run is as readable
 * as a finished one: a last line cut off mid-write is dropped and flagged ({@link #truncated()}), a
 * malformed line elsewhere is skipped and counted, and a key a row lacks is simply absent from that
 * row's series.
 *
 * <p>Keys are the run's vocabulary ({@link MetricNames}), nothing else. Eval accuracy ({@code
 * eval/accuracy}) comes from {@code eval.jsonl}, else from the same key in metrics.jsonl; the
 * rollouts' own accuracy ({@code reward/accuracy}) is never taken for it.
 */
final class MetricsLog {
  private final List<Map<String, Double>> rows;
  private final boolean truncated;
  private final int malformed;
  private final Series evalFile; // eval accuracy from eval.jsonl; empty when there is none

  private MetricsLog(
      List<Map<String, Double>> rows, boolean truncated, int malformed, Series evalFile) {
    this.rows = rows;
    this.truncated = truncated;
    this.malformed = malformed;
    this.evalFile = evalFile;
  }

  static final MetricsLog EMPTY = new MetricsLog(List.of(), false, 0, Series.EMPTY);

  /** Reads a run folder: its metrics.jsonl and, when present, its eval.jsonl. */
  static MetricsLog readRun(Path dir) {
    MetricsLog m = read(dir.resolve(RunDir.METRICS));
    MetricsLog e = read(dir.resolve(RunDir.EVALS));
    return new MetricsLog(m.rows, m.truncated, m.malformed, e.raw(Metric.EVAL_ACCURACY));
  }

  /** Reads {@code file}; a missing file is an empty log. */
  static MetricsLog read(Path file) {
    if (!Files.isRegularFile(file)) {
      return EMPTY;
    }
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
    int lastNonBlank = lines.size() - 1;
    while (lastNonBlank >= 0 && lines.get(lastNonBlank).isBlank()) {
      lastNonBlank--;
    }
    List<Map<String, Double>> rows = new ArrayList<>();
    boolean truncated = false;
    int malformed = 0;
    for (int i = 0; i <= lastNonBlank; i++) {
      String line = lines.get(i);
      if (line.isBlank()) {
        continue;
      }
      JsonElement e;
      try {
        e = JsonParser.parseString(line);
      } catch (JsonParseException ex) {
        e = null;
      }
      if (e != null && e.isJsonObject()) {
        rows.add(JsonFlat.numbers(e.getAsJsonObject()));
      } else if (i == lastNonBlank) {
        truncated = true; // the writer died mid-line
      } else {
        malformed++;
      }
    }
    return new MetricsLog(List.copyOf(rows), truncated, malformed, Series.EMPTY);
  }

  int rows() {
    return rows.size();
  }

  boolean truncated() {
    return truncated;
  }

  int malformedLines() {
    return malformed;
  }

  /**
   * The metric's finite values against the step (the row number, from 1, where a row lacks {@code
   * step}); for {@link Metric#EVAL_ACCURACY} the eval accuracy found as the class comment says.
   */
  Series series(Metric m) {
    if (m != Metric.EVAL_ACCURACY) {
      return raw(m);
    }
    return evalFile.isEmpty() ? raw(Metric.EVAL_ACCURACY) : evalFile;
  }

  private Series raw(Metric m) {
    List<double[]> pts = new ArrayList<>();
    for (int i = 0; i < rows.size(); i++) {
      Double v = rows.get(i).get(m.key());
      if (v != null && Double.isFinite(v)) {
        pts.add(new double[] {step(i), v});
      }
    }
    return toSeries(pts);
  }

  /**
   * The step from which the metric stayed non-finite (NaN, infinite or null) to the end of the log,
   * after having been finite before: the first of that trailing run. -1 when the last value logged
   * is finite, or when the metric was never finite (then it was not measured, not diverged).
   */
  double nonFiniteFrom(Metric m) {
    double from = -1;
    boolean sawFinite = false;
    for (int i = 0; i < rows.size(); i++) {
      Double v = rows.get(i).get(m.key());
      if (v == null) {
        continue;
      }
      if (Double.isFinite(v)) {
        sawFinite = true;
        from = -1;
      } else if (from < 0 && sawFinite) {
        from = step(i);
      }
    }
    return from;
  }

  /** The last step logged; 0 for an empty log. */
  double lastStep() {
    return rows.isEmpty() ? 0 : step(rows.size() - 1);
  }

  /**
   * Mean router disagreement per MoE layer over the run (finite values only), layer 0 first; empty
   * when the run logged no per-layer values. A layer never logged is NaN.
   */
  double[] layerDisagreement() {
    TreeMap<Integer, double[]> sums = new TreeMap<>(); // layer -> {sum, count}
    for (Map<String, Double> row : rows) {
      for (Map.Entry<String, Double> kv : row.entrySet()) {
        int layer = MetricNames.layerOf(kv.getKey());
        if (layer < 0 || !Double.isFinite(kv.getValue())) {
          continue;
        }
        double[] s = sums.computeIfAbsent(layer, k -> new double[2]);
        s[0] += kv.getValue();
        s[1]++;
      }
    }
    if (sums.isEmpty()) {
      return new double[0];
    }
    double[] out = new double[sums.lastKey() + 1];
    Arrays.fill(out, Double.NaN);
    sums.forEach((layer, s) -> out[layer] = s[0] / s[1]);
    return out;
  }

  private double step(int row) {
    Double s = rows.get(row).get(MetricNames.STEP);
    return s != null && Double.isFinite(s) ? s : row + 1;
  }

  private static Series toSeries(List<double[]> pts) {
    double[] x = new double[pts.size()];
    double[] y = new double[pts.size()];
    for (int i = 0; i < pts.size(); i++) {
      x[i] = pts.get(i)[0];
      y[i] = pts.get(i)[1];
    }
    return new Series(x, y);
  }
}
