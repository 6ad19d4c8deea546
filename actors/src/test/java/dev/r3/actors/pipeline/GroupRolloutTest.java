package dev.r3.actors.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.r3.actors.config.R3Config;
import dev.r3.actors.learning.ScoredTrajectory;
import dev.r3.actors.learning.Trajectory;
import dev.r3.actors.learning.WeightsSnapshot;
import dev.r3.actors.pipeline.RolloutWorker.Generate;
import dev.r3.actors.ports.Generator;
import dev.r3.actors.testkit.BigramPolicy;
import dev.r3.actors.testkit.EchoTask;
import dev.r3.actors.testkit.Fixtures;
import dev.r3.model.Generation;
import dev.r3.model.ModelWeights;
import dev.r3.model.RoutingRecord;
import dev.r3.model.SamplingParams;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link GroupRollout} alone (probes for its environment, workers, reward and buffer): its happy
 * path and its generation deadline; and the deadline in a run with a slow worker.
 */
class GroupRolloutTest {
  static final ActorTestKit kit = ActorTestKit.create();
  static final AtomicInteger ids = new AtomicInteger();

  @TempDir Path tmp;

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  @Test
  void aGroup_asksTheEnvironmentThenAWorkerThenTheReward_andReportsTheScoredGroupToTheBuffer() {
    R3Config c = Fixtures.config(tmp);
    TestProbe<EnvironmentActor.Command> env = kit.createTestProbe();
    TestProbe<RolloutWorker.Command> worker = kit.createTestProbe();
    TestProbe<RewardActor.Command> reward = kit.createTestProbe();
    TestProbe<ReplayBuffer.Command> buffer = kit.createTestProbe();
    var spec =
        new GroupRollout.Spec(
            7,
            11,
            13,
            2,
            2,
            env.getRef(),
            List.of(worker.getRef()),
            0,
            reward.getRef(),
            c.timeouts(),
            3);
    kit.spawn(GroupRollout.create(spec, buffer.getRef()), "group-" + ids.incrementAndGet());

    EnvironmentActor.MakePrompt ask = env.expectMessageClass(EnvironmentActor.MakePrompt.class);
    assertThat(ask.groupId()).isEqualTo(7);
    assertThat(ask.episodeSeed()).isEqualTo(11);
    worker.expectNoMessage(Duration.ofMillis(100)); // no generation before the prompt
    int[] prompt = {1, 5, 6};
    ask.replyTo().tell(new EnvironmentActor.Prompt(7, 11, prompt));

    Generate gen = worker.expectMessageClass(Generate.class);
    assertThat(gen.prompt()).containsExactly(prompt);
    assertThat(gen.samples()).isEqualTo(2);
    assertThat(gen.minVersion()).isEqualTo(2);
    assertThat(gen.samplingSeed()).isEqualTo(13);
    reward.expectNoMessage(Duration.ofMillis(100)); // no scoring before the samples
    List<Trajectory> samples = new ArrayList<>();
    for (int s = 0; s < 2; s++) {
      samples.add(
          new Trajectory(
              7,
              s,
              11,
              3,
              new int[] {1, 5, 6, 4},
              3,
              new float[] {-1f},
              RoutingRecord.empty(3),
              false));
    }
    gen.replyTo().tell(new RolloutWorker.Started(7, gen.attempt(), "w0"));
    gen.replyTo().tell(new RolloutWorker.Generated(7, gen.attempt(), "w0", 3, samples, 0.5));

    RewardActor.Score score = reward.expectMessageClass(RewardActor.Score.class);
    assertThat(score.trajectories()).isEqualTo(samples);
    List<ScoredTrajectory> scored =
        List.of(
            new ScoredTrajectory(samples.get(0), 1f, true, false, "right"),
            new ScoredTrajectory(samples.get(1), 0f, false, false, "wrong"));
    score.replyTo().tell(new RewardActor.Scored(7, scored));

    ReplayBuffer.GroupFinished done = buffer.expectMessageClass(ReplayBuffer.GroupFinished.class);
    assertThat(done.groupId()).isEqualTo(7);
    assertThat(done.version()).isEqualTo(3);
    assertThat(done.scored()).isEqualTo(scored);
    assertThat(done.worker()).isEqualTo("w0");
    assertThat(done.retries()).isZero();
  }

  @Test
  void anAttemptRunningPastTheGenerateTimeout_isCancelledOnItsWorker_andReissuedToTheNext() {
    R3Config c = Fixtures.config(tmp, "r3.timeouts.generate=200ms");
    TestProbe<RolloutWorker.Command> w0 = kit.createTestProbe();
    TestProbe<RolloutWorker.Command> w1 = kit.createTestProbe();
    TestProbe<ReplayBuffer.Command> parent = kit.createTestProbe();
    startGroupOnTwoWorkers(c, w0, w1, parent);
    Generate first = w0.expectMessageClass(Generate.class);
    first.replyTo().tell(new RolloutWorker.Started(7, first.attempt(), "w0"));
    RolloutWorker.Cancel cancel =
        w0.expectMessageClass(RolloutWorker.Cancel.class, Duration.ofSeconds(30));
    assertThat(cancel.attempt()).isEqualTo(first.attempt());
    Generate second = w1.expectMessageClass(Generate.class);
    assertThat(second.attempt()).isGreaterThan(first.attempt());
    assertThat(second.samplingSeed()).isEqualTo(first.samplingSeed());
  }

