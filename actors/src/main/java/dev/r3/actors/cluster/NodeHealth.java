package dev.r3.actors.cluster;

import org.apache.pekko.Done;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * What a cluster node's health checks read ({@link NodeReadiness}, {@link NodeLiveness}, served by
 * Pekko Management as {@code /ready} and {@code /alive}): whether this rollout node's stations are
 * placed here, and where to ping the node's guardian. One per actor system.
 */
public final class NodeHealth implements Extension {

  /** Answered with {@link Done} by the node's guardian. */
  public record Ping(ActorRef<Done> replyTo) implements NoSerializationVerificationNeeded {}

  private static final Id ID = new Id();

  private volatile boolean stationsPlaced;
  private volatile ActorRef<Ping> guardian;

  public static NodeHealth get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  /** A rollout node's stations are registered here (its shard region is known to the cluster). */
  void stationsPlaced() {
    stationsPlaced = true;
  }

  boolean areStationsPlaced() {
    return stationsPlaced;
  }

  /** The node's guardian answers {@link Ping}s sent here. */
  void guardian(ActorRef<Ping> ref) {
    guardian = ref;
  }

  /** null before the guardian has started. */
  ActorRef<Ping> guardian() {
    return guardian;
  }

  private static final class Id extends ExtensionId<NodeHealth> {
    @Override
    public NodeHealth createExtension(ActorSystem<?> system) {
      return new NodeHealth();
    }
  }
}
