package dev.r3.actors.pipeline;

import dev.r3.actors.config.R3Config;
import dev.r3.actors.pipeline.RolloutWorker.Pong;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Notices a rollout worker that stops producing: every {@code interval} it pings each worker (an
 * ask with a timeout); a worker whose current batch has run longer than {@code stall-timeout}, or
 * that fails to answer twice in a row, is told to {@link RolloutWorker.Restart}, which its
 * supervisor turns into a restart (its in-flight work is answered as failed and re-issued).
 * Stateless apart from counters.
 */
public final class Watchdog {

  // ---- protocol (internal only) ----
  sealed interface Command extends NoSerializationVerificationNeeded permits Tick, PongResult {}

  private enum Tick implements Command {
    INSTANCE
  }

  private record PongResult(int worker, Pong pong, Throwable error) implements Command {}

  public static Behavior<Command> create(
      List<ActorRef<RolloutWorker.Command>> workers,
      R3Config.Watchdog settings,
      R3Config.Timeouts timeouts) {
    return Behaviors.setup(
        ctx ->
            Behaviors.withTimers(
                timers -> {
                  timers.startTimerWithFixedDelay(Tick.INSTANCE, settings.interval());
                  return new Watchdog(ctx, workers, settings, timeouts).behavior();
                }));
  }

  // ---- state ----
  private final ActorContext<Command> ctx;
  private final List<ActorRef<RolloutWorker.Command>> workers;
  private final R3Config.Watchdog settings;
  private final R3Config.Timeouts timeouts;
  private final Map<Integer, Integer> missed = new HashMap<>();
  private long restarts;

  private Watchdog(
      ActorContext<Command> ctx,
      List<ActorRef<RolloutWorker.Command>> workers,
      R3Config.Watchdog settings,
      R3Config.Timeouts timeouts) {
    this.ctx = ctx;
    this.workers = workers;
    this.settings = settings;
    this.timeouts = timeouts;
  }

  private Behavior<Command> behavior() {
    return Behaviors.receive(Command.class)
        .onMessage(Tick.class, t -> onTick())
        .onMessage(PongResult.class, this::onPong)
        .build();
  }

  private Behavior<Command> onTick() {
    for (int i = 0; i < workers.size(); i++) {
      int index = i;
      ctx.ask(
          Pong.class,
          workers.get(i),
          timeouts.ask(),
          RolloutWorker.Ping::new,
          (pong, err) -> new PongResult(index, pong, err));
    }
    return Behaviors.same();
  }

  private Behavior<Command> onPong(PongResult m) {
    ActorRef<RolloutWorker.Command> worker = workers.get(m.worker());
    if (m.pong() == null) {
      int n = missed.merge(m.worker(), 1, Integer::sum);
      ctx.getLog()
          .warn("worker {} did not answer the watchdog ({} in a row)", worker.path().name(), n);
      if (n >= 2) {
        restart(worker, "no answer to " + n + " pings");
        missed.remove(m.worker());
      }
      return Behaviors.same();
    }
    missed.remove(m.worker());
    if (m.pong().busy() && m.pong().busyMillis() > settings.stallTimeout().toMillis()) {
      restart(worker, "stalled: batch running for " + m.pong().busyMillis() + " ms");
    }
    return Behaviors.same();
  }

  private void restart(ActorRef<RolloutWorker.Command> worker, String why) {
    restarts++;
    ctx.getLog()
        .warn(
            "watchdog restarts worker {} ({}); restarts so far: {}",
            worker.path().name(),
            why,
            restarts);
    worker.tell(new RolloutWorker.Restart("watchdog: " + why));
  }
}
