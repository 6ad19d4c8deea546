package dev.r3.actors.pipeline;

import dev.r3.actors.chaos.Chaos;
import dev.r3.actors.config.R3Config;
import dev.r3.actors.learning.DropReason;
import dev.r3.actors.learning.GroupAcceptance;
import dev.r3.actors.learning.Ledger;
import dev.r3.actors.learning.LedgerCounts;
import dev.r3.actors.learning.RolloutCounters;
import dev.r3.actors.learning.RoutingAssembly;
import dev.r3.actors.learning.ScoredGroup;
import dev.r3.actors.learning.ScoredTrajectory;
import dev.r3.actors.learning.StalenessGate;
import dev.r3.actors.wire.WireMessage;
import dev.r3.env.Seeds;
import dev.r3.model.ModelConfig;
import dev.r3.model.RoutingRecord;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * Keeps scored GRPO groups for the learner and decides when new groups start: a group is admitted
 * only while {@code accepted + running < (eta + v + 1) * B} ({@link StalenessGate}), and each
 * admitted group is rolled out by a {@link GroupRollout} child. A finished group loses its failed
 * samples and, under dynamic sampling, is dropped whole when its rewards are all equal; a group
 * that reaches the learner more than eta versions after it was generated is dropped as stale. The
 * {@link Ledger} records all of it.
 *
 * <p>Batches hold the B lowest group ids waiting, in id order, so that the batch does not depend on
 * the order rollouts finished in. The buffer is not restarted: losing it would lose the ledger.
 *
 * <p>The actor keeps the protocol, the learner's version, the next group id and the drain; the
 * rules live in plain classes it owns: {@link GroupIntake} (finished groups into the ledger and the
 * waiting set, and every drop of a waiting group), {@link BatchServing} (the learner's request and
 * the batches) and {@link LaunchedGroups} (launches, routing pieces, and in a cluster placement,
 * re-issue and leases).
 */
public final class ReplayBuffer {

  // ---- protocol ----
  public sealed interface Command extends WireMessage
      permits GroupFinished,
          RoutingPiece,
          GroupAbandoned,
          LateTrajectories,
          GroupClosed,
          VersionAdvanced,
          TakeBatch,
          BatchTrained,
          Drain,
          GetStatus,
          Rewind,
          DrainTimeout,
          GroupPlaced,
          StationsJoined,
          NodeLost,
          PlacementDue,
          LeaseExpired {}

  /**
   * From a {@link GroupRollout}: the group's scored samples, generated at {@code version}. Samples
   * without a routing record get the one their {@link RoutingPiece}s of {@code routingAttempt} make
   * ({@link RoutingAssembly}).
   *
   * @param closed the rollout has nothing outstanding; otherwise a {@link GroupClosed} follows
   * @param counters the batch's prefill counters
   */
  public record GroupFinished(
      long groupId,
      long episodeSeed,
      long version,
      List<ScoredTrajectory> scored,
      String worker,
      double seconds,
      int retries,
      boolean closed,
      String routingAttempt,
      RolloutCounters counters)
      implements Command {}

  /**
   * From a {@link GroupRollout}, as the worker produced it: positions {@code from ..} of the
   * routing record of sample {@code sample}, shipped by attempt {@code attempt} (see {@link
   * RoutingAssembly}).
   */
  public record RoutingPiece(
      long groupId, String attempt, int sample, int from, RoutingRecord routing)
      implements Command {}

  /**
   * From a {@link GroupRollout}: the group could not be rolled out.
   *
   * @param delivered trajectories a worker had delivered for it (produced, now dropped for {@code
   *     reason}); 0 when generation never succeeded
   * @param closed the rollout has nothing outstanding; otherwise a {@link GroupClosed} follows
   */
  public record GroupAbandoned(
      long groupId, int delivered, DropReason reason, String why, boolean closed)
      implements Command {}

  /**
   * From a {@link GroupRollout}: a timed-out attempt's result arrived after all (it raced the
   * cancel): produced, and dropped as {@code timed_out}.
   */
  public record LateTrajectories(long groupId, int count, String worker) implements Command {}

  /** From a {@link GroupRollout}: every attempt it issued is answered; it has stopped. */
  public record GroupClosed(long groupId) implements Command {}

  /** The learner published {@code version}. */
  public record VersionAdvanced(long version) implements Command {}

  /**
   * The learner, at {@code version}, wants the next batch; answered when B fresh groups are
   * waiting.
   */
  public record TakeBatch(long version, ActorRef<Batch> replyTo) implements Command {}

  /** The learner finished its step on a batch. */
  public record BatchTrained(long batchId, long trajectories) implements Command {}

