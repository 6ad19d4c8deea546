package dev.r3.actors.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.r3.actors.config.R3Config;
import dev.r3.actors.learning.DropReason;
import dev.r3.actors.learning.ScoredTrajectory;
import dev.r3.actors.learning.Trajectory;
import dev.r3.actors.pipeline.RolloutWorker.Generate;
import dev.r3.actors.ports.Generator;
import dev.r3.actors.run.Run;
import dev.r3.actors.run.RunFiles.RunSummary;
import dev.r3.actors.testkit.BigramPolicy;
import dev.r3.actors.testkit.Fixtures;
import dev.r3.model.Generation;
import dev.r3.model.ModelWeights;
import dev.r3.model.RoutingRecord;
import dev.r3.model.SamplingParams;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
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
    Generate first = w0.expectMessageClass(Generate.class);
    first.replyTo().tell(new RolloutWorker.Started(7, first.attempt(), "w0"));
    RolloutWorker.Cancel cancel =
        w0.expectMessageClass(RolloutWorker.Cancel.class, Duration.ofSeconds(3));
    assertThat(cancel.attempt()).isEqualTo(first.attempt());
    Generate second = w1.expectMessageClass(Generate.class);
    assertThat(second.attempt()).isGreaterThan(first.attempt());
    assertThat(second.samplingSeed()).isEqualTo(first.samplingSeed());
  }

  @Test
  void groupsQueuedBehindASlowWorker_doNotTimeOut_theDeadlineRunsFromTheBatchStart() {
    // One worker, each batch 150 ms, up to (eta + 1) * B = 4 groups queued on it: the last one
    // waits ~450 ms, longer than the 400 ms generate timeout. Timed from the ask, as before,
    // healthy
    // work timed out and was re-issued; timed from the batch start, nothing is.
    R3Config c =
        Fixtures.config(
            tmp,
            "r3.experiment.total-steps=4",
            "r3.rollout.workers=1",
            "r3.rollout.group-size=4",
            "r3.learner.batch-groups=2",
            "r3.learner.staleness=1",
            "r3.timeouts.generate=400ms",
            "r3.watchdog.stall-timeout=5s",
            "r3.eval.every=0",
            "r3.checkpoint.every=0");
    Slow slow = new Slow(BigramPolicy.generators(), 4, 150);
    RunSummary s =
        Run.start(c, Fixtures.backends(slow), tmp.resolve("run")).await(Duration.ofSeconds(60));
    assertThat(s.ledger().closed()).isTrue();
    assertThat(s.ledger().dropped(DropReason.TIMED_OUT)).isZero();
    assertThat(s.ledger().abandonedGroupsByReason()).isEmpty();
    assertThat(slow.calls.get() * 4)
        .as("every batch generated was delivered once: no attempt wasted on a retry")
        .isEqualTo(s.ledger().produced());
  }

  /** Group generations (batches of {@code groupSize}) take {@code millis}; counts them. */
  static final class Slow implements Generator.Factory {
    final Generator.Factory base;
    final int groupSize;
    final long millis;
    final AtomicLong calls = new AtomicLong();

    Slow(Generator.Factory base, int groupSize, long millis) {
      this.base = base;
      this.groupSize = groupSize;
      this.millis = millis;
    }

    @Override
    public Generator open(ModelWeights weights) {
      Generator g = base.open(weights);
      return new Generator() {
        @Override
        public List<Generation> generate(List<int[]> prompts, SamplingParams params) {
          if (prompts.size() == groupSize) {
            calls.incrementAndGet();
            try {
              Thread.sleep(millis);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
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
}
