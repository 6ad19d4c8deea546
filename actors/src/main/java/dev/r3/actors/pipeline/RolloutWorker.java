package dev.r3.actors.pipeline;

import dev.r3.actors.learning.GroupPlayer;
import dev.r3.actors.learning.RolloutCounters;
import dev.r3.actors.learning.Trajectory;
import dev.r3.actors.learning.WeightsSnapshot;
import dev.r3.actors.ports.Generator;
import dev.r3.actors.wire.WireMessage;
import dev.r3.model.CoreShare;
import dev.r3.model.RoutingRecord;
import dev.r3.model.SamplingParams;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.PreRestart;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Owns one rollout engine holding one version of the weights and generates groups, one batch at a
 * time, on the rollout dispatcher: the actor itself stays responsive (weights, pings) while a batch
 * generates. A batch of a multi-turn task plays its episodes to their end, every turn on the same
 * engine. New weights are taken between batches; every trajectory is stamped with the version that
 * made it. A request that needs a newer version than the worker holds waits for it. Routing records
 * travel in pieces, each sent to the requester as soon as a turn has produced it ({@link
 * RoutingPiece}: only the positions not sent before), and the trajectories follow without them.
 *
 * <p>On restart (a failed batch, or the watchdog's {@link Restart}) the worker loses its engine and
 * its queue: every queued or in-flight request is answered {@link GenerationFailed} first, so the
 * requesters re-issue them. The weights come back from the learner, which the worker subscribes to
 * on start.
 */
public final class RolloutWorker {

  // ---- protocol ----
  public sealed interface Command extends WireMessage
      permits Generate,
          Cancel,
          UseWeights,
          RewindWeights,
          Ping,
          Restart,
          BatchDone,
          ContinuousRolloutWorker.SliceDone {}

  /**
   * Generate {@code samples} completions of one prompt with weights of at least {@code minVersion}.
   * The worker answers {@link Started} when the batch starts (the requester's generate deadline
   * runs from then, not from the time queued), then {@link Generated} or {@link GenerationFailed}.
   *
   * @param attempt the requester's attempt number, echoed in every reply (a re-issued group has a
   *     new one, so late replies of an earlier attempt are recognised)
   */
  public record Generate(
      long groupId,
      int attempt,
      long episodeSeed,
      int[] prompt,
      int samples,
      long minVersion,
      long samplingSeed,
      ActorRef<GenerateReply> replyTo)
      implements Command {
    /** This request, asking for weights of at most version {@code v} (after a rewind to v). */
    public Generate withMinVersionAtMost(long v) {
      return new Generate(
          groupId,
          attempt,
          episodeSeed,
          prompt,
          samples,
          Math.min(minVersion, v),
          samplingSeed,
          replyTo);
    }
  }

  /**
   * The requester gave up on an attempt (it timed out): a queued request is removed, a running
   * batch's result is discarded when it ends (never delivered, so never produced). Answered with
   * {@link GenerationFailed}; a result already sent before the cancel arrived stays sent.
   */
  public record Cancel(long groupId, int attempt) implements Command {}

  public record UseWeights(WeightsSnapshot snapshot) implements Command {}

  /**
   * The learner was restarted from an older checkpoint: use these weights even though they are
   * older, and start the queued requests with them (they asked for versions that are gone).
   */
  public record RewindWeights(WeightsSnapshot snapshot) implements Command {}

  /** The watchdog's liveness probe. */
  public record Ping(ActorRef<Pong> replyTo) implements Command {}

  /**
   * Makes the worker fail and be restarted by its supervisor (the watchdog's remedy for a stall). A
   * request issued before the worker's current incarnation started is void: it was meant for one
   * already replaced (otherwise a request that waited out a restart backoff would restart the new
   * incarnation at once, again and again).
   *
   * @param issuedAtMillis wall-clock time the request was made
   */
  public record Restart(String reason, long issuedAtMillis) implements Command {
    public Restart(String reason) {
      this(reason, System.currentTimeMillis());
    }
  }

  public sealed interface GenerateReply extends WireMessage
      permits Started, RoutingPiece, Generated, GenerationFailed {
    long groupId();

    int attempt();
  }

  /** The batch of this request started on the worker. */
  public record Started(long groupId, int attempt, String worker) implements GenerateReply {}

  /**
   * Positions {@code from .. from + routing.positions() - 1} of sample {@code sample}'s routing
   * record, sent as soon as the engine has them (a turn of a multi-turn episode: only the positions
   * no earlier piece held), before the batch's {@link Generated}.
   */
  public record RoutingPiece(long groupId, int attempt, int sample, int from, RoutingRecord routing)
      implements GenerateReply {}

  /**
   * The batch's trajectories. Those whose routing came in {@link RoutingPiece}s carry none (routing
   * null): the replay buffer assembles them.
   *
   * @param counters the batch's prefill and prefix-cache counters
   */
  public record Generated(
      long groupId,
      int attempt,
      String worker,
      long version,
      List<Trajectory> trajectories,
      double seconds,
      RolloutCounters counters)
      implements GenerateReply {
    /** Trajectories with their whole records and no counters. */
    public Generated(
        long groupId,
        int attempt,
        String worker,
        long version,
        List<Trajectory> trajectories,
        double seconds) {
      this(groupId, attempt, worker, version, trajectories, seconds, RolloutCounters.NONE);
    }
  }

  /**
   * @param started false when the request was still queued (the worker restarted before reaching
   *     it)
   */
  public record GenerationFailed(
      long groupId, int attempt, String worker, String reason, boolean started)
      implements GenerateReply {}

  /**
   * @param busyMillis how long the current batch has been running (0 when idle)
   */
  public record Pong(
      String worker, long version, boolean busy, long busyMillis, long batches, long queued)
      implements WireMessage {}

  // ---- internal ----
  private record BatchDone(
      long token,
      long version,
      Generator generator,
      List<Trajectory> result,
      RolloutCounters counters,
      Throwable error)
      implements Command, NoSerializationVerificationNeeded {}

  /** Thrown to restart the worker. */
  public static final class WorkerFailed extends RuntimeException {
    WorkerFailed(String message, Throwable cause) {
      // A requested restart (watchdog, chaos) has no cause and a stack that says nothing: the
      // supervisor's log line is then the message alone.
      super(message, cause, false, cause != null);
    }
  }

  private static final AtomicLong TOKENS = new AtomicLong();

  /**
   * @param subscribe called once at (re)start with the worker's ref: subscribes it to the learner's
   *     weights
   * @param sampling temperature, top-p, max tokens and eos; the seed comes with each request
   */
  public static Behavior<Command> create(
      String name,
      Generator.Factory generators,
      SamplingParams sampling,
      Consumer<ActorRef<Command>> subscribe) {
    return create(name, generators, GroupPlayer.singleTurn(sampling), subscribe);
  }

  /**
   * @param player plays a group on the worker's engine: one turn, or whole multi-turn episodes
   *     (every turn of a group with the same weights: new weights are taken between groups only)
   */
  public static Behavior<Command> create(
      String name,
      Generator.Factory generators,
      GroupPlayer player,
      Consumer<ActorRef<Command>> subscribe) {
    return Behaviors.setup(
        ctx -> {
          subscribe.accept(ctx.getSelf());
          return new RolloutWorker(ctx, name, generators, player).behavior();
        });
  }

  // ---- state ----
  private final ActorContext<Command> ctx;
  private final String name;
  private final long startedAtMillis = System.currentTimeMillis();
  private final Generator.Factory generators;
  private final GroupPlayer player;
  private final Executor executor;
  private final WaitingRequests queue;
  private WeightsSnapshot weights; // the newest version received
  private final WorkerEngine engine;
  private Generate inFlight;
  private boolean inFlightCancelled;
  private CompletableFuture<BatchDone> inFlightWork;
  private boolean inFlightOnHeldEngine; // not on an engine the batch opened
  private long inFlightToken;
  private long inFlightSince;
  private long batches;

  private RolloutWorker(
      ActorContext<Command> ctx, String name, Generator.Factory generators, GroupPlayer player) {
    this.ctx = ctx;
    this.name = name;
    this.generators = generators;
    this.player = player;
    this.queue = new WaitingRequests(name);
    this.engine = new WorkerEngine(name);
    this.executor =
        ctx.getSystem()
            .dispatchers()
            .lookup(DispatcherSelector.fromConfig("r3-rollout-dispatcher"));
  }

  private Behavior<Command> behavior() {
    return Behaviors.receive(Command.class)
        .onMessage(Generate.class, this::onGenerate)
        .onMessage(Cancel.class, this::onCancel)
        .onMessage(UseWeights.class, this::onUseWeights)
        .onMessage(RewindWeights.class, this::onRewindWeights)
        .onMessage(Ping.class, this::onPing)
        .onMessage(Restart.class, this::onRestart)
        .onMessage(BatchDone.class, this::onBatchDone)
        .onSignal(PreRestart.class, s -> onStopping("worker " + name + " restarting"))
        .onSignal(PostStop.class, s -> onStopping("worker " + name + " stopped"))
        .build();
  }

  private Behavior<Command> onGenerate(Generate m) {
    ctx.getLog()
        .debug(
            "{}: group {} queued (min v{}, have {})",
            name,
            m.groupId(),
            m.minVersion(),
            weights == null ? "none" : "v" + weights.version());
    queue.add(m);
    startNext();
    return Behaviors.same();
  }

  private Behavior<Command> onCancel(Cancel m) {
    if (inFlight != null && matches(inFlight, m)) {
      inFlightCancelled = true; // the batch cannot be interrupted: its result is dropped at the end
      return Behaviors.same();
    }
    queue.cancel(m);
    return Behaviors.same();
  }

  private static boolean matches(Generate g, Cancel c) {
    return g.groupId() == c.groupId() && g.attempt() == c.attempt();
  }

  private Behavior<Command> onUseWeights(UseWeights m) {
    ctx.getLog().debug("{}: weights v{} arrived", name, m.snapshot().version());
    if (weights == null || m.snapshot().version() > weights.version()) {
      weights = m.snapshot();
      startNext();
    }
    return Behaviors.same();
  }

  private Behavior<Command> onRewindWeights(RewindWeights m) {
    long v = m.snapshot().version();
    ctx.getLog().info("{}: rewound to weights v{}", name, v);
    weights = m.snapshot();
    queue.rewind(v);
    startNext();
    return Behaviors.same();
  }

  private Behavior<Command> onPing(Ping m) {
    long busy = inFlight == null ? 0 : (System.nanoTime() - inFlightSince) / 1_000_000;
    m.replyTo()
        .tell(new Pong(name, engine.version(), inFlight != null, busy, batches, queue.size()));
    return Behaviors.same();
  }

  private Behavior<Command> onRestart(Restart m) {
    return onRestart(ctx, name, startedAtMillis, m);
  }

  /**
   * Both workers' answer to the watchdog: a restart asked of an earlier incarnation is void;
   * otherwise the worker fails, and its supervisor restarts it.
   */
  static <T> Behavior<T> onRestart(
      ActorContext<T> ctx, String name, long startedAtMillis, Restart m) {
    if (m.issuedAtMillis() < startedAtMillis) {
      ctx.getLog()
          .info("{}: restart request ({}) predates this incarnation: void", name, m.reason());
      return Behaviors.same();
    }
    throw new WorkerFailed("worker " + name + ": " + m.reason(), null);
  }

  private Behavior<Command> onBatchDone(BatchDone m) {
    if (inFlight == null || m.token() != inFlightToken) {
      return Behaviors.same(); // a batch from before a restart: its requester was already told
    }
    Generate req = inFlight;
    boolean cancelled = inFlightCancelled;
    inFlight = null;
    inFlightCancelled = false;
    engine.adopt(m.generator(), m.version());
    if (m.error() != null) {
      req.replyTo()
          .tell(
              new GenerationFailed(
                  req.groupId(), req.attempt(), name, "generation failed: " + m.error(), true));
      throw new WorkerFailed(
          "worker " + name + " failed on group " + req.groupId() + ": " + m.error(), m.error());
    }
    batches++;
    if (cancelled) {
      req.replyTo()
          .tell(new GenerationFailed(req.groupId(), req.attempt(), name, "cancelled", true));
      startNext();
      return Behaviors.same();
    }
    double seconds = (System.nanoTime() - inFlightSince) / 1e9;
    List<Trajectory> shipped = new ArrayList<>(m.result().size());
    for (Trajectory t : m.result()) {
      shipped.add(t.withRouting(null)); // sent in pieces already
    }
    req.replyTo()
        .tell(
            new Generated(
                req.groupId(), req.attempt(), name, m.version(), shipped, seconds, m.counters()));
    startNext();
    return Behaviors.same();
  }

  private Behavior<Command> onStopping(String why) {
    boolean engineInUse = inFlight != null && inFlightOnHeldEngine;
    if (inFlight != null) {
      inFlight
          .replyTo()
          .tell(new GenerationFailed(inFlight.groupId(), inFlight.attempt(), name, why, true));
      inFlight = null;
      inFlightCancelled = false;
      // This incarnation never sees the batch's BatchDone: its engine (still in use on the rollout
      // dispatcher) is closed when the batch ends, or its native memory would leak.
      inFlightWork.whenComplete(
          (done, err) -> {
            if (done != null) {
              engine.closeQuietly(done.generator());
            }
          });
    }
    engine.stop(engineInUse);
    queue.failAll(why);
    return Behaviors.same();
  }

  /**
   * Starts the head of the queue when idle and the weights are new enough; switches engines between
   * batches.
   */
  private void startNext() {
    if (inFlight != null
        || queue.isEmpty()
        || weights == null
        || weights.version() < queue.peek().minVersion()) {
      return;
    }
    Generate req = queue.poll();
    WeightsSnapshot w = weights;
    Generator current = engine.of(w.version());
    long token = TOKENS.incrementAndGet();
    inFlight = req;
    req.replyTo().tell(new Started(req.groupId(), req.attempt(), name));
    inFlightOnHeldEngine = current != null;
    inFlightToken = token;
    inFlightSince = System.nanoTime();
    CompletableFuture<BatchDone> work =
        CompletableFuture.supplyAsync(
            () -> {
              Generator g = current != null ? current : generators.open(w.weights());
              try (CoreShare.Section cores = generators.cores().enter(CoreShare.Role.ROLLOUT)) {
                List<Trajectory> t =
                    player.play(
                        g,
                        w.version(),
                        req.groupId(),
                        req.episodeSeed(),
                        req.prompt(),
                        req.samples(),
                        req.samplingSeed(),
                        (sample, from, piece) ->
                            req.replyTo()
                                .tell(
                                    new RoutingPiece(
                                        req.groupId(), req.attempt(), sample, from, piece)));
                RolloutCounters counters = RolloutMetrics.afterBatch(g, t);
                return new BatchDone(token, w.version(), g, t, counters, null);
              } catch (RuntimeException | Error e) {
                return new BatchDone(token, w.version(), g, null, null, e);
              }
            },
            executor);
    inFlightWork = work;
    ctx.pipeToSelf(
        work,
        (done, err) ->
            done != null ? done : new BatchDone(token, w.version(), null, null, null, err));
  }
}
