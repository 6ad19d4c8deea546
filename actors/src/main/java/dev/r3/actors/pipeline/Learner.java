package dev.r3.actors.pipeline;

import dev.r3.actors.chaos.Chaos;
import dev.r3.actors.config.R3Config;
import dev.r3.actors.learning.DropReason;
import dev.r3.actors.learning.LedgerCounts;
import dev.r3.actors.learning.RlStep;
import dev.r3.actors.learning.StepReport;
import dev.r3.actors.learning.StepStats;
import dev.r3.actors.learning.WeightsSnapshot;
import dev.r3.actors.pipeline.ReplayBuffer.Batch;
import dev.r3.actors.ports.PolicyTrainer;
import dev.r3.actors.wire.WireMessage;
import dev.r3.model.ModelWeights;
import dev.r3.model.OptimizerState;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * Owns the only gradient collector of the process (the {@link PolicyTrainer}, used from the one
 * thread of the learner dispatcher). Takes a batch of B groups from the buffer, runs one {@link
 * RlStep} (M mini-steps) off the actor's thread, then publishes the new version: to every
 * subscribed rollout worker, to the buffer (which may admit more groups) and to the coordinator
 * (metrics, evaluation, checkpoints). Rollouts continue while it trains, bounded by the staleness
 * gate.
 *
 * <p>Progress deadline ({@code r3.timeouts.step}): no batch within it, or a step running longer,
 * fails the run with a message naming what was waited on (for a missing batch, what the buffer held
 * then), instead of a silent stall. While it waits for a batch it also looks at the buffer every
 * {@code r3.timeouts.starved}: dynamic sampling starving it (nearly every sample since the last
 * batch dropped for equal rewards) fails the run at once, saying so.
 *
 * <p>Not restarted by a supervisor: a restart would lose the weights and the optimizer state, so a
 * failed step tells the coordinator ({@code Coordinator.LearnerFailed}), which fails the run or
 * starts a new learner from the last checkpoint ({@link Origin}). On checkpoint steps (and on
 * {@link Interrupt}) the AdamW state is copied to the host so that a checkpoint can hold it.
 */
public final class Learner {

  // ---- protocol ----
  public sealed interface Command extends WireMessage
      permits Start,
          SubscribeWeights,
          Stop,
          Interrupt,
          GotBatch,
          StepDone,
          Deadline,
          GotBufferStatus {}

  /** Begin training from the given buffer. */
  public record Start(ActorRef<ReplayBuffer.Command> buffer) implements Command {}

  /** Send {@code worker} the current weights now and every new version after. Idempotent. */
  public record SubscribeWeights(ActorRef<RolloutWorker.Command> worker) implements Command {}

  /** Request no more batches (the current step, if any, still completes). */
  public record Stop() implements Command {}

  /**
   * The run is being interrupted: take no more batches, let the step in flight (if any) finish and
   * report, then send the coordinator the weights and the optimizer state ({@code
   * Coordinator.LearnerStopped}) for a final checkpoint.
   */
  public record Interrupt() implements Command {}

  /**
   * Where the learner starts: version 0 of a new run, or a checkpoint.
   *
   * @param optimizer the AdamW state to continue from; null for a fresh optimizer
   * @param nextGroupId the buffer's next group id at that point (reported with each step)
   * @param rewind for a learner restarted in the same run: sent to the buffer before the first
   *     batch request, and the subscribed workers are told to rewind their weights; null otherwise
   */
  public record Origin(
      long version,
      ModelWeights policy,
      OptimizerState optimizer,
      long nextGroupId,
      ReplayBuffer.Rewind rewind) {}

  // ---- internal ----
  private record GotBatch(Batch batch) implements Command, NoSerializationVerificationNeeded {}

  private record StepDone(
      Batch batch,
      StepStats stats,
      WeightsSnapshot snapshot,
      OptimizerState optimizer,
      Throwable error)
      implements Command, NoSerializationVerificationNeeded {}

  /**
   * {@code r3.timeouts.step} passed while waiting for a batch ({@code stepping} false) or in one.
   */
  private record Deadline(long version, boolean stepping)
      implements Command, NoSerializationVerificationNeeded {}

