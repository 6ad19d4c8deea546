package dev.r3.actors.cluster;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * The readiness check of a cluster node ({@code GET /ready} on Pekko Management, named in
 * reference.conf): ready once this node is an Up member of the cluster and, on a rollout node, its
 * stations are placed here (it can take work). Pekko Management builds it with the node's actor
 * system.
 */
public final class NodeReadiness implements Supplier<CompletionStage<Boolean>> {
  private final ActorSystem<?> system;

  public NodeReadiness(org.apache.pekko.actor.ActorSystem system) {
    this.system = Adapter.toTyped(system);
  }

  @Override
  public CompletionStage<Boolean> get() {
    return CompletableFuture.completedFuture(ready(system));
  }

  static boolean ready(ActorSystem<?> system) {
    Member self = Cluster.get(system).selfMember();
    if (self.status() != MemberStatus.up()) {
      return false;
    }
    return !self.hasRole(ClusterConfig.ROLLOUT_ROLE) || NodeHealth.get(system).areStationsPlaced();
  }
}
