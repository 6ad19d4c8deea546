package dev.r3.actors.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.r3.actors.chaos.Chaos;
import dev.r3.actors.config.R3Config;
import dev.r3.actors.djl.CheckpointFiles;
import dev.r3.actors.learning.DropReason;
import dev.r3.actors.learning.LedgerCounts;
import dev.r3.actors.learning.RolloutCounters;
import dev.r3.actors.learning.StepReport;
import dev.r3.actors.learning.StepStats;
import dev.r3.actors.learning.WeightsSnapshot;
import dev.r3.actors.monitor.Monitor;
import dev.r3.actors.ports.Backends;
import dev.r3.actors.run.RunFiles;
import dev.r3.actors.run.RunFiles.RunSummary;
import dev.r3.actors.run.RunStatus;
import dev.r3.actors.testkit.BigramPolicy;
import dev.r3.actors.testkit.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The production {@link Coordinator} alone: probes stand for its monitor, learner(s) and buffer
 * (through its {@link PipelineSpawner} seam), and each test plays one of their parts to check what
 * the coordinator asks of them and how it ends the run. Waits are generous backstops: every
 * expectation is on a message, not on elapsed time.
 */
class CoordinatorProtocolTest {
  static final ActorTestKit kit = ActorTestKit.create();
  static final AtomicInteger ids = new AtomicInteger();
  static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir Path tmp;

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  /** The probes the coordinator gets, and the origins it asked learners to start from. */
  static final class Probes implements PipelineSpawner {
    final TestProbe<Monitor.Command> monitor = kit.createTestProbe();
    final TestProbe<ReplayBuffer.Command> buffer = kit.createTestProbe();
    final List<TestProbe<Learner.Command>> learners = new CopyOnWriteArrayList<>();
    final List<String> learnerNames = new CopyOnWriteArrayList<>();
    final List<Learner.Origin> origins = new CopyOnWriteArrayList<>();
    volatile ReplayBuffer.Origin bufferOrigin;

    @Override
    public ActorRef<Monitor.Command> monitor(ActorContext<Coordinator.Command> ctx) {
      return monitor.getRef();
    }

    @Override
    public ActorRef<Learner.Command> learner(
        ActorContext<Coordinator.Command> ctx, String name, Learner.Origin origin, Chaos chaos) {
      TestProbe<Learner.Command> p = kit.createTestProbe();
      learnerNames.add(name);
      origins.add(origin);
      learners.add(p); // last: a test waits on it
      return p.getRef();
    }

    @Override
    public ActorRef<ReplayBuffer.Command> buffer(
        ActorContext<Coordinator.Command> ctx,
        ReplayBuffer.Origin origin,
        Supplier<ActorRef<Learner.Command>> learner,
        Chaos chaos) {
      bufferOrigin = origin;
      return buffer.getRef();
    }

    /** Learner {@code i} (0 the first), once the coordinator has asked for it. */
    TestProbe<Learner.Command> learner(int i) throws InterruptedException {
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (learners.size() <= i && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertThat(learners).as("learners spawned").hasSizeGreaterThan(i);
      return learners.get(i);
    }
  }

  /** Nothing of its own: the probes are the whole pipeline. */
  static final Topology NO_ROLLOUTS =
      new Topology() {
        @Override
        public GroupRunner rollouts(
            ActorContext<Coordinator.Command> ctx,
            R3Config config,
            Backends backends,
            Supplier<ActorRef<Learner.Command>> learner,
            Chaos chaos) {
          throw new AssertionError("the probes stand for the rollout side");
        }

        @Override
        public void learnerChanged(ActorRef<Learner.Command> learner) {}

        @Override
        public Map<String, Object> summarySections() {
          return Map.of();
        }
      };

  record Rig(
      ActorRef<Coordinator.Command> coordinator,
      Probes probes,
      CompletableFuture<RunSummary> done,
      Path dir) {}

  /** The test backends, with checkpoints a restarted learner can load (weights only). */
  static Backends backends() {
    Backends b = Fixtures.backends();
    return new Backends(
        b.tasks(),
        b.tokenizer(),
        b.generators(),
        b.trainers(),
        CheckpointFiles.writer(),
        b.initialWeights());
  }

