package dev.r3.actors.cluster;

import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.apache.pekko.cluster.sharding.typed.ShardingMessageExtractor;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityContext;

/**
 * The sharding of rollout stations, the same on every node: one station per shard (the shard id is
 * the station id, so {@link StationAllocation} can place it on its node), on nodes of role {@code
 * rollout}. The learner node inits it as a proxy.
 */
final class StationShards {
  private StationShards() {}

  static final class OnePerShard
      extends ShardingMessageExtractor<
          ShardingEnvelope<RolloutStation.Command>, RolloutStation.Command> {
    @Override
    public String entityId(ShardingEnvelope<RolloutStation.Command> e) {
      return e.entityId();
    }

    @Override
    public String shardId(String entityId) {
      return entityId;
    }

    @Override
    public RolloutStation.Command unwrapMessage(ShardingEnvelope<RolloutStation.Command> e) {
      return e.message();
    }
  }

  /** On the learner node: a proxy to the stations, hosting none. */
  static void initProxy(ClusterSharding sharding) {
    sharding.init(
        Entity.of(
                RolloutStation.TYPE,
                (EntityContext<RolloutStation.Command> ec) ->
                    org.apache.pekko.actor.typed.javadsl.Behaviors.<RolloutStation.Command>empty())
            .withRole(ClusterConfig.ROLLOUT_ROLE)
            .withMessageExtractor(new OnePerShard()));
  }

  /** On a rollout node: hosts stations, each placed on its home node. */
  static void initHost(
      ClusterSharding sharding,
      org.apache.pekko.actor.Address self,
      java.util.function.Function<
              String, org.apache.pekko.actor.typed.Behavior<RolloutStation.Command>>
          station) {
    sharding.init(
        Entity.of(
                RolloutStation.TYPE,
                (EntityContext<RolloutStation.Command> ec) -> station.apply(ec.getEntityId()))
            .withRole(ClusterConfig.ROLLOUT_ROLE)
            .withAllocationStrategy(new StationAllocation(self))
            .withMessageExtractor(new OnePerShard()));
  }
}
