package dev.r3.actors.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.r3.actors.config.R3Config;
import dev.r3.actors.djl.DjlGenerators;
import dev.r3.actors.djl.DjlTrainer;
import dev.r3.actors.djl.ModelSizes;
import dev.r3.actors.ports.Backends;
import dev.r3.actors.ports.Generator;
import dev.r3.actors.run.Run;
import dev.r3.actors.run.RunFiles.RunSummary;
import dev.r3.actors.testkit.EchoTask;
import dev.r3.actors.testkit.FaultyGenerators;
import dev.r3.actors.testkit.Fixtures;
import dev.r3.model.Generation;
import dev.r3.model.ModelWeights;
import dev.r3.model.NativeMemory;
import dev.r3.model.RolloutPrecision;
import dev.r3.model.SamplingParams;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Native memory across worker restarts, on the real DJL rollout engine: a run whose workers fail
 * and restart 20 times ends with as many rollout engines and live NDArrays as it started with
 * (issue 8.3: a stopped worker's engine, an engine adopted by a failing batch, and the engine of a
 * batch that finished after its worker restarted were all leaked before).
 */
class WorkerRestartLeakTest {
  @TempDir Path tmp;

  /** Counts engines alive: opened minus closed. */
  static final class Counting implements Generator.Factory {
    final Generator.Factory base;
    final AtomicInteger live = new AtomicInteger();
    final AtomicInteger opened = new AtomicInteger();

    Counting(Generator.Factory base) {
      this.base = base;
    }

    @Override
    public Generator open(ModelWeights weights) {
      Generator g = base.open(weights);
      live.incrementAndGet();
      opened.incrementAndGet();
      return new Generator() {
        boolean closed;

        @Override
        public List<Generation> generate(List<int[]> prompts, SamplingParams params) {
          return g.generate(prompts, params);
        }

        @Override
        public synchronized void close() {
          if (!closed) {
            closed = true;
            live.decrementAndGet();
          }
          g.close();
        }
      };
    }
  }

  @Test
  void twentyWorkerRestarts_leaveAsManyEnginesAndNdArraysAsBefore() throws Exception {
    R3Config c =
        Fixtures.config(
            tmp,
            "r3.experiment.total-steps=14",
            "r3.rollout.group-size=4",
            "r3.rollout.precision=bf16",
            "r3.rollout.workers=2",
            "r3.learner.batch-groups=2",
            "r3.learner.mini-steps=1",
            "r3.learner.staleness=1",
            "r3.learner.lr=0.01",
            "r3.faults.max-retries=6",
            "r3.eval.every=0",
            "r3.eval.size=8",
            "r3.checkpoint.every=0",
            "r3.timeouts.generate=60s",
            "r3.watchdog.stall-timeout=60s");
    ModelWeights init = ModelWeights.random(ModelSizes.of("tiny", EchoTask.VOCAB), 3);
    Set<Integer> failOn = new HashSet<>();
    for (int call = 2; call <= 40; call += 2) {
      failOn.add(call); // every other group generation throws: the worker fails and restarts
    }
    Counting engines =
        new Counting(
            new FaultyGenerators(new DjlGenerators(RolloutPrecision.BF16), 4, failOn, Set.of()));
    FaultyGenerators faults = (FaultyGenerators) engines.base;
    Backends b =
        new Backends(
            EchoTask::new,
            new EchoTask.DigitTokenizer(),
            engines,
            DjlTrainer.factory(),
            Fixtures.backends().checkpointer(),
            init);
    // The engine and its system manager exist before the baseline: open and close one engine.
    new DjlGenerators(RolloutPrecision.BF16).open(init).close();
    long arraysBefore = NativeMemory.liveArrays();

    RunSummary s = Run.start(c, b, tmp.resolve("run")).await(Duration.ofSeconds(240));

    assertThat(faults.failures()).as("forced worker failures").isEqualTo(20);
    assertThat(s.ledger().closed()).isTrue();
    long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while ((engines.live.get() != 0 || NativeMemory.liveArrays() != arraysBefore)
        && System.nanoTime() < until) {
      Thread.sleep(50); // the learner closes its trainer on its own thread after it stops
    }
    assertThat(engines.live.get())
        .as("rollout engines alive (of %d opened)", engines.opened.get())
        .isZero();
    assertThat(NativeMemory.liveArrays()).as("live NDArrays").isEqualTo(arraysBefore);
  }
}
