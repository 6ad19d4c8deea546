package dev.r3.actors.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.r3.actors.config.R3Config;
import dev.r3.actors.learning.DropReason;
import dev.r3.actors.learning.LedgerCounts;
import dev.r3.actors.learning.RolloutCounters;
import dev.r3.actors.learning.ScoredGroup;
import dev.r3.actors.learning.ScoredTrajectory;
import dev.r3.actors.learning.Trajectory;
import dev.r3.actors.pipeline.ReplayBuffer.Batch;
import dev.r3.actors.ports.PolicyTrainer;
import dev.r3.actors.ports.PolicyTrainer.MiniBatch;
import dev.r3.actors.ports.PolicyTrainer.MiniStepResult;
import dev.r3.actors.testkit.BigramPolicy;
import dev.r3.actors.testkit.Fixtures;
import dev.r3.model.ModelWeights;
import dev.r3.model.RoutingMode;
import dev.r3.model.RoutingRecord;
import dev.r3.model.ScoreResult;
import dev.r3.model.Sequence;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real {@link Learner} with probes as buffer, coordinator and rollout worker. */
class LearnerTest {
  static final ActorTestKit kit = ActorTestKit.create();
  static final AtomicInteger ids = new AtomicInteger();

  @TempDir Path tmp;

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  record Rig(
      ActorRef<Learner.Command> learner,
      TestProbe<ReplayBuffer.Command> buffer,
      TestProbe<Coordinator.Command> coordinator) {}

  Rig rig(PolicyTrainer.Factory trainers, String... settings) {
    R3Config c = Fixtures.config(tmp, settings);
    TestProbe<ReplayBuffer.Command> buffer = kit.createTestProbe();
    TestProbe<Coordinator.Command> coordinator = kit.createTestProbe();
    var learner =
        kit.spawn(
            Learner.create(c, trainers, BigramPolicy.initial(), coordinator.getRef()),
            "learner-" + ids.incrementAndGet());
    learner.tell(new Learner.Start(buffer.getRef()));
    return new Rig(learner, buffer, coordinator);
  }

