package dev.r3.sweep;

import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;
import org.knowm.xchart.style.Styler;

/**
 * Writes {@code sweep.md} (per-slice tables of the KL ratio with the KLs behind it, and one row per
 * cell with every measure) and one heatmap PNG per pair of axes a slice varies (a single-axis slice
 * gets a one-row heatmap), colored by the mismatch-KL ratio R3 / recompute and annotated with the
 * value: below 1 replay helps, near 1 it does not matter, above 1 it hurts.
 */
final class SweepReport {
  public static final String MARKDOWN = "sweep.md";
  static final double COLOR_MAX = 1.25;

  private SweepReport() {}

  /** One heatmap: a slice, its x (and y) axis, the other axes at {@code base}. */
  public record Heatmap(
      String slice, Axis x, Axis y, List<Object> xs, List<Object> ys, Point base) {
    public String file() {
      return "heatmap-" + slice + "-" + x.key() + (y == null ? "" : "-" + y.key()) + ".png";
    }

    /** The point at (xi, yi). */
    Point at(Object xv, Object yv) {
      Point p = base.with(x, xv);
      return y == null ? p : p.with(y, yv);
    }
  }

  /**
   * The heatmaps a sweep draws: one per pair of varied axes of every slice (the others at their
   * default).
   */
  public static List<Heatmap> heatmaps(SweepSpec spec) {
    List<Heatmap> out = new ArrayList<>();
    for (SweepSpec.Slice s : spec.slices()) {
      List<Axis> v = s.vary();
      if (v.isEmpty()) {
        continue;
      }
      if (v.size() == 1) {
        out.add(
            new Heatmap(s.name(), v.get(0), null, s.values().get(v.get(0)), List.of(), s.base()));
        continue;
      }
      for (int i = 0; i < v.size(); i++) {
        for (int j = i + 1; j < v.size(); j++) {
          Point base = s.base();
          for (Axis other : v) {
            if (other != v.get(i) && other != v.get(j)) {
              List<Object> vals = s.values().get(other);
              Object d = spec.defaults().get(other);
              base = base.with(other, vals.contains(d) ? d : vals.get(0));
            }
          }
          out.add(
              new Heatmap(
                  s.name(),
                  v.get(i),
                  v.get(j),
                  s.values().get(v.get(i)),
                  s.values().get(v.get(j)),
                  base));
        }
      }
    }
    return out;
  }

  /** Writes sweep.md and the PNGs into {@code out}. */
  public static void write(SweepSpec spec, List<CellResult> results, Path out) throws IOException {
    write(spec, results, out, null);
  }

  /**
   * Writes sweep.md and the PNGs into {@code out}; {@code reproduce} (nullable) is the command
   * quoted in sweep.md.
   */
  public static void write(SweepSpec spec, List<CellResult> results, Path out, String reproduce)
      throws IOException {
    Map<String, CellResult> byKey = new HashMap<>();
    for (CellResult r : results) {
      byKey.put(r.point().key(), r);
    }
    List<Heatmap> maps = heatmaps(spec);
    for (Heatmap h : maps) {
      drawHeatmap(h, byKey, out.resolve(h.file()), title(spec, h));
    }
    Files.writeString(
        out.resolve(MARKDOWN),
        markdown(spec, results, maps, byKey, reproduce),
        StandardCharsets.UTF_8);
  }

  // ---------------------------------------------------------------- markdown