  Rig start(String... settings) {
    R3Config c =
        Fixtures.config(
            tmp, concat(settings, "r3.eval.size=4", "r3.eval.every=0", "r3.checkpoint.every=0"));
    Path dir = tmp.resolve("run");
    Probes probes = new Probes();
    CompletableFuture<RunSummary> done = new CompletableFuture<>();
    ActorRef<Coordinator.Command> coordinator =
        kit.spawn(
            Coordinator.create(c, backends(), new RunFiles(dir), done, null, NO_ROLLOUTS, probes),
            "coordinator-" + ids.incrementAndGet());
    return new Rig(coordinator, probes, done, dir);
  }

  static String[] concat(String[] a, String... b) {
    String[] all = new String[a.length + b.length];
    System.arraycopy(b, 0, all, 0, b.length);
    System.arraycopy(a, 0, all, b.length, a.length);
    return all;
  }

  static LedgerCounts ledger(long produced, long trained, long dropped) {
    long[] d = new long[DropReason.values().length];
    d[DropReason.RUN_ENDED.ordinal()] = dropped;
    return new LedgerCounts(produced, trained, 0, 0, d);
  }

  /** What a learner reports after step {@code step} on a batch of 8 trajectories. */
  static Coordinator.StepCompleted stepCompleted(long step, long nextGroupId) {
    var stats = new StepStats(2, 8, 16, 0.5, 0.5, 0, 0, 0, 1, 1, 0, 0, 0, 0.01, Map.of());
    var report =
        new StepReport(
            step, step, stats, ledger(8 * step, 8 * step, 0), 1, 1, 0.5, RolloutCounters.NONE);
    var weights = new WeightsSnapshot(step, BigramPolicy.initial());
    return new Coordinator.StepCompleted(report, weights, null, nextGroupId);
  }