  /** One group of two samples with rewards 1 and 0 (a real advantage), generated at v0. */
  static Batch batch() {
    List<ScoredTrajectory> members = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      int[] tokens = {1, 4, 4};
      RoutingRecord r = RoutingRecord.of(2, 1, 2, BigramPolicy.EXPERTS, new int[] {0, 1, 0, 1});
      members.add(
          new ScoredTrajectory(
              new Trajectory(0, i, 1, 0, tokens, 2, new float[] {-2.5f}, r, true),
              i == 0 ? 1f : 0f,
              i == 0,
              false,
              "scripted"));
    }
    LedgerCounts ledger = new LedgerCounts(2, 0, 2, 0, new long[DropReason.values().length]);
    return new Batch(
        0, 0, List.of(new ScoredGroup(0, 1, 0, members)), ledger, 1.0, 1, RolloutCounters.NONE);
  }

  @Test
  void noBatchWithinTheStepTimeout_failsTheRun_sayingWhatTheBufferHeld() {
    Rig r = rig(BigramPolicy.trainers(), "r3.timeouts.step=300ms");
    r.buffer().expectMessageClass(ReplayBuffer.TakeBatch.class);
    ReplayBuffer.GetStatus ask = r.buffer().expectMessageClass(ReplayBuffer.GetStatus.class);
    ask.replyTo()
        .tell(
            new ReplayBuffer.Status(
                new LedgerCounts(40, 0, 0, 8, new long[DropReason.values().length]), 0, 1, 0, 1));
    Coordinator.LearnerFailed f =
        r.coordinator().expectMessageClass(Coordinator.LearnerFailed.class);
    assertThat(f.reason())
        .contains("no batch from the replay buffer")
        .contains("timeouts.step")
        .contains("1 fresh groups waiting (a batch needs 2)")
        .contains("produced=40");
  }

  static ReplayBuffer.Status status(long produced, long allEqual) {
    long[] dropped = new long[DropReason.values().length];
    dropped[DropReason.ALL_EQUAL.ordinal()] = allEqual;
    return new ReplayBuffer.Status(
        new LedgerCounts(produced, 0, 0, produced - allEqual, dropped), 0, 1, 2, 3);
  }

  @Test
  void dynamicSamplingStarvation_failsTheRunAtTheNextLook_longBeforeTheStepDeadline() {
    Rig r = rig(BigramPolicy.trainers(), "r3.timeouts.step=600s", "r3.timeouts.starved=200ms");
    r.buffer().expectMessageClass(ReplayBuffer.TakeBatch.class);
    // First look: informative groups still come (half the samples kept): the learner waits on.
    r.buffer().expectMessageClass(ReplayBuffer.GetStatus.class).replyTo().tell(status(1000, 500));
    r.coordinator().expectNoMessage(Duration.ofMillis(100));
    // Second look: since the last batch (none yet), 95% of 1,000 samples dropped all-equal.
    r.buffer().expectMessageClass(ReplayBuffer.GetStatus.class).replyTo().tell(status(1000, 950));
    Coordinator.LearnerFailed f =
        r.coordinator().expectMessageClass(Coordinator.LearnerFailed.class);
    assertThat(f.reason())
        .contains("dynamic sampling starved the learner")
        .contains("950 of the 1000 samples");
  }

  @Test
  void aStepRunningPastTheStepTimeout_failsTheRun() {
    Rig r = rig(slow(BigramPolicy.trainers(), 1500), "r3.timeouts.step=300ms");
    ReplayBuffer.TakeBatch take = r.buffer().expectMessageClass(ReplayBuffer.TakeBatch.class);
    take.replyTo().tell(batch());
    Coordinator.LearnerFailed f =
        r.coordinator().expectMessageClass(Coordinator.LearnerFailed.class, Duration.ofSeconds(30));
    assertThat(f.reason()).contains("learner step 1 still running after r3.timeouts.step");
  }

  @Test
  void aStep_publishesTheNewVersion_toWorkersBufferAndCoordinator_thenAsksForMore() {
    Rig r = rig(BigramPolicy.trainers(), "r3.learner.mini-steps=1");
    TestProbe<RolloutWorker.Command> worker = kit.createTestProbe();
    r.learner().tell(new Learner.SubscribeWeights(worker.getRef()));
    assertThat(worker.expectMessageClass(RolloutWorker.UseWeights.class).snapshot().version())
        .isZero();
    ReplayBuffer.TakeBatch take = r.buffer().expectMessageClass(ReplayBuffer.TakeBatch.class);
    take.replyTo().tell(batch());
    // the first step opens the trainers too: measured 4.7 s on a loaded 2-core machine
    assertThat(
            worker
                .expectMessageClass(RolloutWorker.UseWeights.class, Duration.ofSeconds(30))
                .snapshot()
                .version())
        .isEqualTo(1);
    assertThat(r.buffer().expectMessageClass(ReplayBuffer.BatchTrained.class).trajectories())
        .isEqualTo(2);
    assertThat(r.buffer().expectMessageClass(ReplayBuffer.VersionAdvanced.class).version())
        .isEqualTo(1);
    var done = r.coordinator().expectMessageClass(Coordinator.StepCompleted.class);
    assertThat(done.report().step()).isEqualTo(1);
    assertThat(r.buffer().expectMessageClass(ReplayBuffer.TakeBatch.class).version()).isEqualTo(1);
  }

  @Test
  void aStepWithANonFiniteLoss_failsTheRun_andPublishesNoWeights() {
    Rig r = rig(nanLoss(BigramPolicy.trainers()), "r3.learner.mini-steps=1");
    TestProbe<RolloutWorker.Command> worker = kit.createTestProbe();
    r.learner().tell(new Learner.SubscribeWeights(worker.getRef()));
    assertThat(worker.expectMessageClass(RolloutWorker.UseWeights.class).snapshot().version())
        .isZero();
    r.buffer().expectMessageClass(ReplayBuffer.TakeBatch.class).replyTo().tell(batch());
    Coordinator.LearnerFailed f =
        r.coordinator().expectMessageClass(Coordinator.LearnerFailed.class, Duration.ofSeconds(30));
    assertThat(f.reason())
        .contains("learner step 1 diverged")
        .contains("loss NaN")
        .contains("not published");
    worker.expectNoMessage(Duration.ofMillis(200));
    r.buffer().expectNoMessage(Duration.ofMillis(100)); // no BatchTrained, no new version
  }

  /** A trainer whose mini-steps report a NaN loss (as a diverged step does). */
  static PolicyTrainer.Factory nanLoss(PolicyTrainer.Factory base) {
    return withSteps(
        base,
        (t, batch) -> {
          MiniStepResult r = t.step(batch);
          return new MiniStepResult(
              Float.NaN, r.gradNorm(), r.clipFrac(), r.logProbs(), r.diagnostics());
        });
  }

  /** A trainer whose optimizer steps take {@code millis} each. */
  static PolicyTrainer.Factory slow(PolicyTrainer.Factory base, long millis) {
    return withSteps(
        base,
        (t, batch) -> {
          try {
            Thread.sleep(millis);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          return t.step(batch);
        });
  }

  /** {@code base}'s trainers with each mini-step made by {@code step} (given the base trainer). */
  static PolicyTrainer.Factory withSteps(
      PolicyTrainer.Factory base, BiFunction<PolicyTrainer, MiniBatch, MiniStepResult> step) {
    return (init, config) -> {
      PolicyTrainer t = base.open(init, config);
      return new PolicyTrainer() {
        @Override
        public ScoreResult score(
            List<Sequence> sequences, RoutingMode mode, List<RoutingRecord> replay) {
          return t.score(sequences, mode, replay);
        }

        @Override
        public MiniStepResult step(MiniBatch batch) {
          return step.apply(t, batch);
        }

        @Override
        public ModelWeights weights() {
          return t.weights();
        }
      };
    };
  }
}
