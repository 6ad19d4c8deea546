package dev.r3.actors.pipeline;

import dev.r3.actors.config.R3Config;
import dev.r3.actors.learning.EpisodePlayer;
import dev.r3.actors.learning.GroupPlayer;
import dev.r3.actors.monitor.Supervised;
import dev.r3.actors.ports.Generator;
import dev.r3.actors.ports.Task;
import dev.r3.actors.ports.Tokenizer;
import dev.r3.model.SamplingParams;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * The actors of a rollout crew (a rollout worker, an environment actor, the reward actor), spawned
 * and supervised the same way by the one-JVM topology and by a cluster's rollout station: workers
 * and environments restart with the run's backoff ({@code r3.faults.backoff-*}), the reward actor
 * at once, each reported to the monitor under its role.
 */
public final class CrewActors {
  private CrewActors() {}

  /** The rollout sampling settings of a run (the seed comes with each request). */
  public static SamplingParams sampling(R3Config config, int eos) {
    var r = config.rollout();
    return new SamplingParams(r.temperature(), r.topP(), r.maxNewTokens(), eos, 0);
  }

  /**
   * A rollout worker named {@code id} (actor name {@code actorName}) playing the run's episodes:
   * with continuous batching ({@link ContinuousRolloutWorker}) when {@code
   * r3.rollout.max-batch-rows} > 0 and the task is single-turn, else one group per engine call;
   * {@code subscribe} tells whoever holds the weights where to send them.
   */
  public static ActorRef<RolloutWorker.Command> worker(
      ActorContext<?> ctx,
      Supervised supervised,
      R3Config config,
      String id,
      String actorName,
      Generator.Factory generators,
      Task.Factory tasks,
      Tokenizer tokenizer,
      Consumer<ActorRef<RolloutWorker.Command>> subscribe) {
    Task task = tasks.open();
    SamplingParams sampling = sampling(config, tokenizer.eosId());
    int maxRows = config.rollout().maxBatchRows();
    Behavior<RolloutWorker.Command> worker =
        maxRows > 0 && !task.rules().multiTurn()
            ? ContinuousRolloutWorker.create(id, generators, sampling, maxRows, subscribe)
            : RolloutWorker.create(
                id,
                generators,
                GroupPlayer.of(task, tokenizer, sampling, EpisodePlayer.Budgets.of(config)),
                subscribe);
    return ctx.spawn(
        Behaviors.supervise(supervised.report("rollout", worker)).onFailure(backoff(config)),
        actorName);
  }

  public static ActorRef<EnvironmentActor.Command> environment(
      ActorContext<?> ctx,
      Supervised supervised,
      R3Config config,
      String actorName,
      Task.Factory tasks,
      Tokenizer tokenizer) {
    return ctx.spawn(
        Behaviors.supervise(
                supervised.report("environment", EnvironmentActor.create(tasks, tokenizer)))
            .onFailure(backoff(config)),
        actorName);
  }

  public static ActorRef<RewardActor.Command> reward(
      ActorContext<?> ctx, Supervised supervised, Task.Factory tasks, Tokenizer tokenizer) {
    return ctx.spawn(
        Behaviors.supervise(supervised.report("reward", RewardActor.create(tasks, tokenizer)))
            .onFailure(SupervisorStrategy.restart()),
        "reward");
  }

  private static SupervisorStrategy backoff(R3Config config) {
    var f = config.faults();
    return SupervisorStrategy.restartWithBackoff(f.backoffMin(), f.backoffMax(), f.backoffRandom());
  }
}