  static RunSummary awaitDone(CompletableFuture<RunSummary> done) throws Exception {
    return done.get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  static Throwable awaitFailure(CompletableFuture<RunSummary> done) throws Exception {
    try {
      done.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      return e.getCause();
    }
    throw new AssertionError("the run did not fail");
  }

  @Test
  void atStart_theMonitorHearsOfTheRun_andTheLearnerIsToldToTrainFromTheBuffer() throws Exception {
    Rig rig = start();

    Monitor.RunStarted started = next(rig.probes().monitor, Monitor.RunStarted.class);
    assertThat(started.name()).isEqualTo("test");
    Learner.Start s = rig.probes().learner(0).expectMessageClass(Learner.Start.class, WAIT);
    assertThat(s.buffer()).isEqualTo(rig.probes().buffer.getRef());
    assertThat(rig.probes().learnerNames).containsExactly("learner");
    assertThat(rig.probes().origins.get(0).version()).isZero();
    assertThat(rig.probes().origins.get(0).rewind()).isNull();
    assertThat(rig.probes().bufferOrigin).isEqualTo(ReplayBuffer.Origin.FRESH);
  }

  @Test
  void afterTheLastStep_itStopsTheLearner_drainsTheBuffer_andFinishesWithTheDrainedLedger()
      throws Exception {
    Rig rig = start("r3.experiment.total-steps=1");
    rig.probes().learner(0).expectMessageClass(Learner.Start.class, WAIT);

    rig.coordinator().tell(stepCompleted(1, 4));

    rig.probes().learner(0).expectMessageClass(Learner.Stop.class, WAIT);
    // the drain waits for the initial and final evaluations and the final checkpoint
    ReplayBuffer.Drain drain =
        rig.probes().buffer.expectMessageClass(ReplayBuffer.Drain.class, WAIT);
    assertThat(Files.isDirectory(rig.dir().resolve("checkpoints/step-1"))).isTrue();
    drain.replyTo().tell(new ReplayBuffer.Drained(ledger(12, 8, 4)));

    RunSummary s = awaitDone(rig.done());
    assertThat(s.status()).isEqualTo(RunStatus.FINISHED);
    assertThat(s.steps()).isEqualTo(1);
    assertThat(s.ledger().produced()).isEqualTo(12);
    assertThat(s.evals()).extracting(e -> e.version()).containsExactly(0L, 1L);
  }

  @Test
  void aDrainedLedgerThatDoesNotBalance_failsTheRun() throws Exception {
    Rig rig = start("r3.experiment.total-steps=1");
    rig.coordinator().tell(stepCompleted(1, 4));
    ReplayBuffer.Drain drain =
        rig.probes().buffer.expectMessageClass(ReplayBuffer.Drain.class, WAIT);

    drain.replyTo().tell(new ReplayBuffer.Drained(ledger(12, 8, 3)));

    assertThat(awaitFailure(rig.done())).hasMessageContaining("ledger does not balance");
  }

  @Test
  void aLearnerFailure_withNoRestartsLeft_failsTheRunNamingIt_andTellsTheMonitor()
      throws Exception {
    Rig rig = start("r3.faults.learner-restarts=0");
    rig.probes().learner(0).expectMessageClass(Learner.Start.class, WAIT);

    rig.coordinator().tell(new Coordinator.LearnerFailed("optimizer exploded"));

    assertThat(awaitFailure(rig.done())).hasMessage("learner failed: optimizer exploded");
    Monitor.RunEnded ended = next(rig.probes().monitor, Monitor.RunEnded.class);
    assertThat(ended.status()).isEqualTo(RunStatus.FAILED.label());
  }

  @Test
  void aLearnerFailure_startsANewLearnerFromTheLastCheckpoint_andRewindsTheBufferThroughIt()
      throws Exception {
    Rig rig = start("r3.faults.learner-restarts=1", "r3.checkpoint.every=1");
    rig.probes().learner(0).expectMessageClass(Learner.Start.class, WAIT);
    rig.coordinator().tell(stepCompleted(1, 6));
    rig.coordinator().tell(stepCompleted(2, 9));

    rig.coordinator().tell(new Coordinator.LearnerFailed("device lost"));

    // once the checkpoints in flight are written: a second learner, from step 2's checkpoint
    Learner.Start s = rig.probes().learner(1).expectMessageClass(Learner.Start.class, WAIT);
    assertThat(s.buffer()).isEqualTo(rig.probes().buffer.getRef());
    assertThat(rig.probes().learnerNames).containsExactly("learner", "learner-1");
    Learner.Origin origin = rig.probes().origins.get(1);
    assertThat(origin.version()).isEqualTo(2);
    assertThat(origin.nextGroupId()).isEqualTo(9);
    assertThat(origin.optimizer()).isNull(); // the stand-in trainer has no optimizer state
    assertThat(origin.rewind()).isEqualTo(new ReplayBuffer.Rewind(2, 16, 4));
    assertThat(rig.done()).isNotDone();
  }

  /** The next message of {@code type} (others, such as the actors' life reports, skipped). */
  static <T> T next(TestProbe<? super T> probe, Class<T> type) {
    while (true) {
      Object m = probe.receiveMessage(WAIT);
      if (type.isInstance(m)) {
        return type.cast(m);
      }
    }
  }

  @Test
  void anInterrupt_asksTheLearnerForItsState_checkpointsIt_andEndsTheRunInterrupted()
      throws Exception {
    Rig rig = start();
    rig.probes().learner(0).expectMessageClass(Learner.Start.class, WAIT);
    rig.coordinator().tell(stepCompleted(1, 4));

    rig.coordinator().tell(new Coordinator.Interrupt("SIGTERM"));

    rig.probes().learner(0).expectMessageClass(Learner.Interrupt.class, WAIT);
    var last = stepCompleted(1, 4);
    rig.coordinator()
        .tell(new Coordinator.LearnerStopped(last.weights(), last.optimizer(), 4, null));
    RunSummary s = awaitDone(rig.done());
    assertThat(s.status()).isEqualTo(RunStatus.INTERRUPTED);
    assertThat(s.failure()).isEqualTo("SIGTERM");
    assertThat(s.checkpoints()).singleElement().asString().endsWith("step-1");
    rig.probes().buffer.expectNoMessage(Duration.ofMillis(200)); // never drained
  }

  @Test
  void theBufferStopping_failsTheRun() throws Exception {
    Rig rig = start();
    rig.probes().learner(0).expectMessageClass(Learner.Start.class, WAIT);

    rig.probes().buffer.stop();

    assertThat(awaitFailure(rig.done())).hasMessage("buffer stopped unexpectedly");
  }
}
