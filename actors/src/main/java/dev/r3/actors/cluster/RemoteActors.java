package dev.r3.actors.cluster;

import dev.r3.actors.monitor.ActorGauges;
import dev.r3.actors.monitor.Monitor;
import dev.r3.actors.wire.WireMessage;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * On the learner node: the supervision reports of the rollout nodes' actors (stations, workers,
 * environments, rewards, watchdogs), handed to the run's {@link Monitor} as if they lived here, so
 * the monitor page's supervision tree shows the whole cluster: each actor with its node, state,
 * restarts, failures and message counters. Reports that arrive before the monitor is up are kept
 * (bounded) and replayed. When a node is lost its actors are marked stopped.
 *
 * <p>Loses on restart: the per-path counters (the monitor keeps each actor's history). It is not
 * supervised: nothing waits for it.
 */
public final class RemoteActors {

  public static final ServiceKey<Command> KEY =
      ServiceKey.create(Command.class, "r3-actor-reports");

  // ---- protocol ----
  public sealed interface Command permits Report, MonitorUp, NodeGone {}

  /** From a rollout node's {@link NodeReporter}: what happened to its actors since the last one. */
  public record Report(String node, List<ActorEvent> events) implements Command, WireMessage {}

  /**
   * One supervision event (or, {@code kind = gauges}, the counters alone) of the actor at {@code
   * path} on the reporting node.
   *
   * @param kind started, failed, restarting, stopped or gauges
   */
  public record ActorEvent(
      String path,
      String role,
      String kind,
      String error,
      long at,
      long messages,
      long processingNanos,
      long lastMessageMillis,
      int busy,
      int children) {}

  /** The run's monitor is up (from {@link ClusterTopology}). */
  record MonitorUp(ActorRef<Monitor.Command> monitor)
      implements Command, NoSerializationVerificationNeeded {}

  /** A rollout node was removed: its actors are gone with it. */
  record NodeGone(String node) implements Command, NoSerializationVerificationNeeded {}

  /** Events kept while no monitor is up; older ones are dropped past this. */
  static final int MAX_PENDING = 10_000;

  public static Behavior<Command> create() {
    return Behaviors.setup(
        ctx -> {
          ctx.getSystem().receptionist().tell(Receptionist.register(KEY, ctx.getSelf()));
          return new RemoteActors(ctx).behavior();
        });
  }

  // ---- state ----
  private record Seen(String node, String role, ActorGauges gauges) {}

  private final ActorContext<Command> ctx;
  private final Map<String, Seen> actors = new HashMap<>();
  private final List<Report> pending = new ArrayList<>();
  private int pendingEvents;
  private ActorRef<Monitor.Command> monitor;

  private RemoteActors(ActorContext<Command> ctx) {
    this.ctx = ctx;
  }

  private Behavior<Command> behavior() {
    return Behaviors.receive(Command.class)
        .onMessage(Report.class, this::onReport)
        .onMessage(MonitorUp.class, this::onMonitorUp)
        .onMessage(NodeGone.class, this::onNodeGone)
        .build();
  }

  private Behavior<Command> onReport(Report m) {
    if (monitor == null) {
      pending.add(m);
      pendingEvents += m.events().size();
      while (pendingEvents > MAX_PENDING && !pending.isEmpty()) {
        pendingEvents -= pending.remove(0).events().size();
      }
      return Behaviors.same();
    }
    for (ActorEvent e : m.events()) {
      apply(m.node(), e);
    }
    return Behaviors.same();
  }

  private Behavior<Command> onMonitorUp(MonitorUp m) {
    monitor = m.monitor();
    for (Report r : pending) {
      for (ActorEvent e : r.events()) {
        apply(r.node(), e);
      }
    }
    pending.clear();
    pendingEvents = 0;
    return Behaviors.same();
  }

  private Behavior<Command> onNodeGone(NodeGone m) {
    long now = System.currentTimeMillis();
    for (Map.Entry<String, Seen> e : actors.entrySet()) {
      if (e.getValue().node().equals(m.node()) && monitor != null) {
        monitor.tell(new Monitor.ActorFailed(e.getKey(), "node " + m.node() + " lost", now));
        monitor.tell(new Monitor.ActorStopped(e.getKey(), now));
      }
    }
    actors.values().removeIf(s -> s.node().equals(m.node()));
    return Behaviors.same();
  }

  private void apply(String node, ActorEvent e) {
    Seen seen = actors.get(e.path());
    if (seen == null || !seen.node().equals(node)) {
      // A new actor, or a station that moved to another node: counters of its own.
      seen = new Seen(node, e.role(), new ActorGauges());
      actors.put(e.path(), seen);
    }
    seen.gauges()
        .reported(e.messages(), e.processingNanos(), e.lastMessageMillis(), e.busy(), e.children());
    String address = "pekko://" + ClusterConfig.SYSTEM + "@" + node;
    switch (e.kind()) {
      case "started" ->
          monitor.tell(
              new Monitor.ActorStarted(e.path(), e.role(), address, seen.gauges(), e.at()));
      case "failed" -> monitor.tell(new Monitor.ActorFailed(e.path(), e.error(), e.at()));
      case "restarting" -> monitor.tell(new Monitor.ActorRestarting(e.path(), e.at()));
      case "stopped" -> monitor.tell(new Monitor.ActorStopped(e.path(), e.at()));
      case "gauges" -> {
        // the counters alone
      }
      default -> ctx.getLog().warn("unknown actor event {} from {}", e.kind(), node);
    }
  }
}