  static String markdown(
      SweepSpec spec,
      List<CellResult> results,
      List<Heatmap> maps,
      Map<String, CellResult> byKey,
      String reproduce) {
    StringBuilder b = new StringBuilder();
    b.append("# Mismatch sweep `").append(spec.name()).append("`\n\n");
    if (!spec.description().isBlank()) {
      b.append(spec.description().strip()).append("\n\n");
    }
    var m = spec.model();
    b.append(
        String.format(
            Locale.ROOT,
            "Fixed: env `%s`, seed %d, temperature %s, %d responses per cell (prompts from "
                + "the eval split), routing positions `%s`; model hidden %d, %d heads (%d KV) of %d, expert width %d; "
                + "warm-up batch %d, corpus %d, lr %s (the `./r3 pretrain` loop, cosine decay).%n%n",
            spec.env(),
            spec.seed(),
            fmtNum(spec.temperature()),
            spec.responses(),
            spec.positions().name().toLowerCase(Locale.ROOT),
            m.hiddenSize(),
            m.heads(),
            m.kvHeads(),
            m.headDim(),
            m.expertSize(),
            spec.warmUp().batchSize(),
            spec.warmUp().corpusSize(),
            fmtNum(spec.warmUp().lr())));
    if (reproduce != null) {
      b.append("Reproduce (resumes; warmed-up weights are cached): `")
          .append(reproduce)
          .append("`\n\n");
    }
    b.append("Default cell: `").append(spec.defaults().key()).append("`.\n\n");
    b.append(
        "Measures (DESIGN.md section 2): mismatch KL is the k3 estimator over response tokens; F(2) the "
            + "fraction of tokens with max(rho, 1/rho) > 2; router disagreement the fraction of (token, layer) pairs "
            + "whose top-k set differs between rollout engine and trainer (all positions, prompt included), any-layer "
            + "the fraction of tokens differing in at least one layer. **R3/rec** = KL(MoE+R3) / KL(MoE recompute): "
            + "below 1 replay helps. SFT nll: mean NLL per completion token of the MoE model on 64 SFT examples.\n\n");

    for (SweepSpec.Slice s : spec.slices()) {
      b.append("## Slice `").append(s.name()).append("`: varies ");
      List<String> names = new ArrayList<>();
      s.vary().forEach(a -> names.add(a.key()));
      b.append(String.join(" x ", names)).append("\n\n");
      for (Heatmap h : maps) {
        if (!h.slice().equals(s.name())) {
          continue;
        }
        b.append("Other axes: `")
            .append(othersKey(h))
            .append(
                "`. Cells: R3/rec ratio (KL recompute -> KL R3, "
                    + "KL dense; router disagreement).\n\n");
        pivot(b, h, byKey);
        b.append("\n![").append(h.file()).append("](").append(h.file()).append(")\n\n");
      }
    }

    b.append("## Every cell\n\n");
    b.append(
        "| layers | E | k | precision | tokens | warm-up | init | SFT nll | router dis. | per layer | any layer "
            + "| KL MoE | KL MoE+R3 | KL dense | R3/rec | MoE/dense | F(2) MoE | F(2) R3 | F(2) dense | s |\n");
    b.append(
        "|---:|---:|---:|---|---:|---:|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (CellResult r : results) {
      Point p = r.point();
      StringBuilder per = new StringBuilder();
      for (double v : r.moe().perLayer()) {
        per.append(per.length() == 0 ? "" : " ")
            .append(String.format(Locale.ROOT, "%.1f", 100 * v));
      }
      b.append(
          String.format(
              Locale.ROOT,
              "| %d | %d | %d | %s | %d | %d | %s | %.3f | %.2f%% | %s | %.2f%% | %.2e | %.2e | %.2e | **%.3f** | %.2f "
                  + "| %.4f | %.4f | %.4f | %.0f |%n",
              p.layers(),
              p.experts(),
              p.topK(),
              p.precision().configName(),
              p.maxNewTokens(),
              p.warmupSteps(),
              p.init().label(),
              r.warmNllMoe(),
              100 * r.moe().routerDisagreement(),
              per,
              100 * r.moe().tokenAnyLayer(),
              r.moe().kl(),
              r.r3().kl(),
              r.dense().kl(),
              r.ratioR3(),
              r.ratioMoeDense(),
              r.moe().f2(),
              r.r3().f2(),
              r.dense().f2(),
              r.seconds()));
    }
    b.append(
        "\nper layer: router disagreement per MoE layer, in %. s: seconds for the cell (warm-up included "
            + "when it was trained for this cell).\n");
    return b.toString();
  }

  private static String othersKey(Heatmap h) {
    StringBuilder b = new StringBuilder();
    for (Axis a : Axis.values()) {
      if (a != h.x() && a != h.y()) {
        b.append(b.length() == 0 ? "" : ",")
            .append(a.key())
            .append('=')
            .append(a.format(h.base().get(a)));
      }
    }
    return b.toString();
  }

