package dev.r3.actors.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.r3.actors.config.R3Config;
import dev.r3.actors.djl.CheckpointFiles;
import dev.r3.actors.djl.ModelSizes;
import dev.r3.actors.learning.DropReason;
import dev.r3.actors.learning.LedgerCounts;
import dev.r3.actors.learning.WeightsSnapshot;
import dev.r3.actors.ports.Backends;
import dev.r3.actors.run.RunFiles.RunSummary;
import dev.r3.actors.testkit.EchoTask;
import dev.r3.actors.testkit.Fixtures;
import dev.r3.model.ModelWeights;
import dev.r3.model.OptimizerState;
import dev.r3.model.RolloutPrecision;
import dev.r3.model.io.Checkpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Resume on the real model (DJL trainer and rollout engines, real checkpoints): an interrupted run
 * continues from its final checkpoint to the same weights, bit for bit, as a run never interrupted
 * (eta = 0); and a resume that cannot be trusted fails naming why.
 */
class ResumeTest {

  @TempDir Path tmp;

  private static final ModelWeights INIT =
      ModelWeights.random(ModelSizes.of("tiny", EchoTask.VOCAB), 5);

  private R3Config config(String... more) {
    List<String> all =
        new ArrayList<>(
            List.of(
                "r3.experiment.total-steps=12",
                "r3.rollout.workers=1",
                // one group per engine call: with continuous batching a group's log-probabilities
                // depend on its batch mates in the last bits, and those on message timing
                "r3.rollout.max-batch-rows=0",
                "r3.rollout.group-size=4",
                "r3.learner.batch-groups=2",
                "r3.learner.mini-steps=2",
                "r3.learner.staleness=0",
                "r3.learner.lr=0.01",
                "r3.eval.every=4",
                "r3.eval.size=16",
                "r3.checkpoint.every=4",
                "r3.algorithm.dynamic-sampling=off",
                "r3.timeouts.generate=60s",
                "r3.watchdog.stall-timeout=60s"));
    all.addAll(List.of(more));
    return Fixtures.config(tmp, all.toArray(new String[0]));
  }

  private static Backends djl() {
    return Fixtures.djlEcho(RolloutPrecision.BF16, CheckpointFiles.writer(), INIT);
  }

