package dev.r3.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Synthetic eval curves, one eval every 10 steps; the rule: below 0.5 x best for 20 steps, best >=
 * 0.1.
 */
class CollapseDetectorTest {
  private final CollapseDetector rule = new CollapseDetector(0.5, 20, 0.1);

  private static Series evals(double... acc) {
    double[] steps = new double[acc.length];
    for (int i = 0; i < acc.length; i++) {
      steps[i] = 10 * i;
    }
    return new Series(steps, acc);
  }

  private CollapseDetector.Collapse detect(double... acc) {
    return rule.detect(evals(acc), -1, "eval accuracy");
  }

  @Test
  void steadyLearning_doesNotCollapse() {
    assertFalse(detect(0.1, 0.3, 0.5, 0.55, 0.6, 0.58).collapsed());
  }

  @Test
  void dropToHalfThatPersists_collapsesAtTheFirstLowEval() {
    CollapseDetector.Collapse c = detect(0.2, 0.5, 0.6, 0.25, 0.1, 0.05, 0.0);
    assertTrue(c.collapsed());
    assertEquals(30, c.step());
  }

  @Test
  void dropThatRecoversInsideTheWindow_isNoise() {
    assertFalse(detect(0.2, 0.6, 0.25, 0.5, 0.6, 0.62).collapsed());
  }

  @Test
  void dropTooCloseToTheEnd_isNotConfirmed() {
    assertFalse(
        detect(0.2, 0.6, 0.6, 0.2, 0.1).collapsed()); // low at 30, 40; the window needs step 50
  }

  @Test
  void runThatNeverLearned_cannotCollapse() {
    assertFalse(detect(0.08, 0.02, 0.0, 0.0, 0.0).collapsed());
  }

  @Test
  void dropBelowHalfOfTheBestSoFar_notOfTheFinalBest() {
    // 0.3 is below half of 0.8 only after 0.8 was reached: the collapse is at step 40, not 10.
    CollapseDetector.Collapse c = detect(0.2, 0.3, 0.5, 0.8, 0.3, 0.2, 0.1);
    assertEquals(40, c.step());
  }

  @Test
  void nonFiniteLoss_collapsesRegardlessOfAccuracy() {
    CollapseDetector.Collapse c = rule.detect(evals(0.2, 0.4, 0.5), 17, "eval accuracy");
    assertEquals(17, c.step());
    assertTrue(c.reason().contains("non-finite"));
  }

  @Test
  void earlierOfDropAndNonFinite_isTheCrashStep() {
    CollapseDetector.Collapse c =
        rule.detect(evals(0.2, 0.6, 0.2, 0.1, 0.1, 0.1), 45, "eval accuracy");
    assertEquals(20, c.step());
  }

  @Test
  void zeroWindow_confirmsAtOnce() {
    CollapseDetector zero = new CollapseDetector(0.5, 0, 0.1);
    assertEquals(20, zero.detect(evals(0.5, 0.6, 0.2), -1, "eval accuracy").step());
  }

  @Test
  void fromLog_readsNonFiniteGradNormAndFallsBackToReward() {
    MetricsLog log =
        logOf(
            "{\"step\": 1, \"reward/mean\": 0.5, \"losses/grad_norm\": 1}",
            "{\"step\": 2, \"reward/mean\": 0.5, \"losses/grad_norm\": Infinity}");
    assertEquals(Metric.REWARD, CollapseDetector.signal(log));
    assertEquals(2, rule.detect(log).step());
  }

  @Test
  void badParameters_areRefused() {
    assertThrows(IllegalArgumentException.class, () -> new CollapseDetector(1.5, 10, 0.1));
    assertThrows(IllegalArgumentException.class, () -> new CollapseDetector(0.5, -1, 0.1));
  }

  @Test
  void definition_statesTheNumbers() {
    String d = rule.definition();
    assertTrue(d.contains("0.50 x b") && d.contains("s + 20") && d.contains(">= 0.10"), d);
  }

  private static MetricsLog logOf(String... lines) {
    try {
      Path f = Files.createTempFile("metrics", ".jsonl");
      Files.writeString(f, String.join("\n", lines) + "\n");
      MetricsLog log = MetricsLog.read(f);
      Files.delete(f);
      return log;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
