package dev.r3.actors.pipeline;

import dev.r3.actors.chaos.Chaos;
import dev.r3.actors.config.R3Config;
import dev.r3.actors.monitor.Monitor;
import dev.r3.actors.ports.Backends;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;

/**
 * What the {@link Coordinator} runs with: the monitor, the learner (again after a restart) and the
 * buffer with the rollout side of its {@link Topology}. {@link #spawning} spawns the real actors as
 * the coordinator's children ({@link SpawnedPipeline}); a test hands in probes instead, to check
 * the coordinator's protocol alone. Called on the coordinator's thread, in this order: monitor,
 * learner, buffer.
 */
interface PipelineSpawner {

  ActorRef<Monitor.Command> monitor(ActorContext<Coordinator.Command> ctx);

  /** A learner named {@code name} (a restarted one gets a new name), starting at {@code origin}. */
  ActorRef<Learner.Command> learner(
      ActorContext<Coordinator.Command> ctx, String name, Learner.Origin origin, Chaos chaos);

  /** The buffer, whose rollouts take weights from the current {@code learner}. */
  ActorRef<ReplayBuffer.Command> buffer(
      ActorContext<Coordinator.Command> ctx,
      ReplayBuffer.Origin origin,
      Supplier<ActorRef<Learner.Command>> learner,
      Chaos chaos);

  /** The production pipeline: real actors, every one reporting its life to the monitor. */
  static PipelineSpawner spawning(
      R3Config config, Backends backends, Topology topology, CompletableFuture<String> monitorUrl) {
    return new SpawnedPipeline(config, backends, topology, monitorUrl);
  }
}
