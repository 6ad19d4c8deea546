package dev.r3.report;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.function.ToDoubleFunction;
import java.util.function.ToLongFunction;
import javax.imageio.ImageIO;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The measurements of a soak run: one {@link Sample} per interval appended to {@code soak.jsonl} as
 * it is taken, a six-panel PNG (RSS, RSS outside the heap, live NDArrays, heap used and committed,
 * threads over minutes, the end of the warm-up marked), and the verdict on resident memory.
 *
 * <p>The verdict compares peaks, not single samples: RSS moves with the phase a run is in
 * (evaluation, checkpoint, a new actor system), so the baseline is the highest RSS in the first
 * window after warm-up and the end is the highest RSS in the last window of the same length; growth
 * above the limit fails the soak.
 */
public final class SoakLog implements AutoCloseable {
  static {
    System.setProperty("java.awt.headless", "true");
  }

  private static final Gson LINE = new GsonBuilder().serializeNulls().create();

  /**
   * One sample.
   *
   * @param seconds since the soak started
   * @param iteration the experiment run in progress (1-based)
   * @param liveArrays NDArrays alive in the process (-1: could not be counted)
   */
  public record Sample(
      double seconds,
      int iteration,
      long rssKb,
      long liveArrays,
      long heapUsedBytes,
      long heapCommittedBytes,
      int threads) {

    /**
     * Resident memory outside the committed Java heap (native: libtorch, malloc arenas, metaspace,
     * code cache, thread stacks), in KiB; -1 when RSS could not be read.
     */
    public long outsideHeapKb() {
      return rssKb > 0 ? rssKb - heapCommittedBytes / 1024 : -1;
    }
  }

  /**
   * @param baselineKb highest RSS in the window after warm-up
   * @param endKb highest RSS in the last window
   * @param growth endKb / baselineKb - 1 (NaN when the soak was too short for two windows)
   */
  public record Verdict(
      double baselineKb,
      double endKb,
      double growth,
      double outsideHeapBaselineKb,
      double outsideHeapEndKb,
      double limit,
      boolean passed,
      String why) {

    /** A soak that cannot be judged (no measurement to compare): a failure. */
    static Verdict undecided(double limit, String why) {
      return new Verdict(
          Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, limit, false, why);
    }
  }

  private final Path dir;
  private final BufferedWriter out;
  private final List<Sample> samples = new ArrayList<>();

