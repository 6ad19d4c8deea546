package dev.r3.actors.cluster;

import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.Address;
import org.apache.pekko.cluster.sharding.ShardCoordinator;
import scala.collection.immutable.IndexedSeq;
import scala.concurrent.Future;

/**
 * Places each rollout station's shard (one station per shard, the shard id is the station id) on
 * the node it was made for: a station id is {@code <host>:<port>-w<k>}, named by the rollout node
 * that announced it. When that node is gone (lost, downed) the shard goes to the region with the
 * fewest shards, which is how a lost node's stations move to the survivors. Nothing is rebalanced:
 * a station that moved stays where it is (moving it again would cut its group rollouts short).
 */
final class StationAllocation extends ShardCoordinator.AbstractShardAllocationStrategy {
  private final Address self;

  /**
   * @param self this node's address (the local region's ref carries no host and port)
   */
  StationAllocation(Address self) {
    this.self = self;
  }

  /** The station id of engine {@code k} of the node at {@code hostPort}. */
  static String stationId(String hostPort, int k) {
    return hostPort + "-w" + k;
  }

  /** The node a station was made for. */
  static String homeOf(String stationId) {
    int i = stationId.lastIndexOf("-w");
    return i < 0 ? "" : stationId.substring(0, i);
  }

  static String hostPort(Address a) {
    return a.host().isDefined() ? a.host().get() + ":" + a.port().get() : "";
  }

  @Override
  public Future<ActorRef> allocateShard(
      ActorRef requester, String shardId, Map<ActorRef, IndexedSeq<String>> current) {
    String home = homeOf(shardId);
    ActorRef fewest = null;
    int least = Integer.MAX_VALUE;
    for (Map.Entry<ActorRef, IndexedSeq<String>> e : current.entrySet()) {
      Address a = e.getKey().path().address();
      String at = hostPort(a.hasLocalScope() ? self : a);
      if (at.equals(home)) {
        return Future.successful(e.getKey());
      }
      if (e.getValue().size() < least) {
        least = e.getValue().size();
        fewest = e.getKey();
      }
    }
    return Future.successful(fewest == null ? requester : fewest);
  }

  @Override
  public Future<Set<String>> rebalance(
      Map<ActorRef, IndexedSeq<String>> current, Set<String> inProgress) {
    return Future.successful(Set.of());
  }
}
