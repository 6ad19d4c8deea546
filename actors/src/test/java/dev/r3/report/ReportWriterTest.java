package dev.r3.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A report over synthetic runs: two experiments x two seeds, one of them collapsed and one crashed.
 */
class ReportWriterTest {
  @TempDir Path tmp;

  private List<ExperimentSummary> synthetic() {
    Path runs = tmp.resolve("runs");
    // GRPO at M = 8: seed 1 collapses (accuracy 0.6 -> 0.1 from step 25), seed 2 crashes mid-line.
    Path g1 = RunDir.seedDir(runs, "s", "grpo-m8", 1).resolve("grpo-m8-20250101");
    Fixtures.metrics(g1, 50, s -> Fixtures.step(s, 2e-3 * s, st -> st < 25 ? 0.6 : 0.1));
    Fixtures.summary(g1, 0.2, 0.1);
    Path g2 = RunDir.seedDir(runs, "s", "grpo-m8", 2);
    Fixtures.metrics(g2, 20, s -> Fixtures.step(s, s % 4 == 0 ? 0.0 : 1e-3, st -> 0.5));
    Fixtures.write(
        g2.resolve("metrics.jsonl"),
        read(g2.resolve("metrics.jsonl"))
            + "{\"step\": 21, \"losses/loss\": NaN, \"mismatch/kl\": NaN}\n{\"step\": 22, \"lo");
    RunDir.writeExit(g2, new RunDir.Exit(134, "exit code 134", 30, "fatal: aborted"));
    // GRPO+R3 at M = 8: both seeds healthy, low mismatch, one with a mismatch.json.
    for (int seed = 1; seed <= 2; seed++) {
      Path d = RunDir.seedDir(runs, "s", "grpo-r3-m8", seed);
      final int sd = seed;
      Fixtures.metrics(d, 50, s -> Fixtures.step(s, 1e-4, st -> 0.5 + 0.005 * st + 0.01 * sd));
      Fixtures.summary(d, 0.2, 0.7 + 0.02 * seed);
      if (seed == 1) {
        Fixtures.mismatch(d);
      }
    }
    CollapseDetector rule = new CollapseDetector(0.5, 10, 0.1);
    List<RunResult> results =
        Stream.of("grpo-m8", "grpo-r3-m8")
            .flatMap(
                e ->
                    Stream.of(1L, 2L)
                        .map(
                            seed ->
                                RunResult.load(e, seed, RunDir.seedDir(runs, "s", e, seed), rule)))
            .toList();
    Map<String, ExperimentLabel> labels =
        Map.of(
            "grpo-m8", new ExperimentLabel("GRPO", "M=8, lr=5e-04", 8),
            "grpo-r3-m8", new ExperimentLabel("GRPO+R3", "M=8, lr=5e-04", 8));
    return ExperimentSummary.of(List.of("grpo-m8", "grpo-r3-m8"), labels, results);
  }

  @Test
  void runResults_readStatusCollapseAndNumbers() {
    List<ExperimentSummary> exps = synthetic();
    RunResult collapsed = exps.get(0).runs().get(0);
    assertEquals(RunResult.Status.FINISHED, collapsed.status());
    assertEquals(25, collapsed.collapse().step());
    RunResult crashed = exps.get(0).runs().get(1);
    assertEquals(RunResult.Status.FAILED, crashed.status());
    assertEquals(134, crashed.exitCode());
    assertTrue(crashed.truncated());
    assertEquals(21, crashed.collapse().step());
    assertTrue(Double.isNaN(crashed.finalAccuracy()));
    assertEquals(1e-3 * 15 / 20, crashed.meanKl(), 1e-12); // zeros count in the mean; NaN does not

    ExperimentSummary r3 = exps.get(1);
    assertEquals(2, r3.finished());
    assertEquals(0.73, r3.finalAccuracy().mean(), 1e-9);
    assertEquals(
        Math.sqrt(2 * 0.01 * 0.01 / 1), r3.finalAccuracy().std(), 1e-9); // sample std, n - 1
    assertEquals("-", r3.crashSteps());
    assertEquals("25, 21", exps.get(0).crashSteps());
    assertEquals(3, r3.layerDisagreement().length);
    assertArrayEquals(
        new double[] {0.05, 0.1, 0.15},
        r3.trainedModelLayerDisagreement(),
        1e-12); // one seed measured
  }