  /**
   * End of run: admit nothing more, wait for running groups, drop what is left, answer with the
   * ledger.
   */
  public record Drain(ActorRef<Drained> replyTo) implements Command {}

  public record GetStatus(ActorRef<Status> replyTo) implements Command {}

  /** Cluster: the station of a launched group took it, on {@code node} (host:port). */
  public record GroupPlaced(long groupId, int station, String node) implements Command {}

  /** Cluster: a rollout node joined with these worker entities. */
  public record StationsJoined(List<String> stations) implements Command {}

  /**
   * Cluster: {@code node} (host:port) was downed. Its running groups are re-issued elsewhere (the
   * same seeds); a group lost this way more than {@code max-retries} times is dropped {@code
   * node_lost}.
   */
  public record NodeLost(String node) implements Command {}

  /**
   * The learner was restarted from the checkpoint of {@code version}: what was trained after it
   * (and the batch in training) is dropped as lost_in_crash, as are waiting groups generated after
   * it and those still running that come back from a newer version; admission goes on from there.
   *
   * @param trainedAtCheckpoint the ledger's trained count at the checkpoint
   * @param acceptedGroups groups trained on up to the checkpoint
   */
  public record Rewind(long version, long trainedAtCheckpoint, long acceptedGroups)
      implements Command {}

  /**
   * @param rolloutTokensPerSecond generated tokens per second of wall time since the previous batch
   * @param nextGroupId the first group id not yet admitted when the batch left: where a run resumed
   *     from the step trained on this batch starts admitting again
   * @param rollout prefill and routing-transport counters of the groups finished since the previous
   *     batch
   */
  public record Batch(
      long batchId,
      long version,
      List<ScoredGroup> groups,
      LedgerCounts ledger,
      double rolloutTokensPerSecond,
      long nextGroupId,
      RolloutCounters rollout)
      implements WireMessage {
    public long trajectories() {
      long n = 0;
      for (ScoredGroup g : groups) {
        n += g.members().size();
      }
      return n;
    }
  }

  public record Drained(LedgerCounts ledger) implements WireMessage {}

  /**
   * @param assembling groups whose routing pieces the buffer holds (each a running group's)
   */
  public record Status(
      LedgerCounts ledger, long version, int queued, int running, long accepted, int assembling)
      implements WireMessage {
    public Status(LedgerCounts ledger, long version, int queued, int running, long accepted) {
      this(ledger, version, queued, running, accepted, 0);
    }
  }

  // ---- internal ----
  /**
   * @param last the second timeout: rollouts that did not answer the abort are given up
   */
  private record DrainTimeout(boolean last) implements Command, NoSerializationVerificationNeeded {}

  /** Cluster: the launch of {@code groupId} (number {@code launch}) should be confirmed by now. */
  private record PlacementDue(long groupId, int launch)
      implements Command, NoSerializationVerificationNeeded {}

  /**
   * Cluster: launch number {@code launch} of {@code groupId} has run {@code timeouts.group-lease}.
   */
  private record LeaseExpired(long groupId, int launch)
      implements Command, NoSerializationVerificationNeeded {}

  /**
   * Where the buffer starts: version 0 of a new run, or the checkpoint of a resumed one.
   *
   * @param acceptedGroups groups already trained on (the staleness gate counts them)
   * @param ledger the checkpoint's ledger (what it had buffered or in training is dropped as
   *     lost_in_crash); null for a new run
   */
  public record Origin(long version, long nextGroupId, long acceptedGroups, LedgerCounts ledger) {
    public static final Origin FRESH = new Origin(0, 0, 0, null);
  }

  public static Behavior<Command> create(R3Config config, ModelConfig model, GroupRunner crew) {
    return create(config, model, crew, Origin.FRESH);
  }

  public static Behavior<Command> create(
      R3Config config, ModelConfig model, GroupRunner crew, Origin origin) {
    return create(config, model, crew, origin, Chaos.NONE);
  }

  /**
   * @param chaos holds some finished groups back past the staleness bound, and corrupts result
   *     frames of the group rollouts (r3.chaos)
   */
  public static Behavior<Command> create(
      R3Config config, ModelConfig model, GroupRunner crew, Origin origin, Chaos chaos) {
    return Behaviors.setup(
        ctx ->
            Behaviors.withTimers(
                timers ->
                    new ReplayBuffer(ctx, timers, config, model, crew, origin, chaos).start()));
  }

  // ---- state ----
  private final ActorContext<Command> ctx;
  private final TimerScheduler<Command> timers;
  private final R3Config config;
  private final Chaos chaos;
  private final StalenessGate gate;
  private final Ledger ledger;
  private final GroupIntake intake;
  private final BatchServing serving;
  private final LaunchedGroups launches;
  private long version;
  private long nextGroupId;
  private ActorRef<Drained> drainReplyTo;

