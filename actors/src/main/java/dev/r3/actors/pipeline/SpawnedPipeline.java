package dev.r3.actors.pipeline;

import dev.r3.actors.chaos.Chaos;
import dev.r3.actors.config.R3Config;
import dev.r3.actors.monitor.Monitor;
import dev.r3.actors.monitor.MonitorSettings;
import dev.r3.actors.monitor.Supervised;
import dev.r3.actors.ports.Backends;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;

/**
 * The production {@link PipelineSpawner}: the monitor, the learner and the buffer as the
 * coordinator's children, the rollout side from the {@link Topology}; every actor reports its life
 * to the monitor.
 */
final class SpawnedPipeline implements PipelineSpawner {
  private final R3Config config;
  private final Backends backends;
  private final Topology topology;
  private final CompletableFuture<String> monitorUrl;
  private Supervised supervised = Supervised.NONE; // once the monitor is up

  SpawnedPipeline(
      R3Config config, Backends backends, Topology topology, CompletableFuture<String> monitorUrl) {
    this.config = config;
    this.backends = backends;
    this.topology = topology;
    this.monitorUrl = monitorUrl;
  }

  @Override
  public ActorRef<Monitor.Command> monitor(ActorContext<Coordinator.Command> ctx) {
    ActorRef<Monitor.Command> monitor =
        ctx.spawn(Monitor.create(MonitorSettings.from(config.source()), monitorUrl), "monitor");
    supervised = new Supervised(monitor);
    return monitor;
  }

  @Override
  public ActorRef<Learner.Command> learner(
      ActorContext<Coordinator.Command> ctx, String name, Learner.Origin origin, Chaos chaos) {
    return ctx.spawn(
        supervised.report(
            "learner",
            Learner.create(
                config,
                backends.trainers(),
                backends.initialWeights(),
                origin,
                ctx.getSelf(),
                chaos)),
        name);
  }

  @Override
  public ActorRef<ReplayBuffer.Command> buffer(
      ActorContext<Coordinator.Command> ctx,
      ReplayBuffer.Origin origin,
      Supplier<ActorRef<Learner.Command>> learner,
      Chaos chaos) {
    topology.monitor(supervised);
    GroupRunner crew = topology.rollouts(ctx, config, backends, learner, chaos);
    ActorRef<ReplayBuffer.Command> buffer =
        ctx.spawn(
            supervised.report(
                "buffer",
                ReplayBuffer.create(
                    config, backends.initialWeights().config(), crew, origin, chaos)),
            "buffer");
    topology.bufferStarted(buffer);
    return buffer;
  }
}
