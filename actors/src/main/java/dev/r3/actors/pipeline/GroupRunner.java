package dev.r3.actors.pipeline;

import dev.r3.actors.config.R3Config;
import dev.r3.actors.learning.DropReason;
import java.util.List;
import org.apache.pekko.actor.typed.javadsl.ActorContext;

/**
 * Where the {@link ReplayBuffer}'s group rollouts run: the seam between one JVM ({@link LocalCrew}:
 * {@link GroupRollout} children beside the buffer) and a cluster (the rollout runs on a rollout
 * node, next to its worker, environment and reward actors, and reports to the buffer over the
 * network). The buffer balances groups over {@link #stations()} and keeps the ledger either way.
 */
public interface GroupRunner {

  /** How many places a group can run at (workers in one JVM, worker entities in a cluster). */
  int stations();

  /** Starts the rollout of one group at {@code station}; it reports to the buffer. */
  Launched launch(
      ActorContext<ReplayBuffer.Command> ctx,
      GroupRollout.Order order,
      int station,
      R3Config config,
      dev.r3.actors.chaos.Chaos chaos);

  /** Stations added since the start (a rollout node joined); the one-JVM crew never grows. */
  default void addStations(List<String> ids) {
    throw new UnsupportedOperationException("this crew has a fixed set of workers");
  }

  /** A launched group was placed on {@code node} (cluster only: where its station lives now). */
  default void placed(int station, String node) {}

  /**
   * Whether a launched group is confirmed with {@link ReplayBuffer.GroupPlaced} (a cluster: a
   * launch can be lost with its node, and one not confirmed within {@code timeouts.ask} is
   * re-issued).
   */
  default boolean confirmsPlacement() {
    return false;
  }

  /** The node a station was last seen on (host:port); null when unknown or not a cluster. */
  default String nodeOf(int station) {
    return null;
  }

  /** A started group rollout, as far as the buffer can still reach it. */
  interface Launched {
    /** Cancel outstanding work and report what was delivered as dropped (end of the run). */
    void abort(String why);

    /**
     * Cancel outstanding work and report what was delivered as dropped for {@code reason} (a
     * learner restart undid the version the group was admitted at).
     */
    default void abort(String why, DropReason reason) {
      abort(why);
    }

    /** Stop waiting for it (it did not answer the abort). */
    void giveUp(ActorContext<ReplayBuffer.Command> ctx);
  }
}
