package dev.r3.report;

import static org.assertj.core.api.Assertions.assertThat;

import dev.r3.report.SoakLog.Sample;
import dev.r3.report.SoakLog.Verdict;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleUnaryOperator;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SoakLogTest {

  private static final long HEAP = 2L << 30;

  /** One sample every 30 s for {@code minutes}; RSS in MiB as a function of minutes. */
  private static List<Sample> soak(double minutes, DoubleUnaryOperator rssMib) {
    List<Sample> out = new ArrayList<>();
    for (double t = 0; t <= minutes * 60; t += 30) {
      long rssKb = Math.round(rssMib.applyAsDouble(t / 60) * 1024);
      out.add(new Sample(t, 1 + (int) (t / 180), rssKb, 300, HEAP / 2, HEAP, 40));
    }
    return out;
  }

  @Test
  void flatMemory_passes_andTheVerdictNamesBothPeaks() {
    Verdict v = SoakLog.verdict(soak(60, m -> 2600 + (m % 3 < 1 ? 20 : 0)), 600, 300, 0.05);

    assertThat(v.passed()).isTrue();
    assertThat(v.growth()).isEqualTo(0.0);
    assertThat(v.outsideHeapBaselineKb()).isEqualTo((2620 - 2048) * 1024.0);
    assertThat(v.why()).contains("RSS peak 2620 MiB").contains("outside the Java heap 572 -> 572");
  }

  @Test
  void growthAboveTheLimitAfterWarmUp_fails() {
    // 3 MiB a minute after a flat warm-up: 150 MiB over the 50 minutes judged, ~5.6%
    Verdict v = SoakLog.verdict(soak(60, m -> m < 10 ? 2600 : 2600 + 3 * (m - 10)), 600, 300, 0.05);

    assertThat(v.passed()).isFalse();
    assertThat(v.growth()).isGreaterThan(0.05);
    assertThat(v.outsideHeapEndKb() - v.outsideHeapBaselineKb())
        .isEqualTo(v.endKb() - v.baselineKb());
  }

  @Test
  void growthDuringWarmUpOnly_isNotJudged() {
    Verdict v = SoakLog.verdict(soak(60, m -> m < 10 ? 1000 + 160 * m : 2600), 600, 300, 0.05);

    assertThat(v.passed()).isTrue();
  }

  @Test
  void aSoakTooShortForTwoWindows_failsAndSaysSo() {
    Verdict v = SoakLog.verdict(soak(15, m -> 2600), 600, 300, 0.05);

    assertThat(v.passed()).isFalse();
    assertThat(v.why()).startsWith("too short");
  }

  @Test
  void finish_writesTheSamplesTheVerdictAndASixPanelFigure(@TempDir Path dir) throws Exception {
    List<Sample> samples = soak(30, m -> 2600);
    try (SoakLog log = new SoakLog(dir)) {
      samples.forEach(log::add);
      log.finish(SoakLog.verdict(log.samples(), 600, 300, 0.05), 600, Map.of("runs", 10));
    }

    assertThat(Files.readAllLines(dir.resolve("soak.jsonl"))).hasSize(samples.size());
    assertThat(Files.readString(dir.resolve("soak.json")))
        .contains("\"passed\": true")
        .contains("\"end_outside_heap_kb\": " + (2600 - 2048) * 1024.0);
    assertThat(ImageIO.read(dir.resolve("soak.png").toFile()).getHeight()).isEqualTo(3 * 380);
  }
}
