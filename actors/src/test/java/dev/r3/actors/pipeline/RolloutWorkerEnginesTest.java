package dev.r3.actors.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.r3.actors.learning.WeightsSnapshot;
import dev.r3.actors.pipeline.RolloutWorker.GenerateReply;
import dev.r3.actors.pipeline.RolloutWorker.Generated;
import dev.r3.actors.ports.Generator;
import dev.r3.actors.testkit.BigramPolicy;
import dev.r3.actors.testkit.EchoTask;
import dev.r3.model.Generation;
import dev.r3.model.ModelWeights;
import dev.r3.model.SamplingParams;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Every rollout engine a worker opens is closed, including the one in use when the worker stops
 * mid-batch (found by ./r3 soak: one engine's native memory leaked per run).
 */
class RolloutWorkerEnginesTest {
  static final ActorTestKit kit = ActorTestKit.create();
  static final SamplingParams SAMPLING = new SamplingParams(1f, 1f, 2, EchoTask.EOS, 0);

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  /** Counts opened and closed engines; generation blocks while {@code gate} is shut. */
  static final class Counting implements Generator.Factory {
    final AtomicInteger opened = new AtomicInteger();
    final AtomicInteger closed = new AtomicInteger();
    final CountDownLatch started = new CountDownLatch(1);
    volatile CountDownLatch gate = new CountDownLatch(0);

    @Override
    public Generator open(ModelWeights weights) {
      Generator g = BigramPolicy.generators().open(weights);
      opened.incrementAndGet();
      return new Generator() {
        @Override
        public List<Generation> generate(List<int[]> prompts, SamplingParams params) {
          started.countDown();
          try {
            gate.await(10, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          return g.generate(prompts, params);
        }

        @Override
        public void close() {
          closed.incrementAndGet();
        }
      };
    }
  }

  @Test
  void stoppingMidBatch_closesTheBatchEngineWhenItEnds_andTheIdleOneAtOnce() throws Exception {
    Counting engines = new Counting();
    TestProbe<GenerateReply> replies = kit.createTestProbe();
    ActorRef<RolloutWorker.Command> w =
        kit.spawn(RolloutWorker.create("w", engines, SAMPLING, self -> {}), "engines-1");
    w.tell(new RolloutWorker.UseWeights(new WeightsSnapshot(0, BigramPolicy.initial())));
    w.tell(new RolloutWorker.Generate(1, 1, 5, new int[] {1, 8}, 4, 0, 42, replies.getRef()));
    RolloutWorkerTest.result(replies, Generated.class);
    // A newer version: the next batch opens a second engine, the first one is swapped out.
    w.tell(new RolloutWorker.UseWeights(new WeightsSnapshot(1, BigramPolicy.initial())));
    engines.gate = new CountDownLatch(1);
    CountDownLatch gate = engines.gate;
    w.tell(new RolloutWorker.Generate(2, 1, 5, new int[] {1, 8}, 4, 1, 43, replies.getRef()));
    Thread.sleep(200); // the second batch is generating
    kit.stop(w, Duration.ofSeconds(5));
    assertThat(engines.opened.get()).isEqualTo(2);
    assertThat(engines.closed.get()).as("the idle v0 engine, closed at stop").isEqualTo(1);
    gate.countDown(); // the orphaned batch ends
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (engines.closed.get() < 2 && System.nanoTime() < until) {
      Thread.sleep(20);
    }
    assertThat(engines.closed.get()).as("the batch's engine, closed when it ended").isEqualTo(2);
  }
}