  private static void pivot(StringBuilder b, Heatmap h, Map<String, CellResult> byKey) {
    List<Object> ys = h.y() == null ? Collections.singletonList(null) : h.ys();
    b.append("| ")
        .append(h.y() == null ? "" : h.y().key() + " \\ ")
        .append(h.x().key())
        .append(" |");
    for (Object xv : h.xs()) {
      b.append(' ').append(h.x().format(xv)).append(" |");
    }
    b.append('\n').append("|---|");
    h.xs().forEach(x -> b.append("---|"));
    b.append('\n');
    for (Object yv : ys) {
      b.append("| ").append(yv == null ? "" : h.y().format(yv)).append(" |");
      for (Object xv : h.xs()) {
        CellResult r = byKey.get(h.at(xv, yv).key());
        if (r == null) {
          b.append(" - |");
        } else {
          b.append(
              String.format(
                  Locale.ROOT,
                  " **%.2f** (%.1e -> %.1e, dense %.1e; %.2f%%) |",
                  r.ratioR3(),
                  r.moe().kl(),
                  r.r3().kl(),
                  r.dense().kl(),
                  100 * r.moe().routerDisagreement()));
        }
      }
      b.append('\n');
    }
  }

  private static String fmtNum(double v) {
    return v == Math.rint(v)
        ? String.format(Locale.ROOT, "%.1f", v)
        : String.format(Locale.ROOT, "%s", v);
  }

  // ---------------------------------------------------------------- heatmaps

  /**
   * Chart title: the slice and the axes it holds away from the defaults (e.g. warmup_steps=300).
   */
  static String title(SweepSpec spec, Heatmap h) {
    StringBuilder b = new StringBuilder("KL R3/recompute: ").append(h.slice());
    for (Axis a : Axis.values()) {
      if (a != h.x() && a != h.y() && !h.base().get(a).equals(spec.defaults().get(a))) {
        b.append(", ").append(a.key()).append('=').append(a.format(h.base().get(a)));
      }
    }
    return b.toString();
  }

  static void drawHeatmap(Heatmap h, Map<String, CellResult> byKey, Path file, String title)
      throws IOException {
    if (System.getProperty("java.awt.headless") == null) {
      System.setProperty("java.awt.headless", "true");
    }
    List<String> xs = new ArrayList<>();
    h.xs().forEach(v -> xs.add(h.x().format(v)));
    List<Object> yvals = h.y() == null ? Collections.singletonList(null) : h.ys();
    List<String> ys = new ArrayList<>();
    yvals.forEach(v -> ys.add(v == null ? " " : h.y().format(v)));
    List<Number[]> data = new ArrayList<>();
    double max = COLOR_MAX;
    for (int i = 0; i < h.xs().size(); i++) {
      for (int j = 0; j < yvals.size(); j++) {
        CellResult r = byKey.get(h.at(h.xs().get(i), yvals.get(j)).key());
        if (r != null && Double.isFinite(r.ratioR3())) {
          data.add(new Number[] {i, j, r.ratioR3()});
          max = Math.max(max, r.ratioR3());
        }
      }
    }
    int height = h.y() == null ? 220 : 140 + 50 * ys.size();
    HeatMapChart chart =
        new HeatMapChartBuilder()
            .width(120 + 90 * xs.size() + 100)
            .height(Math.max(260, height))
            .title(title)
            .xAxisTitle(h.x().title())
            .yAxisTitle(h.y() == null ? "" : h.y().title())
            .build();
    var st = chart.getStyler();
    st.setChartBackgroundColor(Color.WHITE);
    st.setPlotBackgroundColor(new Color(0xE0E0E0));
    st.setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
    st.setAxisTitleFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    st.setAxisTickLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
    st.setLegendPosition(Styler.LegendPosition.OutsideE);
    st.setShowValue(true);
    st.setValueFont(new Font(Font.SANS_SERIF, Font.BOLD, 12));
    st.setValueFontColor(Color.BLACK);
    st.setHeatMapValueDecimalPattern("0.00");
    st.setMin(0);
    st.setMax(max);
    // Blue: replay removes most of the KL; white near 1: replay does not matter; red: replay makes
    // it worse.
    st.setRangeColors(
        new Color[] {
          new Color(0x2166AC),
          new Color(0x67A9CF),
          new Color(0xD1E5F0),
          new Color(0xF7F7F7),
          new Color(0xEF8A62)
        });
    st.setDrawBorder(true);
    chart.addSeries("R3/recompute", xs, ys, data);
    BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
  }
}