  @Test
  void report_writesTableJsonAndDecodablePngs() throws Exception {
    Path out = tmp.resolve("report");
    Path md = ReportWriter.write(out, "s", new CollapseDetector(0.5, 10, 0.1), synthetic());

    String text = read(md);
    assertTrue(text.contains("| GRPO | M=8, lr=5e-04 | 1/2 | 0.100 | "), text);
    assertTrue(text.contains("| GRPO+R3 | M=8, lr=5e-04 | 2/2 | 0.730 ± 0.014 | "), text);
    assertTrue(text.contains("| 25, 21 |"), text);
    assertTrue(text.contains("A run collapses at step s"), text);
    assertTrue(text.contains("sample standard deviation"), text);
    assertTrue(text.contains("| grpo-r3-m8 | 1 | bf16 | moe_r3 | 7.50e-04 |"), text);
    assertTrue(
        text.contains("### Failed: grpo-m8 seed 2 (exit code 134)")
            && text.contains("fatal: aborted"),
        text);
    assertTrue(text.contains("last line truncated"), text);

    JsonObject json = JsonParser.parseString(read(out.resolve("report.json"))).getAsJsonObject();
    JsonObject r3 = json.getAsJsonArray("experiments").get(1).getAsJsonObject();
    assertEquals("GRPO+R3", r3.get("method").getAsString());
    assertEquals(0.73, r3.getAsJsonObject("final_accuracy").get("mean").getAsDouble(), 1e-9);
    assertEquals(4, json.getAsJsonArray("runs").size());
    assertTrue(
        json.getAsJsonObject("collapse").get("definition").getAsString().contains("collapses"));

    List<String> plots =
        json.getAsJsonArray("plots").asList().stream().map(e -> e.getAsString()).toList();
    for (String p :
        List.of(
            "reward-m8.png",
            "accuracy-m8.png",
            "mismatch-kl-m8.png",
            "extreme2-m8.png",
            "router-disagreement-m8.png",
            "abs-log-ratio-p99-m8.png",
            "router-disagreement-layers-m8.png",
            "trained-model-disagreement-layers-m8.png")) {
      assertTrue(plots.contains(p), plots.toString());
      BufferedImage img = ImageIO.read(out.resolve(p).toFile());
      assertNotNull(img, p + " does not decode");
      assertTrue(img.getWidth() > 100 && img.getHeight() > 100);
      assertTrue(text.contains("](" + p + ")"), p + " not linked from report.md");
    }
  }

  @Test
  void report_hasIntervalsPermutationTestsAndTheMismatchBeforeACollapse() throws Exception {
    Path out = tmp.resolve("report");
    Path md = ReportWriter.write(out, "s", new CollapseDetector(0.5, 10, 0.1), synthetic());
    String text = read(md);
    // GRPO: both seeds collapsed (25: accuracy; 21: non-finite loss); one finished at 0.1
    assertTrue(
        text.contains("| GRPO | M=8, lr=5e-04 | 2/2 | 25, 21 | 0.100 [0.100, 0.100] |"), text);
    assertTrue(text.contains("| GRPO+R3 | M=8, lr=5e-04 | 0/2 | - | 0.730 [0.720, 0.740] |"), text);
    // exact permutation tests: finals {0.72, 0.74} vs {0.1}: 1 of 3 relabellings as extreme;
    // collapse {0, 0} vs {1, 1}: 2 of 6; mean KL {1e-4, 1e-4} vs {0.051, 7.5e-4}: ratio 1e-4 /
    // 0.025875, and 2 of 6
    assertTrue(
        text.contains(
            "| GRPO+R3 vs GRPO | M=8, lr=5e-04 | 2 vs 2 | +0.630 | 0.333 | 0 vs 2 | 0.333 | 0.00386 | 0.333 |"),
        text);
    // the mechanism: grpo-m8 seed 1 crashed at 25; KL 2e-3 x step, mean over steps 5..24 = 2.9e-2,
    // F(2) = 10 x KL, p99 = 100 x KL; its R3 twin (seed 1) logs KL 1e-4 throughout
    assertTrue(
        text.contains(
            "| grpo-m8 seed 1 | 25 | [5, 25) | 2.90e-02 | 2.90e-01 | 2.900 | 1.00e-04 | 1.00e-03 | 0.010 |"),
        text);
    JsonObject stats =
        JsonParser.parseString(read(out.resolve("report.json")))
            .getAsJsonObject()
            .getAsJsonObject("statistics");
    JsonObject test = stats.getAsJsonArray("permutation_tests").get(0).getAsJsonObject();
    assertEquals("grpo-r3-m8", test.get("r3").getAsString());
    assertEquals(1.0 / 3, test.get("p_final_accuracy").getAsDouble(), 1e-12);
    assertEquals(2, test.get("collapsed_baseline").getAsInt());
  }

