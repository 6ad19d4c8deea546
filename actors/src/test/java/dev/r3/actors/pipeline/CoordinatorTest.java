package dev.r3.actors.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.r3.actors.config.R3Config;
import dev.r3.actors.ports.Backends;
import dev.r3.actors.ports.Generator;
import dev.r3.actors.ports.PolicyTrainer;
import dev.r3.actors.run.Run;
import dev.r3.actors.run.RunFiles.RunSummary;
import dev.r3.actors.testkit.BigramPolicy;
import dev.r3.actors.testkit.EchoTask;
import dev.r3.actors.testkit.Fixtures;
import dev.r3.model.ModelWeights;
import dev.r3.model.RoutingMode;
import dev.r3.model.RoutingRecord;
import dev.r3.model.ScoreResult;
import dev.r3.model.Sequence;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@link Coordinator} as a run's guardian: how a run ends, and what summary.json then says.
 * (Its collaborators are the real pipeline with the pure-Java stand-in policy: the coordinator's
 * job is the lifecycle around them.)
 */
class CoordinatorTest {
  @TempDir Path tmp;

  static JsonObject summary(Path run) throws Exception {
    return JsonParser.parseString(Files.readString(run.resolve("summary.json"))).getAsJsonObject();
  }

  @Test
  void aFinishedRun_writesStatusFinished_andABalancedLedger() throws Exception {
    R3Config c = Fixtures.config(tmp, "r3.experiment.total-steps=2");
    RunSummary s =
        Run.start(c, Fixtures.backends(), tmp.resolve("run")).await(Duration.ofSeconds(60));
    JsonObject o = summary(tmp.resolve("run"));
    assertThat(o.get("status").getAsString()).isEqualTo("finished");
    assertThat(o.get("failure").isJsonNull()).isTrue();
    assertThat(o.getAsJsonObject("ledger").get("balanced").getAsBoolean()).isTrue();
    assertThat(s.steps()).isEqualTo(2);
  }

  @Test
  void aLearnerFailure_failsTheRun_andSummaryJsonSaysStatusFailedWithTheReason() throws Exception {
    R3Config c = Fixtures.config(tmp, "r3.experiment.total-steps=6");
    AtomicInteger steps = new AtomicInteger();
    PolicyTrainer.Factory failing =
        (init, config) -> {
          PolicyTrainer t = BigramPolicy.trainers().open(init, config);
          return new PolicyTrainer() {
            @Override
            public ScoreResult score(
                List<Sequence> seqs, RoutingMode mode, List<RoutingRecord> replay) {
              return t.score(seqs, mode, replay);
            }

            @Override
            public MiniStepResult step(MiniBatch batch) {
              if (steps.incrementAndGet() > 3) {
                throw new IllegalStateException("injected: optimizer exploded");
              }
              return t.step(batch);
            }

            @Override
            public ModelWeights weights() {
              return t.weights();
            }
          };
        };
    Backends b =
        new Backends(
            EchoTask::new,
            new EchoTask.DigitTokenizer(),
            BigramPolicy.generators(),
            failing,
            Fixtures.backends().checkpointer(),
            BigramPolicy.initial());
    Path run = tmp.resolve("run");
    assertThatThrownBy(() -> Run.start(c, b, run).await(Duration.ofSeconds(60)))
        .hasMessageContaining("optimizer exploded");
    JsonObject o = summary(run);
    assertThat(o.get("status").getAsString()).isEqualTo("failed");
    assertThat(o.get("failure").getAsString())
        .contains("learner failed")
        .contains("optimizer exploded");
    assertThat(o.get("steps").getAsLong()).isGreaterThanOrEqualTo(1);
  }

  @Test
  void evaluationsAndCheckpoints_runOnTheBackgroundDispatcher_neverOnARolloutWorkersThread()
      throws Exception {
    R3Config c =
        Fixtures.config(
            tmp, "r3.experiment.total-steps=2", "r3.eval.every=1", "r3.checkpoint.every=1");
    Set<String> evalThreads = ConcurrentHashMap.newKeySet();
    Set<String> checkpointThreads = ConcurrentHashMap.newKeySet();
    Generator.Factory rollout = BigramPolicy.generators();
    Generator.Factory generators =
        w -> {
          String t = Thread.currentThread().getName();
          if (!t.contains("r3-rollout-dispatcher")) { // rollout workers open theirs there
            evalThreads.add(t);
          }
          return rollout.open(w);
        };
    Backends f = Fixtures.backends();
    Backends b =
        new Backends(
            f.tasks(),
            f.tokenizer(),
            generators,
            f.trainers(),
            (dir, weights, tokenizer, meta) -> {
              checkpointThreads.add(Thread.currentThread().getName());
              f.checkpointer().save(dir, weights, tokenizer, meta);
            },
            f.initialWeights());
    Run.start(c, b, tmp.resolve("run")).await(Duration.ofSeconds(60));
    assertThat(evalThreads).isNotEmpty().allMatch(t -> t.contains("r3-background-dispatcher"));
    assertThat(checkpointThreads)
        .isNotEmpty()
        .allMatch(t -> t.contains("r3-background-dispatcher"));
  }
}
