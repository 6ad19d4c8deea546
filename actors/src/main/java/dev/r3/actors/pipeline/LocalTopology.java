package dev.r3.actors.pipeline;

import dev.r3.actors.config.R3Config;
import dev.r3.actors.ports.Backends;
import dev.r3.model.SamplingParams;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * The one-JVM topology: {@code r3.rollout.workers} rollout workers (restarted with backoff) that
 * subscribe to the learner's weights, one environment actor per worker, one reward actor and the
 * watchdog, all children of the coordinator.
 */
final class LocalTopology implements Topology {
  static final LocalTopology INSTANCE = new LocalTopology();

  private LocalTopology() {}

  @Override
  public GroupRunner rollouts(
      ActorContext<Coordinator.Command> ctx,
      R3Config config,
      Backends backends,
      ActorRef<Learner.Command> learner) {
    var r = config.rollout();
    var f = config.faults();
    SamplingParams sampling = sampling(config, backends.tokenizer().eosId());
    List<ActorRef<RolloutWorker.Command>> workers = new ArrayList<>();
    List<ActorRef<EnvironmentActor.Command>> envs = new ArrayList<>();
    for (int i = 0; i < r.workers(); i++) {
      String name = "rollout-" + i;
      workers.add(
          ctx.spawn(
              Behaviors.supervise(
                      RolloutWorker.create(
                          name,
                          backends.generators(),
                          sampling,
                          w -> learner.tell(new Learner.SubscribeWeights(w))))
                  .onFailure(
                      SupervisorStrategy.restartWithBackoff(
                          f.backoffMin(), f.backoffMax(), f.backoffRandom())),
              name));
      envs.add(
          ctx.spawn(
              Behaviors.supervise(EnvironmentActor.create(backends.tasks(), backends.tokenizer()))
                  .onFailure(
                      SupervisorStrategy.restartWithBackoff(
                          f.backoffMin(), f.backoffMax(), f.backoffRandom())),
              "env-" + i));
    }
    var reward =
        ctx.spawn(
            Behaviors.supervise(RewardActor.create(backends.tasks(), backends.tokenizer()))
                .onFailure(SupervisorStrategy.restart()),
            "reward");
    ctx.spawn(Watchdog.create(workers, config.watchdog(), config.timeouts()), "watchdog");
    return new ReplayBuffer.Crew(envs, workers, reward);
  }

  /** The rollout sampling settings of a run (the seed comes with each request). */
  static SamplingParams sampling(R3Config config, int eos) {
    var r = config.rollout();
    return new SamplingParams(r.temperature(), r.topP(), r.maxNewTokens(), eos, 0);
  }
}
