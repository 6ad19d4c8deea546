package dev.r3.actors.pipeline;

import dev.r3.actors.chaos.Chaos;
import dev.r3.actors.chaos.ChaosMonkey;
import dev.r3.actors.config.R3Config;
import dev.r3.actors.monitor.Supervised;
import dev.r3.actors.ports.Backends;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;

/**
 * The one-JVM topology: {@code r3.rollout.workers} rollout workers (restarted with backoff) that
 * subscribe to the learner's weights, one environment actor per worker, one reward actor and the
 * watchdog, all children of the coordinator.
 */
final class LocalTopology implements Topology {
  private final List<ActorRef<RolloutWorker.Command>> workers = new ArrayList<>();
  private ActorRef<ChaosMonkey.Command> monkey; // null unless r3.chaos kills workers
  private Supervised supervised = Supervised.NONE;

  @Override
  public void monitor(Supervised supervised) {
    this.supervised = supervised;
  }

  @Override
  public GroupRunner rollouts(
      ActorContext<Coordinator.Command> ctx,
      R3Config config,
      Backends backends,
      Supplier<ActorRef<Learner.Command>> learner,
      Chaos chaos) {
    var f = config.faults();
    List<ActorRef<EnvironmentActor.Command>> envs = new ArrayList<>();
    for (int i = 0; i < config.rollout().workers(); i++) {
      String name = "rollout-" + i;
      workers.add(
          CrewActors.worker(
              ctx,
              supervised,
              config,
              name,
              name,
              backends.generators(),
              backends.tasks(),
              backends.tokenizer(),
              w -> learner.get().tell(new Learner.SubscribeWeights(w))));
      envs.add(
          CrewActors.environment(
              ctx, supervised, config, "env-" + i, backends.tasks(), backends.tokenizer()));
    }
    var reward = CrewActors.reward(ctx, supervised, backends.tasks(), backends.tokenizer());
    ctx.spawn(
        supervised.report(
            "watchdog", Watchdog.create(workers, config.watchdog(), config.timeouts())),
        "watchdog");
    if (chaos.settings().killsWorkers()) {
      monkey =
          ctx.spawn(
              supervised.report(
                  "chaos",
                  ChaosMonkey.create(workers, chaos, f.backoffMax().plus(config.timeouts().ask()))),
              "chaos-monkey");
    }
    return new LocalCrew(envs, List.copyOf(workers), reward);
  }

  @Override
  public void stepDone() {
    if (monkey != null) {
      monkey.tell(new ChaosMonkey.StepDone());
    }
  }

  @Override
  public void learnerChanged(ActorRef<Learner.Command> learner) {
    for (ActorRef<RolloutWorker.Command> w : workers) {
      learner.tell(new Learner.SubscribeWeights(w));
    }
  }
}