  private record GotBufferStatus(long version, ReplayBuffer.Status status, Throwable error)
      implements Command, NoSerializationVerificationNeeded {}

  private static final String DEADLINE = "deadline";

  public static Behavior<Command> create(
      R3Config config,
      PolicyTrainer.Factory trainers,
      ModelWeights initial,
      ActorRef<Coordinator.Command> coordinator) {
    return create(config, trainers, initial, new Origin(0, initial, null, 0, null), coordinator);
  }

  /**
   * @param reference the run's version-0 weights (the KL reference policy)
   * @param origin where training starts
   */
  public static Behavior<Command> create(
      R3Config config,
      PolicyTrainer.Factory trainers,
      ModelWeights reference,
      Origin origin,
      ActorRef<Coordinator.Command> coordinator) {
    return create(config, trainers, reference, origin, coordinator, Chaos.NONE);
  }

  /** With {@code chaos}: the step at r3.chaos.learner-failure-step fails once. */
  public static Behavior<Command> create(
      R3Config config,
      PolicyTrainer.Factory trainers,
      ModelWeights reference,
      Origin origin,
      ActorRef<Coordinator.Command> coordinator,
      Chaos chaos) {
    return Behaviors.setup(
        ctx ->
            Behaviors.withTimers(
                timers ->
                    new Learner(
                            ctx, timers, config, trainers, reference, origin, coordinator, chaos)
                        .behavior()));
  }

  // ---- state ----
  private final ActorContext<Command> ctx;
  private final TimerScheduler<Command> timers;
  private final R3Config config;
  private final LearnerTrainers trainers; // opened and closed on the learner thread
  private final Origin origin;
  private final ActorRef<Coordinator.Command> coordinator;
  private final Chaos chaos;
  private final Executor executor;
  private final RlStep rlStep;
  private final Set<ActorRef<RolloutWorker.Command>> subscribers = new LinkedHashSet<>();
  private final ActorRef<Batch> batchAdapter;
  private ActorRef<ReplayBuffer.Command> buffer;
  private WeightsSnapshot snapshot;
  private boolean stepping;
  private boolean stopped;
  private boolean interrupted;
  private long nextGroupId;
  private long idleSince = System.nanoTime();
  private long waitingSince; // when the batch now awaited was asked for
  private LedgerCounts ledgerAtLastBatch =
      new LedgerCounts(0, 0, 0, 0, new long[DropReason.values().length]);

  private Learner(
      ActorContext<Command> ctx,
      TimerScheduler<Command> timers,
      R3Config config,
      PolicyTrainer.Factory trainers,
      ModelWeights initial,
      Origin origin,
      ActorRef<Coordinator.Command> coordinator,
      Chaos chaos) {
    this.ctx = ctx;
    this.chaos = chaos;
    this.timers = timers;
    this.config = config;
    this.trainers =
        new LearnerTrainers(trainers, config, origin.policy(), origin.optimizer(), initial);
    this.origin = origin;
    this.nextGroupId = origin.nextGroupId();
    this.coordinator = coordinator;
    this.executor =
        ctx.getSystem()
            .dispatchers()
            .lookup(DispatcherSelector.fromConfig("r3-learner-dispatcher"));
    this.rlStep =
        new RlStep(
            config.algorithm(),
            config.learner().miniSteps(),
            config.metrics().routerDisagreement());
    this.snapshot = new WeightsSnapshot(origin.version(), origin.policy());
    this.batchAdapter = ctx.messageAdapter(Batch.class, GotBatch::new);
  }

  private Behavior<Command> behavior() {
    return Behaviors.receive(Command.class)
        .onMessage(Start.class, this::onStart)
        .onMessage(SubscribeWeights.class, this::onSubscribe)
        .onMessage(Stop.class, this::onStop)
        .onMessage(Interrupt.class, this::onInterrupt)
        .onMessage(GotBatch.class, this::onBatch)
        .onMessage(StepDone.class, this::onStepDone)
        .onMessage(Deadline.class, this::onDeadline)
        .onMessage(GotBufferStatus.class, this::onBufferStatus)
        .onSignal(PostStop.class, s -> onPostStop())
        .build();
  }

