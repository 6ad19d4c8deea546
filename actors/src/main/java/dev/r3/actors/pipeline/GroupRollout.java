package dev.r3.actors.pipeline;

import dev.r3.actors.chaos.Chaos;
import dev.r3.actors.config.R3Config;
import dev.r3.actors.learning.DropReason;
import dev.r3.actors.pipeline.EnvironmentActor.MakePrompt;
import dev.r3.actors.pipeline.EnvironmentActor.Prompt;
import dev.r3.actors.pipeline.EnvironmentActor.PromptReply;
import dev.r3.actors.pipeline.RewardActor.Score;
import dev.r3.actors.pipeline.RewardActor.Scored;
import dev.r3.actors.pipeline.RolloutWorker.Cancel;
import dev.r3.actors.pipeline.RolloutWorker.Generate;
import dev.r3.actors.pipeline.RolloutWorker.GenerateReply;
import dev.r3.actors.pipeline.RolloutWorker.Generated;
import dev.r3.actors.pipeline.RolloutWorker.GenerationFailed;
import dev.r3.actors.pipeline.RolloutWorker.RoutingPiece;
import dev.r3.actors.pipeline.RolloutWorker.Started;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.serialization.SerializationExtension;

/**
 * The life of one admitted group, as a per-request child of the {@link ReplayBuffer}: ask an
 * environment actor for the prompt, a rollout worker for G samples, the reward actor for their
 * scores, then report to the buffer and stop. The worker's routing pieces of the current attempt
 * are passed on to the buffer as they arrive, ahead of the report (one sender, so in order). A
 * failed or timed-out step is re-issued (generation goes to the next worker) up to {@code
 * max-retries} times, after which the group is reported abandoned with a reason the ledger records.
 * The same seeds are sent on every retry, so a re-issued group yields the same samples.
 *
 * <p>Generation is not an ask: its deadline ({@code timeouts.generate}) runs from the moment the
 * worker reports the batch {@link Started}, so time spent queued behind other groups on a busy
 * worker never times healthy work out ({@code timeouts.queue} bounds the wait in the queue). A
 * timed-out attempt is cancelled on its worker; if its result was already on its way it still
 * arrives here and is reported as {@link ReplayBuffer.LateTrajectories} (produced, dropped {@code
 * timed_out}). So that such a result is never lost, the child lingers after its report until every
 * attempt it issued has been answered (at most {@code timeouts.ask}), then tells the buffer {@link
 * ReplayBuffer.GroupClosed}.
 *
 * <p>The ledger's <em>produced</em> counts trajectories delivered here by a worker: a batch that is
 * cancelled, or whose worker restarts, before it delivers is discarded on the worker and never
 * produced.
 */
public final class GroupRollout {

  // ---- protocol ----
  public sealed interface Command extends NoSerializationVerificationNeeded
      permits Abort, PromptResult, WorkerReply, AttemptTimedOut, ScoreResult, LingerOver {}

  /**
   * From the buffer, when the run's drain times out (or a learner restart undid the version the
   * group was admitted at): cancel outstanding work, report what was delivered as dropped for
   * {@code reason}, stop.
   */
  public record Abort(String why, DropReason reason) implements Command {
    public Abort(String why) {
      this(why, DropReason.RUN_ENDED);
    }
  }

  // ---- internal ----
  private record PromptResult(PromptReply reply, Throwable error) implements Command {}

  private record WorkerReply(GenerateReply reply) implements Command {}

  private record AttemptTimedOut(int attempt, boolean started) implements Command {}

  private record ScoreResult(Scored reply, Throwable error) implements Command {}

  private enum LingerOver implements Command {
    INSTANCE
  }

  private enum Phase {
    PROMPT,
    GENERATING,
    SCORING,
    REPORTED
  }

  /**
   * What to roll out: the group, its seeds and the oldest weights version it may use (the same on
   * every re-issue, so a re-issued group yields the same samples).
   */
  public record Order(
      long groupId, long episodeSeed, long samplingSeed, long minVersion, int samples)
      implements dev.r3.actors.wire.WireMessage {}

  /** What to roll out and with whom. */
  public record Spec(
      long groupId,
      long episodeSeed,
      long samplingSeed,
      long minVersion,
      int samples,
      ActorRef<EnvironmentActor.Command> env,
      List<ActorRef<RolloutWorker.Command>> workers,
      int firstWorker,
      ActorRef<RewardActor.Command> reward,
      R3Config.Timeouts timeouts,
      int maxRetries) {

    /** An order rolled out by these actors (the same worker first, then the next ones). */
    public static Spec of(
        Order o,
        ActorRef<EnvironmentActor.Command> env,
        List<ActorRef<RolloutWorker.Command>> workers,
        int firstWorker,
        ActorRef<RewardActor.Command> reward,
        R3Config.Timeouts timeouts,
        int maxRetries) {
      return new Spec(
          o.groupId(),
          o.episodeSeed(),
          o.samplingSeed(),
          o.minVersion(),
          o.samples(),
          env,
          workers,
          firstWorker,
          reward,
          timeouts,
          maxRetries);
    }
  }

