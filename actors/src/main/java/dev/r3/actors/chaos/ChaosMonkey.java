package dev.r3.actors.chaos;

import dev.r3.actors.pipeline.RolloutWorker;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * Kills rollout workers at random moments (r3.chaos.worker-kills): at each learner step ({@link
 * StepDone}, from the coordinator), with probability per-step, it schedules a kill at a uniformly
 * random moment within max-delay, then picks a worker at random and tells it to fail ({@link
 * RolloutWorker.Restart}); its supervisor restarts it with backoff while its groups re-issue their
 * attempts. Kills follow steps, not wall time, so a run gets the same number of them on a fast or a
 * slow machine. A while after a kill it pings the worker: an answer counts the kill as handled
 * (restarted and answering). Loses nothing on restart (it only schedules faults); local to the
 * coordinator, its messages never cross a node.
 */
public final class ChaosMonkey {

  // ---- protocol ----
  public sealed interface Command permits StepDone, Kill, Check, GotPong {}

  /** The learner finished a step. */
  public record StepDone() implements Command, NoSerializationVerificationNeeded {}

  // ---- internal ----
  private record Kill() implements Command, NoSerializationVerificationNeeded {}

  private record Check(int worker) implements Command, NoSerializationVerificationNeeded {}

  private record GotPong(int worker, boolean answered)
      implements Command, NoSerializationVerificationNeeded {}

  public static Behavior<Command> create(
      List<ActorRef<RolloutWorker.Command>> workers, Chaos chaos, Duration recheck) {
    return Behaviors.setup(
        ctx ->
            Behaviors.withTimers(
                timers -> new ChaosMonkey(ctx, timers, workers, chaos, recheck).start()));
  }

  // ---- state ----
  private final ActorContext<Command> ctx;
  private final TimerScheduler<Command> timers;
  private final List<ActorRef<RolloutWorker.Command>> workers;
  private final Chaos chaos;
  private final Duration recheck;

  private ChaosMonkey(
      ActorContext<Command> ctx,
      TimerScheduler<Command> timers,
      List<ActorRef<RolloutWorker.Command>> workers,
      Chaos chaos,
      Duration recheck) {
    this.ctx = ctx;
    this.timers = timers;
    this.workers = workers;
    this.chaos = chaos;
    this.recheck = recheck;
  }

  private Behavior<Command> start() {
    return Behaviors.receive(Command.class)
        .onMessage(StepDone.class, this::onStepDone)
        .onMessage(Kill.class, this::onKill)
        .onMessage(Check.class, this::onCheck)
        .onMessage(GotPong.class, this::onPong)
        .build();
  }

  private Behavior<Command> onKill(Kill m) {
    int i = chaos.pick(workers.size());
    chaos.log().injected(ChaosLog.WORKER_KILL);
    ctx.getLog().info("chaos: killing rollout worker {}", workers.get(i).path().name());
    workers.get(i).tell(new RolloutWorker.Restart("chaos: injected kill"));
    timers.startSingleTimer("check-" + i + "-" + System.nanoTime(), new Check(i), recheck);
    return Behaviors.same();
  }

  private Behavior<Command> onStepDone(StepDone m) {
    ChaosSettings s = chaos.settings();
    if (chaos.draw() < s.killsPerStep()) {
      long delay = (long) (chaos.draw() * s.killMaxDelay().toMillis());
      timers.startSingleTimer(
          "kill-" + System.nanoTime(), new Kill(), Duration.ofMillis(Math.max(1, delay)));
    }
    return Behaviors.same();
  }

  private Behavior<Command> onCheck(Check m) {
    ctx.ask(
        RolloutWorker.Pong.class,
        workers.get(m.worker()),
        recheck,
        RolloutWorker.Ping::new,
        (pong, err) -> new GotPong(m.worker(), pong != null));
    return Behaviors.same();
  }

  private Behavior<Command> onPong(GotPong m) {
    chaos
        .log()
        .handled(
            ChaosLog.WORKER_KILL,
            m.answered() ? "restarted_by_supervisor_and_answering" : "not_answering_after_restart");
    return Behaviors.same();
  }
}