  private Behavior<Command> onStart(Start m) {
    buffer = m.buffer();
    if (origin.rewind() != null) {
      buffer.tell(origin.rewind()); // before the first TakeBatch: same sender, same order
    }
    requestBatch();
    return Behaviors.same();
  }

  private Behavior<Command> onSubscribe(SubscribeWeights m) {
    boolean first = subscribers.add(m.worker());
    if (first && origin.rewind() != null) {
      m.worker().tell(new RolloutWorker.RewindWeights(snapshot));
      return Behaviors.same();
    }
    m.worker().tell(new RolloutWorker.UseWeights(snapshot));
    return Behaviors.same();
  }

  private Behavior<Command> onStop(Stop m) {
    stopped = true;
    if (!stepping) {
      timers.cancel(DEADLINE);
    }
    return Behaviors.same();
  }

  private Behavior<Command> onInterrupt(Interrupt m) {
    interrupted = true;
    stopped = true;
    if (!stepping) {
      timers.cancel(DEADLINE);
      exportState();
    }
    return Behaviors.same();
  }

  private Behavior<Command> onBatch(GotBatch m) {
    Batch batch = m.batch();
    ledgerAtLastBatch = batch.ledger();
    if (interrupted) {
      ctx.getLog().info("batch {} arrived after the interrupt: not trained", batch.batchId());
      return Behaviors.same();
    }
    stepping = true;
    long version = snapshot.version();
    boolean export = checkpointStep(version + 1);
    timers.startSingleTimer(DEADLINE, new Deadline(version, true), config.timeouts().step());
    long started = System.nanoTime();
    CompletableFuture<StepDone> work =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                PolicyTrainer policy = trainers.policy();
                if (chaos.failLearnerAt(version + 1)) {
                  throw new IllegalStateException(
                      "chaos: injected learner failure in step " + (version + 1));
                }
                StepStats stats = rlStep.run(policy, trainers.reference(), version, batch.groups());
                return new StepDone(
                    batch,
                    stats,
                    new WeightsSnapshot(version + 1, policy.weights()),
                    export ? policy.optimizerState() : null,
                    null);
              } catch (RuntimeException | Error e) {
                return new StepDone(batch, null, null, null, e);
              }
            },
            executor);
    ctx.pipeToSelf(
        work, (done, err) -> done != null ? done : new StepDone(batch, null, null, null, err));
    ctx.getLog()
        .debug(
            "step {} started on batch {} ({} groups), idle {} ms before",
            version + 1,
            batch.batchId(),
            batch.groups().size(),
            (started - idleSince) / 1_000_000);
    return Behaviors.same();
  }

  private Behavior<Command> onStepDone(StepDone m) {
    stepping = false;
    timers.cancel(DEADLINE);
    long now = System.nanoTime();
    if (m.error() != null) {
      ctx.getLog().error("learner step failed", m.error());
      coordinator.tell(new Coordinator.LearnerFailed(String.valueOf(m.error())));
      return Behaviors.stopped();
    }
    StepStats s = m.stats();
    if (!Double.isFinite(s.loss()) || !Double.isFinite(s.gradNorm())) {
      // Published, these weights would fail every rollout (and a NaN never trains back out).
      return failRun(LearnerStall.diverged(m.snapshot().version(), s.loss(), s.gradNorm()));
    }
    snapshot = m.snapshot();
    nextGroupId = m.batch().nextGroupId();
    double wall = (now - idleSince) / 1e9;
    idleSince = now;
    for (ActorRef<RolloutWorker.Command> w : subscribers) {
      w.tell(new RolloutWorker.UseWeights(snapshot));
    }
    buffer.tell(new ReplayBuffer.BatchTrained(m.batch().batchId(), m.batch().trajectories()));
    buffer.tell(new ReplayBuffer.VersionAdvanced(snapshot.version()));
    StepReport report =
        StepReport.of(
            snapshot.version(),
            s,
            m.batch().ledger(),
            m.batch().trajectories(),
            m.batch().rolloutTokensPerSecond(),
            wall,
            m.batch().rollout());
    coordinator.tell(
        new Coordinator.StepCompleted(report, snapshot, m.optimizer(), m.batch().nextGroupId()));
    if (snapshot.version() >= config.experiment().totalSteps()) {
      stopped = true;
    }
    if (interrupted) {
      exportState();
    }
    requestBatch();
    return Behaviors.same();
  }

  private Behavior<Command> onDeadline(Deadline m) {
    if (m.version() != snapshot.version() || m.stepping() != stepping) {
      return Behaviors.same(); // a timer of a state already left
    }
    if (m.stepping()) {
      return failRun(LearnerStall.stepStillRunning(config, m.version()));
    }
    ctx.ask(
        ReplayBuffer.Status.class,
        buffer,
        config.timeouts().ask(),
        ReplayBuffer.GetStatus::new,
        (status, err) -> new GotBufferStatus(m.version(), status, err));
    return Behaviors.same();
  }

  private Behavior<Command> onBufferStatus(GotBufferStatus m) {
    if (stepping || m.version() != snapshot.version()) {
      return Behaviors.same(); // the batch came after all
    }
    Duration waited = Duration.ofNanos(System.nanoTime() - waitingSince);
    long batchSamples = (long) config.learner().batchGroups() * config.rollout().groupSize();
    if (m.status() != null
        && !config.timeouts().starved().isZero()
        && LearnerStall.starved(ledgerAtLastBatch, m.status().ledger(), batchSamples)) {
      return failRun(
          LearnerStall.starvation(
              buffer.path().toString(), m.version(), waited, ledgerAtLastBatch, m.status()));
    }
    if (!stopped && waited.compareTo(config.timeouts().step().minusMillis(10)) < 0) {
      timers.startSingleTimer(DEADLINE, new Deadline(m.version(), false), nextLook(waited));
      return Behaviors.same();
    }
    return failRun(
        LearnerStall.noBatch(config, buffer.path().toString(), m.version(), m.status(), m.error()));
  }

  private Behavior<Command> failRun(String reason) {
    ctx.getLog().error(reason);
    coordinator.tell(new Coordinator.LearnerFailed(reason));
    return Behaviors.stopped();
  }

  private Behavior<Command> onPostStop() {
    executor.execute(trainers::close);
    return Behaviors.same();
  }

  private void requestBatch() {
    if (!stopped && !stepping && buffer != null) {
      buffer.tell(new ReplayBuffer.TakeBatch(snapshot.version(), batchAdapter));
      waitingSince = System.nanoTime();
      timers.startSingleTimer(
          DEADLINE, new Deadline(snapshot.version(), false), nextLook(Duration.ZERO));
    }
  }

  /**
   * Waiting for a batch for {@code waited}: the next look at the buffer, at the step deadline or
   * sooner, every {@code r3.timeouts.starved}, to catch dynamic sampling's starvation.
   */
  private Duration nextLook(Duration waited) {
    Duration left = config.timeouts().step().minus(waited);
    Duration starved = config.timeouts().starved();
    return starved.isZero() || left.compareTo(starved) <= 0 ? left : starved;
  }

  /** Whether the step that publishes {@code version} is one a checkpoint is written at. */
  private boolean checkpointStep(long version) {
    int every = config.checkpoint().every();
    return version >= config.experiment().totalSteps() || (every > 0 && version % every == 0);
  }

  /** After an interrupt: the weights and optimizer state to the coordinator, off this thread. */
  private void exportState() {
    WeightsSnapshot w = snapshot;
    long next = nextGroupId;
    CompletableFuture.runAsync(
        () -> {
          OptimizerState opt = null;
          String error = null;
          try {
            opt = trainers.policy().optimizerState();
          } catch (RuntimeException | Error e) {
            error = String.valueOf(e);
          }
          coordinator.tell(new Coordinator.LearnerStopped(w, opt, next, error));
        },
        executor);
  }
}
