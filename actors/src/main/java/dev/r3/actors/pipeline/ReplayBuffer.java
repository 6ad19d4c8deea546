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
import dev.r3.actors.learning.WaitingGroups;
import dev.r3.actors.wire.WireMessage;
import dev.r3.env.Seeds;
import dev.r3.model.ModelConfig;
import dev.r3.model.RoutingRecord;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
  private final GroupRunner crew;
  private final StalenessGate gate;
  private final Ledger ledger;
  private final Chaos chaos;
  private final GroupAcceptance acceptance;
  private final WaitingGroups waiting;
  private final RunningGroups running;
  private final HeldBack held; // groups chaos holds back until they are stale
  private final RoutingAssembly routing = new RoutingAssembly();
  private RolloutCounters rolloutSinceBatch = RolloutCounters.NONE;
  // Rollout children that have not closed yet (running, or lingering for a cancelled attempt).
  private final Map<Long, GroupRunner.Launched> open = new HashMap<>();
  private long version;
  private long nextGroupId;
  private long accepted;
  private long nextBatchId;
  private TakeBatch demand;
  private ActorRef<Drained> drainReplyTo;
  private static final int USELESS_WARNING = 500;
  private long uselessInARow;
  private long tokensSinceBatch;
  private long lastBatchNanos = System.nanoTime();

  private ReplayBuffer(
      ActorContext<Command> ctx,
      TimerScheduler<Command> timers,
      R3Config config,
      ModelConfig model,
      GroupRunner crew,
      Origin origin,
      Chaos chaos) {
    this.ctx = ctx;
    this.chaos = chaos;
    this.timers = timers;
    this.config = config;
    this.crew = crew;
    this.gate = new StalenessGate(config.learner().staleness(), config.learner().batchGroups());
    this.ledger = origin.ledger() == null ? new Ledger() : Ledger.resumedFrom(origin.ledger());
    this.acceptance =
        new GroupAcceptance(
            ledger,
            model,
            config.algorithm().routing() == R3Config.Routing.R3,
            config.algorithm().dynamicSampling());
    this.waiting = new WaitingGroups(ledger, gate);
    this.running = new RunningGroups(crew.stations());
    this.held = new HeldBack(chaos.log());
    this.version = origin.version();
    this.nextGroupId = origin.nextGroupId();
    this.accepted = origin.acceptedGroups();
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
      open.remove(m.groupId());
    }
    if (!running.contains(m.groupId())) {
      return Behaviors.same();
    }
    m = assembled(m);
    if (drainReplyTo == null && chaos.holdGroup()) {
      // Delayed on its way: no longer running (it must not hold a place at the staleness gate,
      // or held groups could starve the learner), let in once it is past the staleness bound.
      release(m.groupId());
      held.hold(m);
      afterChange();
      return Behaviors.same();
    }
    if (!release(m.groupId())) {
      return Behaviors.same();
    }
    return accept(m);
  }

  private Behavior<Command> onRoutingPiece(RoutingPiece m) {
    if (running.contains(m.groupId())) {
      routing.add(m.groupId(), m.attempt(), m.sample(), m.from(), m.routing());
    }
    return Behaviors.same();
  }

  /** The group with its routing records assembled from their pieces (errors logged, named). */
  private GroupFinished assembled(GroupFinished m) {
    RoutingAssembly.Assembled a = routing.complete(m.groupId(), m.routingAttempt(), m.scored());
    for (String error : a.errors()) {
      ctx.getLog().error("group {}: {}", m.groupId(), error);
    }
    return new GroupFinished(
        m.groupId(),
        m.episodeSeed(),
        m.version(),
        a.scored(),
        m.worker(),
        m.seconds(),
        m.retries(),
        m.closed(),
        m.routingAttempt(),
        m.counters().plus(a.transport()));
  }

  /** A finished group, released from the running set, enters the ledger and the buffer. */
  private Behavior<Command> accept(GroupFinished m) {
    rolloutSinceBatch = rolloutSinceBatch.plus(m.counters());
    GroupAcceptance.Outcome a =
        acceptance.accept(m.groupId(), m.episodeSeed(), m.version(), version, m.scored());
    if (a.lostInCrash()) {
      held.ended(m.groupId(), "lost_in_crash");
      afterChange();
      return Behaviors.same();
    }
    tokensSinceBatch += a.tokens();
    for (String why : a.misaligned()) {
      ctx.getLog().error("dropping {}", why);
    }
    if (a.kept() != null) {
      accepted++;
      waiting.add(a.kept());
      uselessInARow = 0;
    } else {
      held.ended(m.groupId(), "dropped_all_equal_or_failed");
      if (++uselessInARow % USELESS_WARNING == 0) {
        ctx.getLog()
            .warn(
                "the last {} groups were all dropped (rewards all equal or failed): the policy may"
                    + " earn no reward at all (no warm start?); rollouts go on until the batch"
                    + " fills",
                uselessInARow);
      }
    }
    ctx.getLog()
        .debug(
            "group {} v{} from {}: kept={} failed={} all-equal={}",
            m.groupId(),
            m.version(),
            m.worker(),
            a.kept() != null,
            a.failed(),
            a.allEqual());
    afterChange();
    return Behaviors.same();
  }

  private Behavior<Command> onGroupAbandoned(GroupAbandoned m) {
    if (m.closed()) {
      open.remove(m.groupId());
    }
    if (release(m.groupId())) {
      if (m.delivered() > 0) {
        ledger.producedAndDropped(m.delivered(), m.reason());
      } else {
        ledger.abandoned(m.reason());
      }
      ctx.getLog().warn("group {} abandoned: {}", m.groupId(), m.why());
    }
    afterChange();
    return Behaviors.same();
  }

  private Behavior<Command> onLateTrajectories(LateTrajectories m) {
    ledger.producedAndDropped(m.count(), DropReason.TIMED_OUT);
    ctx.getLog()
        .info(
            "group {}: {} trajectories from {} arrived after their attempt timed out: dropped",
            m.groupId(),
            m.count(),
            m.worker());
    return Behaviors.same();
  }

  private Behavior<Command> onGroupClosed(GroupClosed m) {
    open.remove(m.groupId());
    afterChange();
    return Behaviors.same();
  }

  private Behavior<Command> onVersionAdvanced(VersionAdvanced m) {
    version = Math.max(version, m.version());
    afterChange();
    return Behaviors.same();
  }

  private Behavior<Command> onTakeBatch(TakeBatch m) {
    demand = m;
    version = Math.max(version, m.version());
    afterChange();
    return Behaviors.same();
  }

  private Behavior<Command> onBatchTrained(BatchTrained m) {
    ledger.trained(m.trajectories());
    return Behaviors.same();
  }

  private Behavior<Command> onDrain(Drain m) {
    drainReplyTo = m.replyTo();
    demand = null;
    timers.startSingleTimer(new DrainTimeout(false), config.timeouts().shutdown());
    afterChange();
    return Behaviors.same();
  }

  private Behavior<Command> onGetStatus(GetStatus m) {
    m.replyTo()
        .tell(
            new Status(
                ledger.counts(),
                version,
                waiting.size(),
                running.size(),
                accepted,
                routing.groups()));
    return Behaviors.same();
  }

  private Behavior<Command> onRewind(Rewind m) {
    long before = ledger.counts().droppedTotal();
    ledger.untrain(ledger.counts().trained() - m.trainedAtCheckpoint(), DropReason.LOST_IN_CRASH);
    ledger.dropInTraining(DropReason.LOST_IN_CRASH);
    for (ScoredGroup g : waiting.dropGeneratedAfter(m.version(), DropReason.LOST_IN_CRASH)) {
      held.ended(g.groupId(), "lost_in_crash");
    }
    running
        .admittedAfter(m.version())
        .forEach(
            (id, admittedAt) -> {
              GroupRunner.Launched child = open.get(id);
              if (child != null) {
                // Its attempts ask for weights no learner will publish again: it would wait for
                // ever.
                child.abort(
                    "admitted at v" + admittedAt + ", undone by the learner restart",
                    DropReason.LOST_IN_CRASH);
              }
            });
    version = m.version();
    accepted = m.acceptedGroups() + waiting.size();
    demand = null;
    ctx.getLog()
        .warn(
            "rewound to version {}: {} trajectories lost with the learner",
            m.version(),
            ledger.counts().droppedTotal() - before);
    afterChange();
    return Behaviors.same();
  }

  private Behavior<Command> onDrainTimeout(DrainTimeout m) {
    if (drainReplyTo == null || open.isEmpty()) {
      return Behaviors.same();
    }
    if (!m.last()) {
      ctx.getLog()
          .warn(
              "{} groups still open after {}; aborting them",
              open.size(),
              config.timeouts().shutdown());
      for (GroupRunner.Launched child : open.values()) {
        child.abort("run ended while the group was in flight");
      }
      timers.startSingleTimer(new DrainTimeout(true), config.timeouts().ask());
      return Behaviors.same();
    }
    ctx.getLog()
        .error("{} group rollouts did not answer the abort; giving up on them", open.size());
    for (Long id : new ArrayList<>(open.keySet())) {
      open.remove(id).giveUp(ctx);
      release(id);
    }
    afterChange();
    return Behaviors.same();
  }

  private Behavior<Command> onGroupPlaced(GroupPlaced m) {
    running.placed(m.groupId(), m.node());
    if (m.station() >= 0 && m.station() < running.stations()) {
      crew.placed(m.station(), m.node());
    }
    return Behaviors.same();
  }

  private Behavior<Command> onStationsJoined(StationsJoined m) {
    crew.addStations(m.stations());
    running.grow(crew.stations());
    ctx.getLog().info("{} rollout stations joined: {}", m.stations().size(), m.stations());
    afterChange();
    return Behaviors.same();
  }

  private Behavior<Command> onNodeLost(NodeLost m) {
    running.nodeGone(m.node());
    for (long id : running.lostWith(m.node(), crew::nodeOf, open::containsKey)) {
      reissue(id, "lost with node " + m.node());
    }
    afterChange();
    return Behaviors.same();
  }

  private Behavior<Command> onPlacementDue(PlacementDue m) {
    if (running.contains(m.groupId())
        && !running.isPlaced(m.groupId())
        && running.launches(m.groupId()) == m.launch()) {
      reissue(
          m.groupId(),
          "not taken by station "
              + running.stationOf(m.groupId())
              + " within "
              + config.timeouts().ask());
      afterChange();
    }
    return Behaviors.same();
  }

  /**
   * Cluster: nothing on the learner node times a remote rollout out (its deadlines run on its node
   * and are lost with it, as is a lost report), so a group may hold its place at the staleness gate
   * for {@code timeouts.group-lease} at most: re-issued if its node is gone, else dropped
   * timed_out.
   */
  private Behavior<Command> onLeaseExpired(LeaseExpired m) {
    long id = m.groupId();
    if (!running.contains(id) || running.launches(id) != m.launch()) {
      return Behaviors.same();
    }
    String why = "running longer than r3.timeouts.group-lease = " + config.timeouts().groupLease();
    if (running.onGoneNode(id, crew::nodeOf)) {
      reissue(id, why + " on a node that is gone");
    } else {
      GroupRunner.Launched rollout = open.remove(id);
      if (rollout != null) {
        rollout.abort(why, DropReason.TIMED_OUT);
      }
      ctx.getLog()
          .warn("group {} {} (station {}): dropped (timed_out)", id, why, running.stationOf(id));
      release(id);
      ledger.abandoned(DropReason.TIMED_OUT);
    }
    afterChange();
    return Behaviors.same();
  }

  // ---- the rules ----

  /** Cluster: launches a running group again at another station, or drops it after max-retries. */
  private void reissue(long id, String why) {
    open.remove(id);
    // Its routing pieces so far stay: the superseded launch may still report (a station that took
    // the group late), and each launch's pieces are assembled apart (RoutingAssembly).
    int losses = running.lost(id);
    if (drainReplyTo != null || losses > config.faults().maxRetries()) {
      release(id);
      ledger.abandoned(DropReason.NODE_LOST);
      ctx.getLog().warn("group {} {}: dropped (node_lost)", id, why);
      return;
    }
    int next = running.move(id);
    launch(running.order(id), next);
    ctx.getLog().warn("group {} {}: re-issued to station {}", id, why, next);
  }

  private void launch(GroupRollout.Order order, int station) {
    open.put(order.groupId(), crew.launch(ctx, order, station, config, chaos));
    if (crew.confirmsPlacement()) {
      int n = running.launched(order.groupId());
      timers.startSingleTimer(
          "placement-" + order.groupId(),
          new PlacementDue(order.groupId(), n),
          config.timeouts().ask());
      timers.startSingleTimer(
          "lease-" + order.groupId(),
          new LeaseExpired(order.groupId(), n),
          config.timeouts().groupLease());
    }
  }

  private void afterChange() {
    for (GroupFinished g :
        held.release(version, config.learner().staleness(), drainReplyTo != null)) {
      accept(g);
    }
    if (drainReplyTo != null) {
      finishDrainIfIdle();
      return;
    }
    serve();
    admit();
  }

  /** Starts groups while the staleness gate allows. */
  private void admit() {
    while (drainReplyTo == null && gate.mayAdmit(accepted, running.size(), version)) {
      long id = nextGroupId++;
      GroupRollout.Order order =
          new GroupRollout.Order(
              id,
              Seeds.episode(config.experiment().seed(), id),
              Seeds.sampling(config.experiment().seed(), id),
              version,
              config.rollout().groupSize());
      launch(order, running.admit(order, version));
    }
  }

  /** Answers the learner's demand once B fresh groups wait; stale ones are dropped first. */
  private void serve() {
    if (demand == null) {
      return;
    }
    for (ScoredGroup g : waiting.dropStale(version)) {
      accepted--; // the gate counts groups that can still be trained: this one no longer can
      held.ended(g.groupId(), "dropped_stale");
      ctx.getLog()
          .info("group {} (v{}) is stale at v{}: dropped", g.groupId(), g.version(), version);
    }
    List<ScoredGroup> groups = waiting.takeBatch();
    if (groups == null) {
      return;
    }
    long now = System.nanoTime();
    double rate = tokensSinceBatch / Math.max(1e-9, (now - lastBatchNanos) / 1e9);
    tokensSinceBatch = 0;
    lastBatchNanos = now;
    demand
        .replyTo()
        .tell(
            new Batch(
                nextBatchId++,
                version,
                groups,
                ledger.counts(),
                rate,
                nextGroupId,
                rolloutSinceBatch));
    rolloutSinceBatch = RolloutCounters.NONE;
    demand = null;
  }

  private void finishDrainIfIdle() {
    if (drainReplyTo == null || running.size() > 0 || !open.isEmpty()) {
      return;
    }
    for (ScoredGroup g : waiting.dropAll(DropReason.RUN_ENDED)) {
      held.ended(g.groupId(), "dropped_run_ended");
    }
    timers.cancelAll();
    drainReplyTo.tell(new Drained(ledger.counts()));
    drainReplyTo = null;
  }

  private boolean release(long groupId) {
    routing.discard(groupId);
    if (!running.release(groupId)) {
      return false;
    }
    if (crew.confirmsPlacement()) {
      timers.cancel("placement-" + groupId);
      timers.cancel("lease-" + groupId);
    }
    return true;
  }
}