  public static Behavior<Command> create(Spec spec, ActorRef<ReplayBuffer.Command> parent) {
    return create(spec, parent, Chaos.NONE);
  }

  /** With {@code chaos}: workers' result frames may be corrupted on the wire (r3.chaos). */
  public static Behavior<Command> create(
      Spec spec, ActorRef<ReplayBuffer.Command> parent, Chaos chaos) {
    return Behaviors.setup(
        ctx ->
            Behaviors.withTimers(
                timers -> {
                  GroupRollout g = new GroupRollout(ctx, timers, spec, parent, chaos);
                  g.askPrompt();
                  return g.behavior();
                }));
  }

  // ---- state ----
  private static final int MAX_REQUEUES = 100;
  private static final String ATTEMPT_TIMER = "attempt";
  private final ActorContext<Command> ctx;
  private final TimerScheduler<Command> timers;
  private final Spec spec;
  private final ActorRef<ReplayBuffer.Command> parent;
  private final ActorRef<GenerateReply> replies;
  private final Chaos chaos;
  // Attempts sent to a worker that has not yet answered with a result or a failure.
  private final Map<Integer, ActorRef<RolloutWorker.Command>> outstanding = new HashMap<>();
  // Names this rollout's attempts to the buffer's routing assembly (unique across re-launches).
  private final String rolloutKey = Long.toHexString(ThreadLocalRandom.current().nextLong());
  private Phase phase = Phase.PROMPT;
  private int failures; // of the current step, against max-retries
  private int retries;
  private int requeues;
  private int offset;
  private int attempt; // the current generation attempt (each Generate sent gets a new number)
  private int[] prompt;
  private Generated generated;

  private GroupRollout(
      ActorContext<Command> ctx,
      TimerScheduler<Command> timers,
      Spec spec,
      ActorRef<ReplayBuffer.Command> parent,
      Chaos chaos) {
    this.ctx = ctx;
    this.chaos = chaos;
    this.timers = timers;
    this.spec = spec;
    this.parent = parent;
    this.replies = ctx.messageAdapter(GenerateReply.class, WorkerReply::new);
  }

  private Behavior<Command> behavior() {
    return Behaviors.receive(Command.class)
        .onMessage(PromptResult.class, this::onPrompt)
        .onMessage(WorkerReply.class, this::onWorkerReply)
        .onMessage(AttemptTimedOut.class, this::onAttemptTimedOut)
        .onMessage(ScoreResult.class, this::onScored)
        .onMessage(Abort.class, this::onAbort)
        .onMessage(LingerOver.class, m -> close())
        .build();
  }

  private void askPrompt() {
    ctx.ask(
        PromptReply.class,
        spec.env(),
        spec.timeouts().env(),
        r -> new MakePrompt(spec.groupId(), spec.episodeSeed(), r),
        PromptResult::new);
  }

  private void sendGenerate() {
    List<ActorRef<RolloutWorker.Command>> ws = spec.workers();
    ActorRef<RolloutWorker.Command> worker =
        ws.get((spec.firstWorker() + failures + offset) % ws.size());
    attempt++;
    outstanding.put(attempt, worker);
    worker.tell(
        new Generate(
            spec.groupId(),
            attempt,
            spec.episodeSeed(),
            prompt,
            spec.samples(),
            spec.minVersion(),
            spec.samplingSeed(),
            replies));
    timers.startSingleTimer(
        ATTEMPT_TIMER, new AttemptTimedOut(attempt, false), spec.timeouts().queue());
  }

  private void askScore() {
    ctx.ask(
        Scored.class,
        spec.reward(),
        spec.timeouts().score(),
        r -> new Score(spec.groupId(), generated.trajectories(), r),
        ScoreResult::new);
  }

  private Behavior<Command> onPrompt(PromptResult m) {
    if (phase != Phase.PROMPT) {
      return Behaviors.same();
    }
    if (m.reply() instanceof Prompt p) {
      prompt = p.tokens();
      failures = 0;
      phase = Phase.GENERATING;
      sendGenerate();
      return Behaviors.same();
    }
    return retryOrAbandon(
        "prompt", String.valueOf(m.reply()), m.error(), DropReason.FAILED_EPISODE, this::askPrompt);
  }

