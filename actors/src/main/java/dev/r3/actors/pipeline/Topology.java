package dev.r3.actors.pipeline;

import dev.r3.actors.chaos.Chaos;
import dev.r3.actors.config.R3Config;
import dev.r3.actors.ports.Backends;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;

/**
 * Where the rollout side of a run comes from: the {@link Coordinator} spawns the learner and the
 * buffer itself and asks its topology for the rest. {@link #local()} spawns workers, environment
 * and reward actors in this JVM (what {@code ./r3 train} does); the cluster topology finds them as
 * sharded entities on rollout nodes.
 */
public interface Topology {

  /**
   * Spawns (or finds) the rollout workers and their helpers; they take weights from the current
   * {@code learner} (a restarted learner is a new actor).
   */
  GroupRunner rollouts(
      ActorContext<Coordinator.Command> ctx,
      R3Config config,
      Backends backends,
      Supplier<ActorRef<Learner.Command>> learner,
      Chaos chaos);

  /**
   * The actors this topology spawns in this JVM report their life to the monitor through {@code
   * supervised} (called before {@link #rollouts}); a cluster's rollout nodes report theirs to the
   * same monitor over the network.
   */
  default void monitor(dev.r3.actors.monitor.Supervised supervised) {}

  /** The learner was restarted from a checkpoint: whoever takes weights follows the new one. */
  void learnerChanged(ActorRef<Learner.Command> learner);

  /** The learner finished a step (the chaos monkey schedules its kills by steps). */
  default void stepDone() {}

  /** The buffer is up: cluster events can now reach it. */
  default void bufferStarted(ActorRef<ReplayBuffer.Command> buffer) {}

  /** Sections added to summary.json (name to JSON-able value); none for one JVM. */
  default Map<String, Object> summarySections() {
    return Map.of();
  }

  /** Everything in this JVM (a new one per run: it knows the run's workers). */
  static Topology local() {
    return new LocalTopology();
  }
}