  @Test
  void noMismatchFile_saysNotMeasured_andEmptyRunsStillReport() throws Exception {
    Path runs = tmp.resolve("runs");
    RunResult missing =
        RunResult.load(
            "gspo-m1", 1, RunDir.seedDir(runs, "s", "gspo-m1", 1), CollapseDetector.DEFAULT);
    assertEquals(RunResult.Status.MISSING, missing.status());
    List<ExperimentSummary> exps =
        ExperimentSummary.of(
            List.of("gspo-m1"),
            Map.of("gspo-m1", new ExperimentLabel("GSPO", "M=1", 1)),
            List.of(missing));
    Path md = ReportWriter.write(tmp.resolve("r"), "s", CollapseDetector.DEFAULT, exps);
    String text = read(md);
    assertTrue(text.contains("Not measured"), text);
    assertTrue(text.contains("| GSPO | M=1 | 0/1 | - | - | - | - | - | - |"), text);
    assertTrue(text.contains("nothing to plot"), text);
    assertFalse(Files.exists(tmp.resolve("r/reward-m1.png")));
  }

  @Test
  void logScaleChart_skipsZeroAndNonFinitePoints() throws Exception {
    Path d = tmp.resolve("runs/s/kl/seed-1");
    Fixtures.write(
        d.resolve("metrics.jsonl"),
        "{\"step\": 1, \"mismatch/kl\": 0}\n{\"step\": 2, \"mismatch/kl\": NaN}\n"
            + "{\"step\": 3, \"mismatch/kl\": -1e-5}\n{\"step\": 4, \"mismatch/kl\": 1e-4}\n");
    RunResult r = RunResult.load("kl", 1, d, CollapseDetector.DEFAULT);
    List<ExperimentSummary> exps =
        ExperimentSummary.of(
            List.of("kl"), Map.of("kl", new ExperimentLabel("GRPO", "M=1", 1)), List.of(r));
    assertEquals(1, exps.get(0).meanCurve(Metric.MISMATCH_KL).positive().size());
    List<Charts.Chart> charts = Charts.write(tmp.resolve("c"), exps);
    assertTrue(charts.stream().anyMatch(c -> c.file().endsWith("mismatch-kl-m1.png")));
    assertNotNull(ImageIO.read(tmp.resolve("c/mismatch-kl-m1.png").toFile()));
  }

  @Test
  void movingAverage_isTrailingMean() {
    Series s = new Series(new double[] {1, 2, 3, 4}, new double[] {2, 4, 6, 8});
    assertArrayEquals(new double[] {2, 3, 5, 7}, s.movingAverage(2).values(), 1e-12);
    assertArrayEquals(new double[] {1, 2, 3, 4}, s.movingAverage(2).steps(), 1e-12);
    assertEquals(s, s.movingAverage(1));
  }

  @Test
  void stats_sampleStdAndEmpty() {
    Stats s = Stats.of(1, 2, 3, Double.NaN);
    assertEquals(3, s.n());
    assertEquals(2, s.mean(), 1e-12);
    assertEquals(1, s.std(), 1e-12);
    assertEquals("2.00 ± 1.00", s.text("%.2f"));
    assertEquals("-", Stats.of(Double.NaN).text("%.2f"));
    assertEquals("5.0", Stats.of(5).text("%.1f"));
  }

  private static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