  private Behavior<Command> onWorkerReply(WorkerReply m) {
    GenerateReply r = m.reply();
    if (r instanceof Generated g && chaos.enabled()) {
      r = chaos.overTheWire(g, SerializationExtension.get(Adapter.toClassic(ctx.getSystem())));
    }
    boolean current = phase == Phase.GENERATING && r.attempt() == attempt;
    if (r instanceof RoutingPiece p) {
      if (current) { // a superseded attempt's pieces are not this group's any more
        parent.tell(
            new ReplayBuffer.RoutingPiece(
                spec.groupId(), attemptKey(), p.sample(), p.from(), p.routing()));
      }
      return Behaviors.same();
    }
    if (r instanceof Started) {
      if (current) {
        timers.startSingleTimer(
            ATTEMPT_TIMER, new AttemptTimedOut(attempt, true), spec.timeouts().generate());
      }
      return Behaviors.same();
    }
    outstanding.remove(r.attempt());
    if (!current) {
      if (r instanceof Generated late) {
        // A superseded attempt's result raced its cancel: it was generated and delivered, so it is
        // produced, and dropped.
        parent.tell(
            new ReplayBuffer.LateTrajectories(
                spec.groupId(), late.trajectories().size(), late.worker()));
      }
      return phase == Phase.REPORTED && outstanding.isEmpty() ? close() : Behaviors.same();
    }
    timers.cancel(ATTEMPT_TIMER);
    if (r instanceof Generated g) {
      generated = g;
      failures = 0;
      phase = Phase.SCORING;
      askScore();
      return Behaviors.same();
    }
    GenerationFailed f = (GenerationFailed) r;
    if (!f.started() && requeues++ < MAX_REQUEUES) {
      // Lost from a restarting worker's queue before it started: not this group's fault, no
      // attempt used.
      offset++;
      sendGenerate();
      return Behaviors.same();
    }
    return retryOrAbandon(
        "generation", f.toString(), null, DropReason.WORKER_FAILED, this::sendGenerate);
  }

  private Behavior<Command> onAttemptTimedOut(AttemptTimedOut m) {
    if (phase != Phase.GENERATING || m.attempt() != attempt) {
      return Behaviors.same();
    }
    ActorRef<RolloutWorker.Command> worker = outstanding.get(m.attempt());
    if (worker != null) {
      worker.tell(new Cancel(spec.groupId(), m.attempt()));
    }
    Duration limit = m.started() ? spec.timeouts().generate() : spec.timeouts().queue();
    String why =
        (m.started() ? "batch running" : "queued without starting")
            + " longer than "
            + limit
            + " on "
            + (worker == null ? "?" : worker.path().name());
    return retryOrAbandon("generation", why, null, DropReason.WORKER_FAILED, this::sendGenerate);
  }

  private Behavior<Command> onScored(ScoreResult m) {
    if (phase != Phase.SCORING) {
      return Behaviors.same();
    }
    if (m.reply() != null) {
      phase = Phase.REPORTED;
      parent.tell(
          new ReplayBuffer.GroupFinished(
              spec.groupId(),
              spec.episodeSeed(),
              generated.version(),
              m.reply().scored(),
              generated.worker(),
              generated.seconds(),
              retries,
              outstanding.isEmpty(),
              attemptKey(),
              generated.counters()));
      return afterReport();
    }
    return retryOrAbandon("scoring", null, m.error(), DropReason.FAILED_EPISODE, this::askScore);
  }

  private Behavior<Command> onAbort(Abort m) {
    for (var e : outstanding.entrySet()) {
      e.getValue().tell(new Cancel(spec.groupId(), e.getKey()));
    }
    outstanding.clear(); // results after the run's end are not delivered: never produced
    if (phase == Phase.REPORTED) {
      return close();
    }
    int delivered = delivered();
    phase = Phase.REPORTED;
    parent.tell(
        new ReplayBuffer.GroupAbandoned(spec.groupId(), delivered, m.reason(), m.why(), true));
    return Behaviors.stopped();
  }

  private Behavior<Command> retryOrAbandon(
      String what, String reply, Throwable error, DropReason reason, Runnable again) {
    String why =
        error != null ? error.getClass().getSimpleName() + ": " + error.getMessage() : reply;
    failures++;
    if (failures > spec.maxRetries()) {
      ctx.getLog()
          .warn(
              "group {}: {} failed {} times, abandoning it ({})",
              spec.groupId(),
              what,
              failures,
              why);
      int delivered = delivered();
      phase = Phase.REPORTED;
      parent.tell(
          new ReplayBuffer.GroupAbandoned(
              spec.groupId(), delivered, reason, what + ": " + why, outstanding.isEmpty()));
      return afterReport();
    }
    retries++;
    ctx.getLog()
        .info(
            "group {}: {} failed ({}), re-issuing (attempt {})",
            spec.groupId(),
            what,
            why,
            failures + 1);
    again.run();
    return Behaviors.same();
  }

  /** The current attempt as the buffer's routing assembly knows it. */
  private String attemptKey() {
    return rolloutKey + "/" + attempt;
  }

  /** Trajectories a worker delivered for this group and that are still this group's. */
  private int delivered() {
    return phase == Phase.SCORING && generated != null ? generated.trajectories().size() : 0;
  }

  private Behavior<Command> afterReport() {
    if (outstanding.isEmpty()) {
      return Behaviors.stopped();
    }
    timers.cancel(ATTEMPT_TIMER);
    timers.startSingleTimer(LingerOver.INSTANCE, spec.timeouts().ask());
    return Behaviors.same();
  }

  private Behavior<Command> close() {
    if (!outstanding.isEmpty()) {
      ctx.getLog()
          .warn(
              "group {}: {} cancelled attempt(s) unanswered after {}; closing",
              spec.groupId(),
              outstanding.size(),
              spec.timeouts().ask());
    }
    parent.tell(new ReplayBuffer.GroupClosed(spec.groupId()));
    return Behaviors.stopped();
  }
}