  @Test
  void etaZero_interruptedAndResumed_endsWithTheSameWeightsBitForBit() throws Exception {
    R3Config c = config();
    RunSummary straight =
        Run.start(c, djl(), tmp.resolve("straight")).await(Duration.ofSeconds(120));
    assertThat(straight.status()).isEqualTo(RunStatus.FINISHED);

    Path dir = tmp.resolve("interrupted");
    Run run = Run.start(c, djl(), dir);
    Path metrics = dir.resolve("metrics.jsonl");
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while ((!Files.exists(metrics) || Files.readAllLines(metrics).size() < 1)
        && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    run.interrupt("test");
    RunSummary stopped = run.await(Duration.ofSeconds(60));
    assertThat(stopped.status()).isEqualTo(RunStatus.INTERRUPTED);
    assertThat(stopped.steps()).isBetween(1L, 11L);
    assertThat(dir.resolve("checkpoints/step-" + stopped.steps() + "/optimizer.safetensors"))
        .isRegularFile();

    Resume resume = Resume.load(dir, c, INIT, false);
    assertThat(resume.state().step()).isEqualTo(stopped.steps());
    RunSummary resumed = Run.start(c, djl(), dir, resume).await(Duration.ofSeconds(120));

    assertThat(resumed.status()).isEqualTo(RunStatus.FINISHED);
    assertThat(resumed.steps()).isEqualTo(12);
    assertThat(resumed.ledger().closed()).isTrue();
    assertThat(resumed.resumes())
        .singleElement()
        .extracting(r -> r.fromStep())
        .isEqualTo(stopped.steps());
    ModelWeights a = Checkpoint.load(tmp.resolve("straight/checkpoints/step-12"));
    ModelWeights b = Checkpoint.load(dir.resolve("checkpoints/step-12"));
    assertThat(b.sameAs(a))
        .as("weights after 12 steps, interrupted at %d", stopped.steps())
        .isTrue();
    assertThat(resumed.evals()).extracting(e -> e.version()).containsExactly(0L, 4L, 8L, 12L);
    assertThat(Files.readAllLines(dir.resolve("metrics.jsonl"))).hasSize(12);
  }

  /** A finished-looking checkpoint written by the production writer, for the error cases. */
  private Path checkpoint(Path run, long step, R3Config c) throws Exception {
    long[] dropped = new long[DropReason.values().length];
    TrainingState s =
        new TrainingState(
            step,
            step,
            10,
            4,
            new LedgerCounts(48, 32, 0, 16, dropped),
            List.of(),
            Resume.settings(c),
            TrainingState.digest(INIT),
            List.of(),
            1.0);
    Path dir = run.resolve("checkpoints/step-" + step);
    CheckpointWriter.write(
        dir,
        CheckpointFiles.writer(),
        new EchoTask.DigitTokenizer(),
        new WeightsSnapshot(step, INIT),
        OptimizerState.fresh(INIT.config(), 0.01f),
        s,
        Map.of("step", Long.toString(step)));
    return dir;
  }

  @Test
  void resume_ofARunWithoutCheckpoint_failsSayingSo() throws Exception {
    Path run = Files.createDirectories(tmp.resolve("empty"));
    assertThatThrownBy(() -> Resume.load(run, config(), INIT, false))
        .hasMessageContaining("has no checkpoint");
  }

  @Test
  void resume_ofAHalfWrittenOrDamagedNewestCheckpoint_failsNamingIt() throws Exception {
    R3Config c = config();
    Path run = tmp.resolve("damaged");
    checkpoint(run, 4, c);
    Path step8 = checkpoint(run, 8 - 2, c);
    Files.delete(step8.resolve("manifest.json")); // as if the write stopped before the manifest
    assertThatThrownBy(() -> Resume.load(run, c, INIT, false))
        .hasMessageContaining("step-6")
        .hasMessageContaining("incomplete");
    checkpoint(run, 6, c);
    Files.write(step8.resolve("optimizer.safetensors"), new byte[] {1, 2, 3});
    assertThatThrownBy(() -> Resume.load(run, c, INIT, false))
        .hasMessageContaining("optimizer.safetensors");
  }

  @Test
  void resume_withAChangedExperimentKey_failsNamingIt_andForceRecordsIt() throws Exception {
    Path run = tmp.resolve("changed");
    checkpoint(run, 4, config());
    R3Config other = config("r3.learner.lr=0.02", "r3.timeouts.generate=90s");
    assertThatThrownBy(() -> Resume.load(run, other, INIT, false))
        .hasMessageContaining("r3.learner.lr: 0.01 -> 0.02")
        .hasMessageContaining("--force")
        .hasMessageNotContaining("timeouts");
    Resume forced = Resume.load(run, other, INIT, true);
    assertThat(forced.forced()).containsOnlyKeys("r3.learner.lr");
    assertThat(forced.record(run).forced()).containsEntry("r3.learner.lr", "0.01 -> 0.02");
    assertThat(forced.record(run).lostInCrash()).isEqualTo(16);
  }

  @Test
  void resume_withAnotherWarmStartReference_failsUnlessForced() throws Exception {
    Path run = tmp.resolve("reference");
    checkpoint(run, 4, config());
    ModelWeights other = ModelWeights.random(INIT.config(), 6);
    assertThatThrownBy(() -> Resume.load(run, config(), other, false))
        .hasMessageContaining("warm-start reference");
  }

  @Test
  void resume_ofAFinishedRun_failsSayingItIsFinished() throws Exception {
    Path run = tmp.resolve("finished");
    checkpoint(run, 12, config());
    assertThatThrownBy(() -> Resume.load(run, config(), INIT, false))
        .hasMessageContaining("the run is finished");
  }
}
