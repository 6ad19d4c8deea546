package dev.r3.actors.cluster;

import dev.r3.actors.config.R3Config;
import dev.r3.actors.pipeline.GroupRollout;
import dev.r3.actors.pipeline.GroupRunner;
import dev.r3.actors.pipeline.ReplayBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;

/**
 * The buffer's crew in a cluster: the rollout stations (sharded entities, one per engine) of every
 * rollout node that joined. A group is launched at a station by id; sharding finds its node. Owned
 * by the buffer (called on its thread only).
 */
final class ShardedCrew implements GroupRunner {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ShardedCrew.class);
  private final ClusterSharding sharding;
  private final ClusterRecord record;
  private final List<String> stations = new ArrayList<>();
  private final Map<Integer, String> lastNode = new HashMap<>();

  ShardedCrew(ClusterSharding sharding, List<String> stations, ClusterRecord record) {
    this.sharding = sharding;
    this.record = record;
    this.stations.addAll(stations);
  }

  @Override
  public int stations() {
    return stations.size();
  }

  @Override
  public Launched launch(
      ActorContext<ReplayBuffer.Command> ctx,
      GroupRollout.Order order,
      int station,
      R3Config config,
      dev.r3.actors.chaos.Chaos chaos) {
    EntityRef<RolloutStation.Command> ref =
        sharding.entityRefFor(RolloutStation.TYPE, stations.get(station));
    ref.tell(new RolloutStation.Launch(order, station, ctx.getSelf()));
    long id = order.groupId();
    return new Launched() {
      @Override
      public void abort(String why) {
        ref.tell(new RolloutStation.AbortGroup(id, why));
      }

      @Override
      public void giveUp(ActorContext<ReplayBuffer.Command> c) {
        // Nothing to stop here: the rollout lives on its node and ends with its own timeouts.
      }
    };
  }

  @Override
  public void addStations(List<String> ids) {
    for (String id : ids) {
      if (!stations.contains(id)) {
        stations.add(id);
      }
    }
  }

  @Override
  public boolean confirmsPlacement() {
    return true;
  }

  @Override
  public String nodeOf(int station) {
    String seen = lastNode.get(station);
    return seen != null ? seen : StationAllocation.homeOf(stations.get(station));
  }

  @Override
  public void placed(int station, String node) {
    double first = record.placed(node);
    if (!Double.isNaN(first)) {
      LOG.info(
          "first group on node {}, {} s after it was ready",
          node,
          String.format(java.util.Locale.ROOT, "%.1f", first));
    }
    String before = lastNode.put(station, node);
    if (before != null && !before.equals(node)) {
      record.shardMoved();
    }
  }
}