  @Test
  void anAttemptQueuedOnABusyWorker_isNotTimedOut_itsDeadlineRunsFromTheBatchStart() {
    // Queued three generate-timeouts long without starting: nothing is cancelled or re-issued
    // (timed from the ask, as it once was, healthy work queued behind other groups timed out).
    // Once its worker reports the batch started, the generate deadline applies.
    R3Config c = Fixtures.config(tmp, "r3.timeouts.generate=200ms", "r3.timeouts.queue=60s");
    TestProbe<RolloutWorker.Command> w0 = kit.createTestProbe();
    TestProbe<RolloutWorker.Command> w1 = kit.createTestProbe();
    TestProbe<ReplayBuffer.Command> parent = kit.createTestProbe();
    startGroupOnTwoWorkers(c, w0, w1, parent);
    Generate queued = w0.expectMessageClass(Generate.class, Duration.ofSeconds(30));

    w0.expectNoMessage(Duration.ofMillis(600));
    w1.expectNoMessage(Duration.ofMillis(10));
    parent.expectNoMessage(Duration.ofMillis(10));

    queued.replyTo().tell(new RolloutWorker.Started(7, queued.attempt(), "w0"));
    RolloutWorker.Cancel cancel =
        w0.expectMessageClass(RolloutWorker.Cancel.class, Duration.ofSeconds(30));
    assertThat(cancel.attempt()).isEqualTo(queued.attempt());
  }

  @Test
  void aWorker_reportsABatchStartedWhenItStarts_notWhileItWaitsInTheQueue() throws Exception {
    // The other half of the deadline: the worker's Started means "running", so the time a request
    // spends queued behind a slow batch is not charged to it. The slow batch is held by the test.
    Gated gated = new Gated(BigramPolicy.generators());
    ActorRef<RolloutWorker.Command> w =
        kit.spawn(
            RolloutWorker.create(
                "w", gated, new SamplingParams(1f, 1f, 2, EchoTask.EOS, 0), self -> {}),
            "worker-" + ids.incrementAndGet());
    w.tell(new RolloutWorker.UseWeights(new WeightsSnapshot(0, BigramPolicy.initial())));
    TestProbe<RolloutWorker.GenerateReply> first = kit.createTestProbe();
    TestProbe<RolloutWorker.GenerateReply> second = kit.createTestProbe();
    w.tell(new Generate(1, 1, 5, new int[] {1, 8}, 4, 0, 42, first.getRef()));
    first.expectMessageClass(RolloutWorker.Started.class, Duration.ofSeconds(30));
    assertThat(gated.entered.await(30, TimeUnit.SECONDS)).isTrue(); // the first batch is running
    w.tell(new Generate(2, 1, 6, new int[] {1, 8}, 4, 0, 43, second.getRef()));

    second.expectNoMessage(Duration.ofMillis(500)); // queued behind the held batch: not started

    gated.release.countDown();
    RolloutWorkerTest.result(first, RolloutWorker.Generated.class);
    RolloutWorker.Started started =
        second.expectMessageClass(RolloutWorker.Started.class, Duration.ofSeconds(30));
    assertThat(started.groupId()).isEqualTo(2);
    RolloutWorkerTest.result(second, RolloutWorker.Generated.class);
  }

  /** Generation that holds its first batch until the test releases it. */
  static final class Gated implements Generator.Factory {
    final Generator.Factory base;
    final CountDownLatch entered = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);

    Gated(Generator.Factory base) {
      this.base = base;
    }

    @Override
    public Generator open(ModelWeights weights) {
      Generator g = base.open(weights);
      return new Generator() {
        @Override
        public List<Generation> generate(List<int[]> prompts, SamplingParams params) {
          entered.countDown();
          try {
            if (!release.await(60, TimeUnit.SECONDS)) {
              throw new IllegalStateException("the test never released the batch");
            }
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          return g.generate(prompts, params);
        }

        @Override
        public void close() {
          g.close();
        }
      };
    }
  }

  /**
   * Group 7 (4 rollouts, up to 3 retries) on two probe workers, with a fake environment and reward.
   */
  private void startGroupOnTwoWorkers(
      R3Config c,
      TestProbe<RolloutWorker.Command> w0,
      TestProbe<RolloutWorker.Command> w1,
      TestProbe<ReplayBuffer.Command> parent) {
    var spec =
        new GroupRollout.Spec(
            7,
            11,
            13,
            0,
            4,
            kit.spawn(FakeCrew.env(), "env-" + ids.incrementAndGet()),
            List.of(w0.getRef(), w1.getRef()),
            0,
            kit.spawn(FakeCrew.reward(), "reward-" + ids.incrementAndGet()),
            c.timeouts(),
            3);
    kit.spawn(GroupRollout.create(spec, parent.getRef()), "group-" + ids.incrementAndGet());
  }
}
