package dev.r3.actors.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.r3.actors.config.R3Config;
import dev.r3.actors.djl.DjlGenerators;
import dev.r3.actors.djl.DjlTrainer;
import dev.r3.actors.djl.ModelSizes;
import dev.r3.actors.ports.Backends;
import dev.r3.actors.run.Run;
import dev.r3.actors.run.RunFiles.RunSummary;
import dev.r3.actors.run.SynchronousLoop;
import dev.r3.actors.testkit.BigramPolicy;
import dev.r3.actors.testkit.EchoTask;
import dev.r3.actors.testkit.Fixtures;
import dev.r3.actors.testkit.RecordingTrainers;
import dev.r3.model.ModelWeights;
import dev.r3.model.RolloutPrecision;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * eta = 0 must be synchronous training: the same trajectories and the same weights, bit for bit.
 */
class SynchronousEquivalenceTest {

  @TempDir Path tmp;

  @Test
  void etaZero_equalsSynchronousLoop_trajectoriesAndWeights() {
    R3Config c =
        Fixtures.config(
            tmp,
            "r3.learner.staleness=0",
            "r3.experiment.total-steps=6",
            "r3.rollout.workers=2",
            "r3.learner.mini-steps=3");

    RecordingTrainers syncTrainers = new RecordingTrainers(BigramPolicy.trainers());
    SynchronousLoop.Result sync = SynchronousLoop.run(c, with(syncTrainers, null));

    RecordingTrainers asyncTrainers = new RecordingTrainers(BigramPolicy.trainers());
    AtomicReference<ModelWeights> last = new AtomicReference<>();
    RunSummary s =
        Run.start(c, with(asyncTrainers, last), tmp.resolve("run")).await(Duration.ofSeconds(120));

    assertThat(s.ledger().closed()).isTrue();
    assertThat(asyncTrainers.log()).isNotEmpty();
    assertThat(asyncTrainers.log()).containsExactlyElementsOf(syncTrainers.log());
    assertThat(last.get().sameAs(sync.weights())).as("final weights identical").isTrue();
  }

  @Test
  void etaZero_equalsSynchronousLoop_onTheRealModel() {
    R3Config c =
        Fixtures.config(
            tmp,
            "r3.learner.staleness=0",
            "r3.experiment.total-steps=4",
            "r3.rollout.workers=2",
            // one group per engine call, as SynchronousLoop: with continuous batching a group's
            // log-probabilities depend on its batch mates in the last bits (message timing)
            "r3.rollout.max-batch-rows=0",
            "r3.learner.mini-steps=2",
            "r3.rollout.group-size=8",
            "r3.learner.lr=0.01",
            "r3.rollout.precision=bf16",
            "r3.eval.size=8",
            "r3.timeouts.generate=60s");
    ModelWeights init = ModelWeights.random(ModelSizes.of("tiny", EchoTask.VOCAB), 3);

    RecordingTrainers syncTrainers = new RecordingTrainers(DjlTrainer.factory());
    SynchronousLoop.Result sync = SynchronousLoop.run(c, real(syncTrainers, init, null));

    RecordingTrainers asyncTrainers = new RecordingTrainers(DjlTrainer.factory());
    AtomicReference<ModelWeights> last = new AtomicReference<>();
    RunSummary s =
        Run.start(c, real(asyncTrainers, init, last), tmp.resolve("run"))
            .await(Duration.ofSeconds(120));

    assertThat(s.ledger().closed()).isTrue();
    assertThat(asyncTrainers.log()).isNotEmpty();
    assertThat(asyncTrainers.log()).containsExactlyElementsOf(syncTrainers.log());
    assertThat(last.get().sameAs(sync.weights())).as("final weights identical").isTrue();
  }

  private static Backends real(
      RecordingTrainers trainers, ModelWeights init, AtomicReference<ModelWeights> last) {
    return new Backends(
        EchoTask::new,
        new EchoTask.DigitTokenizer(),
        new DjlGenerators(RolloutPrecision.BF16),
        trainers,
        (dir, w, tokenizer, meta) -> {
          if (last != null && meta.get("step").equals("4")) {
            last.set(w);
          }
        },
        init);
  }

  /** Backends whose checkpointer keeps the last weights it was given (the final step's). */
  private static Backends with(RecordingTrainers trainers, AtomicReference<ModelWeights> last) {
    Backends b = Fixtures.backends();
    return new Backends(
        EchoTask::new,
        b.tokenizer(),
        b.generators(),
        trainers,
        (dir, w, tokenizer, meta) -> {
          if (last != null && meta.get("step").equals("6")) {
            last.set(w);
          }
        },
        b.initialWeights());
  }
}
