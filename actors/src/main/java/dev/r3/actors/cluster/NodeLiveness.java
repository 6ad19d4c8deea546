package dev.r3.actors.cluster;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

/**
 * The liveness check of a cluster node ({@code GET /alive} on Pekko Management, named in
 * reference.conf): alive while the node's guardian (the learner node or the rollout node actor)
 * answers a ping within {@code pekko.management.health-checks.check-timeout}. A node whose guardian
 * has stopped (its run ended or was lost) or whose dispatcher is wedged is not alive; a node still
 * starting (no guardian registered yet) is.
 */
public final class NodeLiveness implements Supplier<CompletionStage<Boolean>> {
  private final ActorSystem<?> system;
  private final Duration timeout;

  public NodeLiveness(org.apache.pekko.actor.ActorSystem system) {
    this.system = Adapter.toTyped(system);
    this.timeout =
        system.settings().config().getDuration("pekko.management.health-checks.check-timeout");
  }

  @Override
  public CompletionStage<Boolean> get() {
    ActorRef<NodeHealth.Ping> guardian = NodeHealth.get(system).guardian();
    if (guardian == null) {
      return CompletableFuture.completedFuture(true);
    }
    // A little less than the check's own timeout, so that a silent guardian reads as "not alive".
    Duration ask = timeout.multipliedBy(4).dividedBy(5);
    return AskPattern.ask(guardian, NodeHealth.Ping::new, ask, system.scheduler())
        .thenApply(done -> true);
  }
}