  private ReplayBuffer(
      ActorContext<Command> ctx,
      TimerScheduler<Command> timers,
      R3Config config,
      ModelConfig model,
      GroupRunner crew,
      Origin origin,
      Chaos chaos) {
    this.ctx = ctx;
    this.timers = timers;
    this.config = config;
    this.chaos = chaos;
    this.gate = new StalenessGate(config.learner().staleness(), config.learner().batchGroups());
    this.ledger = origin.ledger() == null ? new Ledger() : Ledger.resumedFrom(origin.ledger());
    boolean r3 = config.algorithm().routing() == R3Config.Routing.R3;
    var acceptance = new GroupAcceptance(ledger, model, r3, config.algorithm().dynamicSampling());
    var held = new HeldBack(chaos.log()); // groups chaos holds back until they are stale
    this.intake =
        new GroupIntake(ledger, acceptance, gate, held, origin.acceptedGroups(), ctx.getLog());
    this.serving = new BatchServing(intake, ledger, System::nanoTime);
    this.launches =
        new LaunchedGroups(
            crew,
            (order, station) -> crew.launch(ctx, order, station, config, chaos),
            launchTimers(),
            ledger,
            config.faults().maxRetries(),
            config.timeouts().ask(),
            config.timeouts().groupLease(),
            ctx.getLog());
    this.version = origin.version();
    this.nextGroupId = origin.nextGroupId();
  }

  private Behavior<Command> start() {
    admit();
    return Behaviors.receive(Command.class)
        .onMessage(GroupFinished.class, this::onGroupFinished)
        .onMessage(RoutingPiece.class, this::onRoutingPiece)
        .onMessage(GroupAbandoned.class, this::onGroupAbandoned)
        .onMessage(LateTrajectories.class, this::onLateTrajectories)
        .onMessage(GroupClosed.class, this::onGroupClosed)
        .onMessage(VersionAdvanced.class, this::onVersionAdvanced)
        .onMessage(TakeBatch.class, this::onTakeBatch)
        .onMessage(BatchTrained.class, this::onBatchTrained)
        .onMessage(Drain.class, this::onDrain)
        .onMessage(GetStatus.class, this::onGetStatus)
        .onMessage(Rewind.class, this::onRewind)
        .onMessage(DrainTimeout.class, this::onDrainTimeout)
        .onMessage(GroupPlaced.class, this::onGroupPlaced)
        .onMessage(StationsJoined.class, this::onStationsJoined)
        .onMessage(NodeLost.class, this::onNodeLost)
        .onMessage(PlacementDue.class, this::onPlacementDue)
        .onMessage(LeaseExpired.class, this::onLeaseExpired)
        .build();
  }

  private Behavior<Command> onGroupFinished(GroupFinished m) {
    if (m.closed()) {
      launches.closed(m.groupId());
    }
    if (!launches.isRunning(m.groupId())) {
      return Behaviors.same();
    }
    m = launches.assembled(m);
    if (drainReplyTo == null && chaos.holdGroup()) {
      // Delayed on its way: no longer running (it must not hold a place at the staleness gate,
      // or held groups could starve the learner), let in once it is past the staleness bound.
      launches.release(m.groupId());
      intake.hold(m);
      return changed();
    }
    if (!launches.release(m.groupId())) {
      return Behaviors.same();
    }
    return accept(m);
  }

  private Behavior<Command> onRoutingPiece(RoutingPiece m) {
    launches.piece(m);
    return Behaviors.same();
  }

  private Behavior<Command> onGroupAbandoned(GroupAbandoned m) {
    if (m.closed()) {
      launches.closed(m.groupId());
    }
    if (launches.release(m.groupId())) {
      intake.abandoned(m);
    }
    return changed();
  }

  private Behavior<Command> onLateTrajectories(LateTrajectories m) {
    intake.lateTrajectories(m);
    return Behaviors.same();
  }

  private Behavior<Command> onGroupClosed(GroupClosed m) {
    launches.closed(m.groupId());
    return changed();
  }

  private Behavior<Command> onVersionAdvanced(VersionAdvanced m) {
    version = Math.max(version, m.version());
    return changed();
  }

  private Behavior<Command> onTakeBatch(TakeBatch m) {
    serving.demand(m);
    version = Math.max(version, m.version());
    return changed();
  }

  private Behavior<Command> onBatchTrained(BatchTrained m) {
    ledger.trained(m.trajectories());
    return Behaviors.same();
  }

