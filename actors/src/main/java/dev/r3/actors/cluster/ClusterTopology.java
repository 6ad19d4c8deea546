package dev.r3.actors.cluster;

import dev.r3.actors.chaos.Chaos;
import dev.r3.actors.config.R3Config;
import dev.r3.actors.pipeline.Coordinator;
import dev.r3.actors.pipeline.GroupRunner;
import dev.r3.actors.pipeline.Learner;
import dev.r3.actors.pipeline.ReplayBuffer;
import dev.r3.actors.pipeline.Topology;
import dev.r3.actors.ports.Backends;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * The cluster's answer to "where do the rollout actors come from": nowhere on this node. The
 * weights publisher follows the learner; groups go to the rollout stations of the ready nodes; the
 * learner node hears when the buffer is up; summary.json gets a {@code cluster} section.
 */
final class ClusterTopology implements Topology {
  private final ClusterSharding sharding;
  private final List<String> stations;
  private final ActorRef<WeightsPublisher.Command> publisher;
  private final ActorRef<LearnerNode.Command> node;
  private final ClusterRecord record;
  private final ActorRef<RemoteActors.Command> remoteActors;

  ClusterTopology(
      ClusterSharding sharding,
      List<String> stations,
      ActorRef<WeightsPublisher.Command> publisher,
      ActorRef<LearnerNode.Command> node,
      ClusterRecord record,
      ActorRef<RemoteActors.Command> remoteActors) {
    this.sharding = sharding;
    this.stations = List.copyOf(stations);
    this.publisher = publisher;
    this.node = node;
    this.record = record;
    this.remoteActors = remoteActors;
  }

  /** The rollout nodes' actors report to the run's monitor through {@link RemoteActors}. */
  @Override
  public void monitor(dev.r3.actors.monitor.Supervised supervised) {
    if (supervised.monitor() != null) {
      remoteActors.tell(new RemoteActors.MonitorUp(supervised.monitor()));
    }
  }

  @Override
  public GroupRunner rollouts(
      ActorContext<Coordinator.Command> ctx,
      R3Config config,
      Backends backends,
      Supplier<ActorRef<Learner.Command>> learner,
      Chaos chaos) {
    publisher.tell(new WeightsPublisher.Follow(learner.get()));
    return new ShardedCrew(sharding, stations, record);
  }

  @Override
  public void learnerChanged(ActorRef<Learner.Command> learner) {
    publisher.tell(new WeightsPublisher.Follow(learner));
  }

  @Override
  public void bufferStarted(ActorRef<ReplayBuffer.Command> buffer) {
    node.tell(new LearnerNode.BufferUp(buffer));
  }

  @Override
  public Map<String, Object> summarySections() {
    return Map.of("cluster", record.toJson());
  }
}
