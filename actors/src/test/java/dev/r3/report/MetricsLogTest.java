package dev.r3.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetricsLogTest {
  @TempDir Path dir;

  @Test
  void truncatedLastLine_isDroppedAndFlagged() {
    Fixtures.write(
        dir.resolve("metrics.jsonl"),
        "{\"step\": 1, \"losses/loss\": 0.5}\n{\"step\": 2, \"losses/loss\": 0.4}\n{\"step\": 3, \"lo");
    MetricsLog log = MetricsLog.read(dir.resolve("metrics.jsonl"));
    assertEquals(2, log.rows());
    assertTrue(log.truncated());
    assertArrayEquals(new double[] {1, 2}, log.series(Metric.LOSS).steps());
  }

  @Test
  void malformedMiddleLine_isSkippedAndCounted() {
    Fixtures.write(
        dir.resolve("metrics.jsonl"),
        "{\"step\": 1, \"losses/loss\": 0.5}\nnot json {\n\n{\"step\": 3, \"losses/loss\": 0.3}\n");
    MetricsLog log = MetricsLog.read(dir.resolve("metrics.jsonl"));
    assertEquals(2, log.rows());
    assertEquals(1, log.malformedLines());
    assertFalse(log.truncated());
  }

  @Test
  void absentKeys_leaveGapsNotZeros() {
    Fixtures.write(
        dir.resolve("metrics.jsonl"),
        "{\"step\": 1, \"reward/mean\": 0.2}\n{\"step\": 2, \"reward/mean\": 0.3,"
            + " \"losses/grad_norm\": 0.5}\n{\"step\": 3, \"losses/grad_norm\": null}\n");
    MetricsLog log = MetricsLog.read(dir.resolve("metrics.jsonl"));
    assertArrayEquals(new double[] {2}, log.series(Metric.GRAD_NORM).steps());
    assertArrayEquals(new double[] {0.5}, log.series(Metric.GRAD_NORM).values());
    assertTrue(log.series(Metric.MISMATCH_KL).isEmpty());
    assertEquals(Double.NaN, log.series(Metric.MISMATCH_KL).mean());
    assertEquals(0, log.layerDisagreement().length);
  }

  @Test
  void oldFlatNames_areNotRead_onlyTheVocabulary() {
    Fixtures.write(
        dir.resolve("metrics.jsonl"),
        "{\"step\": 1, \"reward_mean\": 0.2, \"mismatch_kl\": 1e-3, \"loss\": 0.5,"
            + " \"router_disagreement_layer\": [0.1], \"reward/mean\": 0.4}\n");
    MetricsLog log = MetricsLog.read(dir.resolve("metrics.jsonl"));
    assertArrayEquals(new double[] {0.4}, log.series(Metric.REWARD).values());
    assertTrue(log.series(Metric.MISMATCH_KL).isEmpty());
    assertTrue(log.series(Metric.LOSS).isEmpty());
    assertEquals(0, log.layerDisagreement().length);
  }

  @Test
  void namespacedAndNestedKeys_areRead() {
    Fixtures.write(
        dir.resolve("metrics.jsonl"),
        "{\"step\": 1, \"mismatch/kl\": 1e-3, \"losses\": {\"grad_norm\": 2.0}}\n"
            + "{\"step\": 2, \"mismatch\": {\"kl\": 3e-3}}\n");
    MetricsLog log = MetricsLog.read(dir.resolve("metrics.jsonl"));
    assertArrayEquals(new double[] {1e-3, 3e-3}, log.series(Metric.MISMATCH_KL).values(), 1e-12);
    assertArrayEquals(new double[] {2.0}, log.series(Metric.GRAD_NORM).values());
  }

  @Test
  void nonFiniteValues_areLeftOutOfSeriesButFound() {
    Fixtures.write(
        dir.resolve("metrics.jsonl"),
        "{\"step\": 1, \"losses/loss\": 0.5}\n{\"step\": 2, \"losses/loss\": NaN}\n{\"step\": 3, \"losses/loss\": \"Infinity\"}\n");
    MetricsLog log = MetricsLog.read(dir.resolve("metrics.jsonl"));
    assertEquals(1, log.series(Metric.LOSS).size());
    assertEquals(2.0, log.nonFiniteFrom(Metric.LOSS));
    assertEquals(-1.0, log.nonFiniteFrom(Metric.GRAD_NORM));
  }

  @Test
  void nonFiniteThatRecovers_isNotTrailing_andNullCountsAsNonFinite() {
    Fixtures.write(
        dir.resolve("a.jsonl"),
        "{\"step\": 1, \"losses/loss\": NaN}\n{\"step\": 2, \"losses/loss\": 0.4}\n{\"step\": 3}\n");
    assertEquals(-1.0, MetricsLog.read(dir.resolve("a.jsonl")).nonFiniteFrom(Metric.LOSS));
    Fixtures.write(
        dir.resolve("b.jsonl"),
        "{\"step\": 1, \"losses/loss\": 0.5}\n{\"step\": 2, \"losses/loss\": null}\n{\"step\": 3, \"losses/loss\": NaN}\n");
    assertEquals(2.0, MetricsLog.read(dir.resolve("b.jsonl")).nonFiniteFrom(Metric.LOSS));
    Fixtures.write(
        dir.resolve("c.jsonl"),
        "{\"step\": 1, \"losses/grad_norm\": null}\n{\"step\": 2, \"losses/grad_norm\": null}\n");
    assertEquals(
        -1.0,
        MetricsLog.read(dir.resolve("c.jsonl")).nonFiniteFrom(Metric.GRAD_NORM)); // never measured
  }

  @Test
  void evalAccuracy_comesFromEvalJsonl_notFromPerStepRolloutAccuracy() {
    // Every step logs the rollouts' own accuracy (reward/accuracy): never eval accuracy.
    Fixtures.metrics(
        dir,
        10,
        s -> "{\"step\": " + s + ", \"reward/accuracy\": 0.9, \"routing/disagreement\": null}");
    assertTrue(MetricsLog.readRun(dir).series(Metric.EVAL_ACCURACY).isEmpty());
    Fixtures.write(
        dir.resolve("eval.jsonl"),
        "{\"step\": 0, \"eval/accuracy\": 0.2}\n{\"step\": 10, \"eval/accuracy\": 0.4}\n");
    Series eval = MetricsLog.readRun(dir).series(Metric.EVAL_ACCURACY);
    assertArrayEquals(new double[] {0, 10}, eval.steps());
    assertArrayEquals(new double[] {0.2, 0.4}, eval.values());
  }

  @Test
  void evalAccuracy_fromMetricsJsonl_whenThereIsNoEvalJsonl() {
    Fixtures.metrics(
        dir, 10, s -> "{\"step\": " + s + (s % 5 == 0 ? ", \"eval/accuracy\": 0.5" : "") + "}");
    assertArrayEquals(
        new double[] {5, 10}, MetricsLog.readRun(dir).series(Metric.EVAL_ACCURACY).steps());
  }

  @Test
  void perLayerDisagreement_fromTheLayerKeys() {
    Fixtures.write(
        dir.resolve("b.jsonl"),
        "{\"step\": 1, \"routing/disagreement/layer_0\": 0.2, \"routing/disagreement/layer_2\": 0.4,"
            + " \"routing/token_any_layer\": 0.9}\n");
    double[] b = MetricsLog.read(dir.resolve("b.jsonl")).layerDisagreement();
    assertEquals(3, b.length);
    assertEquals(0.2, b[0], 1e-12);
    assertTrue(Double.isNaN(b[1]));
    assertEquals(0.4, b[2], 1e-12);
  }

  @Test
  void missingFile_isAnEmptyLog() {
    MetricsLog log = MetricsLog.read(dir.resolve("nope.jsonl"));
    assertEquals(0, log.rows());
    assertEquals(0.0, log.lastStep());
  }

  @Test
  void rowsWithoutStep_areNumberedFromOne() {
    Fixtures.write(dir.resolve("metrics.jsonl"), "{\"losses/loss\": 1}\n{\"losses/loss\": 2}\n");
    assertArrayEquals(
        new double[] {1, 2},
        MetricsLog.read(dir.resolve("metrics.jsonl")).series(Metric.LOSS).steps());
  }

  @Test
  void summaryAndMismatchFiles_toleratePartialContent() {
    Fixtures.write(
        dir.resolve("summary.json"),
        "{\"eval\": {\"final_accuracy\": 0.7}, \"config\": {\"x\": 1}}");
    SummaryFile s = SummaryFile.read(dir.resolve("summary.json"));
    assertEquals(0.7, s.finalAccuracy(), 1e-12);
    assertTrue(Double.isNaN(s.initialAccuracy()));
    assertTrue(s.ledger().isEmpty());
    Fixtures.write(dir.resolve("broken.json"), "{\"final_eval_accuracy\": 0.");
    assertNull(SummaryFile.read(dir.resolve("broken.json")));

    Fixtures.mismatch(dir);
    MismatchFile m = MismatchFile.read(dir.resolve("mismatch.json"));
    assertEquals(3, m.rows().size());
    assertEquals("dense", m.rows().get(0).model());
    assertTrue(Double.isNaN(m.rows().get(0).routerDisagreement()));
    assertEquals(0.94, m.rows().get(1).tokenAnyLayer(), 1e-12);
    assertEquals("bf16", m.rolloutPrecision());
    assertNull(MismatchFile.read(dir.resolve("absent.json")));
    // ./r3 mismatch writes non-finite values as bare NaN (serializeSpecialFloatingPointValues).
    Fixtures.write(dir.resolve("nan.json"), "{\"moe\": {\"kl\": NaN, \"tokens\": 10}}");
    assertTrue(Double.isNaN(MismatchFile.read(dir.resolve("nan.json")).rows().get(0).kl()));
    assertEquals("", MismatchFile.read(dir.resolve("nan.json")).rolloutPrecision());
  }
}