  private Behavior<Command> onDrain(Drain m) {
    drainReplyTo = m.replyTo();
    serving.forgetDemand();
    timers.startSingleTimer(new DrainTimeout(false), config.timeouts().shutdown());
    return changed();
  }

  private Behavior<Command> onGetStatus(GetStatus m) {
    m.replyTo()
        .tell(
            new Status(
                ledger.counts(),
                version,
                intake.waiting(),
                launches.running(),
                intake.accepted(),
                launches.assembling()));
    return Behaviors.same();
  }

  private Behavior<Command> onRewind(Rewind m) {
    long lost = intake.rewind(m);
    launches.abortAdmittedAfter(m.version());
    version = m.version();
    serving.forgetDemand();
    ctx.getLog()
        .warn("rewound to version {}: {} trajectories lost with the learner", m.version(), lost);
    return changed();
  }

  private Behavior<Command> onDrainTimeout(DrainTimeout m) {
    if (drainReplyTo == null || launches.openRollouts() == 0) {
      return Behaviors.same();
    }
    if (!m.last()) {
      ctx.getLog()
          .warn(
              "{} groups still open after {}; aborting them",
              launches.openRollouts(),
              config.timeouts().shutdown());
      launches.abortOpen("run ended while the group was in flight");
      timers.startSingleTimer(new DrainTimeout(true), config.timeouts().ask());
      return Behaviors.same();
    }
    ctx.getLog()
        .error(
            "{} group rollouts did not answer the abort; giving up on them",
            launches.openRollouts());
    launches.giveUpOpen(rollout -> rollout.giveUp(ctx));
    return changed();
  }

  private Behavior<Command> onGroupPlaced(GroupPlaced m) {
    launches.placed(m);
    return Behaviors.same();
  }

  private Behavior<Command> onStationsJoined(StationsJoined m) {
    launches.stationsJoined(m.stations());
    return changed();
  }

  private Behavior<Command> onNodeLost(NodeLost m) {
    launches.nodeLost(m.node(), drainReplyTo != null);
    return changed();
  }

  private Behavior<Command> onPlacementDue(PlacementDue m) {
    boolean reissued = launches.placementDue(m.groupId(), m.launch(), drainReplyTo != null);
    return reissued ? changed() : Behaviors.same();
  }

  private Behavior<Command> onLeaseExpired(LeaseExpired m) {
    boolean acted = launches.leaseExpired(m.groupId(), m.launch(), drainReplyTo != null);
    return acted ? changed() : Behaviors.same();
  }

  // ---- the rules ----

  /**
   * A finished group, released from the running set, enters the ledger and the buffer; what follows
   * a change follows each group (a batch may leave, groups start) before the next goes in.
   */
  private Behavior<Command> accept(GroupFinished m) {
    serving.finished(m.counters(), intake.accept(m, version));
    return changed();
  }

  /**
   * After any change: held groups that may go in do (each through {@link #accept}), then the drain
   * ends, or a batch leaves and groups start.
   */
  private Behavior<Command> changed() {
    for (GroupFinished g :
        intake.releaseHeld(version, config.learner().staleness(), drainReplyTo != null)) {
      accept(g);
    }
    if (drainReplyTo != null) {
      finishDrainIfIdle();
    } else {
      serving.serve(version, nextGroupId);
      admit();
    }
    return Behaviors.same();
  }

  /** Starts groups while the staleness gate allows. */
  private void admit() {
    while (drainReplyTo == null && gate.mayAdmit(intake.accepted(), launches.running(), version)) {
      long id = nextGroupId++;
      long seed = config.experiment().seed();
      launches.admit(
          new GroupRollout.Order(
              id,
              Seeds.episode(seed, id),
              Seeds.sampling(seed, id),
              version,
              config.rollout().groupSize()),
          version);
    }
  }

  private void finishDrainIfIdle() {
    if (drainReplyTo == null || !launches.idle()) {
      return;
    }
    intake.dropWaiting();
    timers.cancelAll();
    drainReplyTo.tell(new Drained(ledger.counts()));
    drainReplyTo = null;
  }

  /** Cluster: each launch is confirmed within timeouts.ask and holds its place for the lease. */
  private LaunchedGroups.LaunchTimers launchTimers() {
    return new LaunchedGroups.LaunchTimers() {
      @Override
      public void start(long groupId, int launch) {
        Duration ask = config.timeouts().ask();
        timers.startSingleTimer("placement-" + groupId, new PlacementDue(groupId, launch), ask);
        timers.startSingleTimer(
            "lease-" + groupId, new LeaseExpired(groupId, launch), config.timeouts().groupLease());
      }

      @Override
      public void cancel(long groupId) {
        timers.cancel("placement-" + groupId);
        timers.cancel("lease-" + groupId);
      }
    };
  }
}
