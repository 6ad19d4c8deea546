package dev.r3.actors.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.r3.actors.config.ConfigLoader;
import dev.r3.actors.config.R3Config;
import dev.r3.actors.djl.ProductionBackends;
import dev.r3.actors.learning.DropReason;
import dev.r3.actors.ports.Backends;
import dev.r3.actors.run.Run;
import dev.r3.actors.run.RunFiles.RunSummary;
import dev.r3.actors.run.RunStatus;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A short chaos run on the production wiring (DJL tiny MoE, the 'add' environment under a faulty
 * verifier and its guard, Kryo frames): workers killed, groups held past the staleness bound,
 * verifier faults, corrupted frames and one learner failure, restarted from its checkpoint. The run
 * finishes its steps with a balanced ledger, and summary.json's fault table says what was injected
 * and how it was handled.
 */
class ChaosRunTest {

  @TempDir Path tmp;

  private R3Config config(String... more) {
    List<String> sets =
        new ArrayList<>(
            List.of(
                "r3.experiment.name=chaos-test",
                "r3.experiment.total-steps=24",
                "r3.experiment.progress-bar=off",
                "r3.experiment.out-dir=" + tmp,
                "r3.model.size=tiny",
                "r3.warm-start.enabled=off",
                "r3.env.name=add",
                "r3.env.params.digits=1",
                "r3.env.params.terms=2",
                "r3.algorithm.dynamic-sampling=off",
                "r3.rollout.workers=2",
                "r3.rollout.group-size=4",
                "r3.learner.batch-groups=2",
                "r3.learner.mini-steps=1",
                "r3.learner.staleness=1",
                "r3.eval.every=8",
                "r3.eval.size=16",
                "r3.checkpoint.every=5",
                "r3.faults.max-retries=6",
                "r3.faults.backoff-min=20ms",
                "r3.faults.backoff-max=100ms",
                "r3.faults.learner-restarts=1",
                "r3.chaos.enabled=on",
                "r3.chaos.worker-kills.per-step=0.5",
                "r3.chaos.worker-kills.max-delay=300ms",
                // An attempt that never answers is re-issued long before the learner's progress
                // deadline gives up on the run (defaults: generate 120 s, queue 300 s; the run
                // failed
                // once at load average 20+ with three groups running past a 90 s step deadline).
                "r3.timeouts.generate=30s",
                "r3.timeouts.queue=60s",
                "r3.timeouts.step=300s",
                "r3.chaos.stale-groups=0.1",
                "r3.chaos.env.throw=0.03",
                "r3.chaos.env.timeout=0.01",
                "r3.chaos.env.malformed=0.03",
                "r3.chaos.env.absurd-reward=0.03",
                "r3.chaos.env.budget=200ms",
                "r3.chaos.corrupt-frames=0.15",
                "r3.chaos.learner-failure-step=12",
                "pekko.loglevel=WARNING"));
    sets.addAll(List.of(more));
    return ProductionBackends.resolve(ConfigLoader.load(null, sets));
  }

  @Test
  void chaosRun_finishesItsSteps_withABalancedLedger_andAFaultTable() throws Exception {
    R3Config c = config();
    Backends b = ProductionBackends.build(c, new PrintStream(OutputStream.nullOutputStream()));
    Path dir = tmp.resolve("run");
    RunSummary s = Run.start(c, b, dir).await(Duration.ofSeconds(600));

    assertThat(s.status()).isEqualTo(RunStatus.FINISHED);
    assertThat(s.steps()).isEqualTo(24);
    assertThat(s.ledger().closed()).as("%s", s.ledger()).isTrue();
    assertThat(s.ledger().dropped(DropReason.FAILED_EPISODE)).isPositive();
    assertThat(s.ledger().dropped(DropReason.STALE)).isPositive();
    assertThat(s.resumes()).singleElement().satisfies(r -> assertThat(r.fromStep()).isEqualTo(10));

    ChaosLog log = b.chaos().log();
    assertThat(log.injectedCount(ChaosLog.WORKER_KILL)).isPositive();
    assertThat(log.injectedCount(ChaosLog.STALE_DELAY)).isPositive();
    assertThat(log.injectedCount(ChaosLog.LEARNER_FAILURE)).isEqualTo(1);
    assertThat(log.handledCount(ChaosLog.LEARNER_FAILURE, "restarted_from_checkpoint_step_10"))
        .isEqualTo(1);
    long frames =
        log.injectedCount(ChaosLog.FRAME_FLIPPED_BYTE)
            + log.injectedCount(ChaosLog.FRAME_TRUNCATED);
    assertThat(frames).isPositive();
    assertThat(
            log.handledCount(ChaosLog.FRAME_FLIPPED_BYTE, "refused_by_serializer_attempt_reissued")
                + log.handledCount(
                    ChaosLog.FRAME_TRUNCATED, "refused_by_serializer_attempt_reissued"))
        .isEqualTo(frames);
    long env =
        log.injectedCount(ChaosLog.ENV_THROW)
            + log.injectedCount(ChaosLog.ENV_MALFORMED)
            + log.injectedCount(ChaosLog.ENV_ABSURD_REWARD);
    assertThat(env).isPositive();

    JsonObject summary =
        JsonParser.parseString(Files.readString(dir.resolve("summary.json"))).getAsJsonObject();
    assertThat(summary.getAsJsonObject("faults").keySet())
        .contains(ChaosLog.WORKER_KILL, ChaosLog.STALE_DELAY, ChaosLog.LEARNER_FAILURE);
    List<Long> steps = new ArrayList<>();
    long trainedInKeptSteps = 0;
    for (String l : Files.readAllLines(dir.resolve("metrics.jsonl"))) {
      JsonObject row = JsonParser.parseString(l).getAsJsonObject();
      steps.add(row.get("step").getAsLong());
      trainedInKeptSteps += row.get("batch/sequences").getAsLong();
    }
    assertThat(steps).hasSize(24).doesNotHaveDuplicates();
    // What the restarted learner undid is not counted as trained: trained = the steps kept.
    assertThat(s.ledger().trained()).isEqualTo(trainedInKeptSteps);
    assertThat(s.ledger().dropped(DropReason.LOST_IN_CRASH)).isPositive();
  }

  @Test
  void chaosSettings_badValues_failNamingTheKey() {
    assertThatThrownBy(() -> config("r3.chaos.stale-groups=1.5"))
        .hasMessageContaining("r3.chaos.stale-groups");
    assertThatThrownBy(() -> config("r3.chaos.worker-kills.per-step=2"))
        .hasMessageContaining("r3.chaos.worker-kills.per-step");
    assertThatThrownBy(() -> config("r3.chaos.env.throw=0.6", "r3.chaos.env.malformed=0.6"))
        .hasMessageContaining("r3.chaos.env rates");
    assertThatThrownBy(() -> config("r3.chaos.learner-failure-step=-1"))
        .hasMessageContaining("r3.chaos.learner-failure-step");
  }
}
