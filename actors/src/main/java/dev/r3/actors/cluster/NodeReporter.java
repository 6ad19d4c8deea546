package dev.r3.actors.cluster;

import dev.r3.actors.monitor.ActorGauges;
import dev.r3.actors.monitor.Monitor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * On a rollout node: the monitor of its supervised actors (stations, workers, environments,
 * rewards, watchdogs). It takes the {@link Monitor} events their {@code Supervised} wrappers send
 * (started, failed, restarting, stopped) and passes them to the learner node's {@link RemoteActors}
 * in batches, every event at once and every actor's counters each {@link #EVERY}, so the run's
 * monitor page shows this node's actors beside the learner's.
 *
 * <p>Loses on restart: events not yet sent (at most one interval's worth). Not supervised.
 */
final class NodeReporter {

  // ---- protocol ----
  sealed interface Command extends NoSerializationVerificationNeeded permits Local, Flush {}

  /** An event from a supervised actor on this node. */
  record Local(Monitor.Command event) implements Command {}

  // ---- internal ----
  private enum Flush implements Command {
    INSTANCE
  }

  static final Duration EVERY = Duration.ofSeconds(2);

  /**
   * @param learner the learner node's {@link RemoteActors}
   * @param node this node (host:port)
   */
  static Behavior<Command> create(ActorRef<RemoteActors.Command> learner, String node) {
    return Behaviors.setup(
        ctx ->
            Behaviors.withTimers(
                timers -> new NodeReporter(ctx, timers, learner, node).behavior()));
  }

  // ---- state ----
  private record Watched(String role, ActorGauges gauges) {}

  private final ActorRef<RemoteActors.Command> learner;
  private final String node;
  private final Map<String, Watched> actors = new LinkedHashMap<>();
  private final List<RemoteActors.ActorEvent> events = new ArrayList<>();

  private NodeReporter(
      ActorContext<Command> ctx,
      TimerScheduler<Command> timers,
      ActorRef<RemoteActors.Command> learner,
      String node) {
    this.learner = learner;
    this.node = node;
    timers.startTimerWithFixedDelay(Flush.INSTANCE, EVERY);
  }

  private Behavior<Command> behavior() {
    return Behaviors.receive(Command.class)
        .onMessage(Local.class, this::onLocal)
        .onMessage(Flush.class, m -> onFlush())
        .build();
  }

  private Behavior<Command> onLocal(Local m) {
    Monitor.Command e = m.event();
    if (e instanceof Monitor.ActorStarted s) {
      actors.put(s.path(), new Watched(s.role(), s.gauges()));
      events.add(event(s.path(), "started", null, s.at()));
    } else if (e instanceof Monitor.ActorFailed f) {
      events.add(event(f.path(), "failed", f.error(), f.at()));
    } else if (e instanceof Monitor.ActorRestarting r) {
      events.add(event(r.path(), "restarting", null, r.at()));
    } else if (e instanceof Monitor.ActorStopped s) {
      events.add(event(s.path(), "stopped", null, s.at()));
    }
    send();
    return Behaviors.same();
  }

  private Behavior<Command> onFlush() {
    for (String path : actors.keySet()) {
      events.add(event(path, "gauges", null, System.currentTimeMillis()));
    }
    send();
    return Behaviors.same();
  }

  private void send() {
    if (!events.isEmpty()) {
      learner.tell(new RemoteActors.Report(node, List.copyOf(events)));
      events.clear();
    }
  }

  private RemoteActors.ActorEvent event(String path, String kind, String error, long at) {
    Watched w = actors.get(path);
    ActorGauges g = w == null ? new ActorGauges() : w.gauges();
    return new RemoteActors.ActorEvent(
        path,
        w == null ? "" : w.role(),
        kind,
        error,
        at,
        g.messages(),
        g.processingNanos(),
        g.lastMessageMillis(),
        g.busy(),
        g.children());
  }
}