  public SoakLog(Path dir) {
    this.dir = dir;
    try {
      Files.createDirectories(dir);
      out =
          Files.newBufferedWriter(
              dir.resolve("soak.jsonl"),
              StandardCharsets.UTF_8,
              StandardOpenOption.CREATE,
              StandardOpenOption.TRUNCATE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create soak folder " + dir, e);
    }
  }

  public synchronized void add(Sample s) {
    samples.add(s);
    try {
      out.write(LINE.toJson(s));
      out.newLine();
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public synchronized List<Sample> samples() {
    return List.copyOf(samples);
  }

  /**
   * Judges RSS growth after {@code warmupSeconds}, over windows of {@code windowSeconds}.
   *
   * <p>Too short a soak (fewer than two disjoint windows after warm-up) fails: it proves nothing.
   */
  public static Verdict verdict(
      List<Sample> samples, double warmupSeconds, double windowSeconds, double limit) {
    List<Sample> after =
        samples.stream().filter(s -> s.seconds() >= warmupSeconds && s.rssKb() > 0).toList();
    if (after.isEmpty()) {
      return Verdict.undecided(limit, "no sample after warm-up");
    }
    double last = after.get(after.size() - 1).seconds();
    double first = after.get(0).seconds();
    if (last - first < 2 * windowSeconds) {
      return Verdict.undecided(
          limit,
          String.format(
              "too short: %.0f s after warm-up, two windows of %.0f s needed",
              last - first, windowSeconds));
    }
    double base = peak(after, s -> s.seconds() < first + windowSeconds, Sample::rssKb);
    double end = peak(after, s -> s.seconds() > last - windowSeconds, Sample::rssKb);
    double outBase = peak(after, s -> s.seconds() < first + windowSeconds, Sample::outsideHeapKb);
    double outEnd = peak(after, s -> s.seconds() > last - windowSeconds, Sample::outsideHeapKb);
    double growth = end / base - 1;
    boolean ok = growth <= limit;
    return new Verdict(
        base,
        end,
        growth,
        outBase,
        outEnd,
        limit,
        ok,
        String.format(
            "RSS peak %.0f MiB after warm-up, %.0f MiB at the end: %+.1f%% (limit %+.1f%%);"
                + " outside the Java heap %.0f -> %.0f MiB (%+.1f%%)",
            base / 1024,
            end / 1024,
            100 * growth,
            100 * limit,
            outBase / 1024,
            outEnd / 1024,
            100 * (outEnd / outBase - 1)));
  }

  private static double peak(
      List<Sample> samples, Predicate<Sample> in, ToLongFunction<Sample> measure) {
    return samples.stream().filter(in).mapToLong(measure).max().orElseThrow();
  }

  /** Writes {@code soak.png} (four panels) and {@code soak.json} (the verdict and settings). */
  public synchronized void finish(Verdict v, double warmupSeconds, Map<String, Object> settings) {
    writePng(dir.resolve("soak.png"), warmupSeconds);
    Map<String, Object> m = new LinkedHashMap<>(settings);
    m.put("samples", samples.size());
    m.put("baseline_rss_kb", finite(v.baselineKb()));
    m.put("end_rss_kb", finite(v.endKb()));
    m.put("rss_growth", finite(v.growth()));
    m.put("baseline_outside_heap_kb", finite(v.outsideHeapBaselineKb()));
    m.put("end_outside_heap_kb", finite(v.outsideHeapEndKb()));
    m.put("limit", v.limit());
    m.put("passed", v.passed());
    m.put("verdict", v.why());
    try {
      Files.writeString(
          dir.resolve("soak.json"),
          new GsonBuilder().serializeNulls().setPrettyPrinting().create().toJson(m) + "\n",
          StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void writePng(Path file, double warmupSeconds) {
    List<XYChart> panels =
        List.of(
            panel("Resident set size", "MiB", s -> s.rssKb() / 1024.0, warmupSeconds),
            panel(
                "RSS outside the Java heap", "MiB", s -> s.outsideHeapKb() / 1024.0, warmupSeconds),
            panel("Live NDArrays", "arrays", s -> s.liveArrays(), warmupSeconds),
            panel("Java heap used", "MiB", s -> s.heapUsedBytes() / 1048576.0, warmupSeconds),
            panel(
                "Java heap committed",
                "MiB",
                s -> s.heapCommittedBytes() / 1048576.0,
                warmupSeconds),
            panel("Threads", "threads", s -> s.threads(), warmupSeconds));
    int w = 640;
    int h = 380;
    BufferedImage img = new BufferedImage(2 * w, 3 * h, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    for (int i = 0; i < panels.size(); i++) {
      g.drawImage(BitmapEncoder.getBufferedImage(panels.get(i)), (i % 2) * w, (i / 2) * h, null);
    }
    g.dispose();
    try {
      ImageIO.write(img, "png", file.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  private XYChart panel(String title, String unit, ToDoubleFunction<Sample> y, double warmup) {
    XYChart c =
        new XYChartBuilder()
            .width(640)
            .height(380)
            .title(title)
            .xAxisTitle("minutes")
            .yAxisTitle(unit)
            .build();
    c.getStyler().setLegendVisible(false);
    List<Sample> pts = samples.stream().filter(s -> y.applyAsDouble(s) >= 0).toList();
    if (pts.isEmpty()) {
      return c;
    }
    double[] xs = pts.stream().mapToDouble(s -> s.seconds() / 60).toArray();
    double[] ys = pts.stream().mapToDouble(y).toArray();
    XYSeries s = c.addSeries(title, xs, ys);
    s.setMarker(SeriesMarkers.NONE);
    double lo = Arrays.stream(ys).min().orElse(0);
    double hi = Arrays.stream(ys).max().orElse(1);
    if (warmup / 60 <= xs[xs.length - 1]) {
      XYSeries mark =
          c.addSeries(
              "end of warm-up", new double[] {warmup / 60, warmup / 60}, new double[] {lo, hi});
      mark.setMarker(SeriesMarkers.NONE);
    }
    return c;
  }

  private static Double finite(double v) {
    return Double.isFinite(v) ? v : null;
  }

  @Override
  public synchronized void close() {
    try {
      out.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
