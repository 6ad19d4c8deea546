package dev.r3.actors.cluster;

import dev.r3.actors.config.R3Config;
import dev.r3.actors.monitor.Supervised;
import dev.r3.actors.pipeline.CrewActors;
import dev.r3.actors.pipeline.EnvironmentActor;
import dev.r3.actors.pipeline.GroupRollout;
import dev.r3.actors.pipeline.ReplayBuffer;
import dev.r3.actors.pipeline.RewardActor;
import dev.r3.actors.pipeline.RolloutWorker;
import dev.r3.actors.pipeline.Watchdog;
import dev.r3.actors.wire.WireMessage;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;

/**
 * One rollout engine of the cluster, as a Cluster Sharding entity on a rollout node: a {@link
 * RolloutWorker} (restarted with backoff, weights from the node's {@link WeightsCache}), an
 * environment actor, a reward actor and a watchdog beside it. The buffer on the learner node
 * launches a group here; the group's {@link GroupRollout} runs here too, so the prompt and the
 * rewards never leave the node: only the scored trajectories (routing ids one byte each) go back,
 * straight to the buffer.
 *
 * <p>Loses on restart or when its shard moves: its group rollouts (the buffer re-issues the groups
 * of a lost node) and its engine (rebuilt from the node's cached weights).
 */
public final class RolloutStation {

  public static final EntityTypeKey<Command> TYPE =
      EntityTypeKey.create(Command.class, "rollout-station");

  // ---- protocol ----
  public sealed interface Command extends WireMessage permits Launch, AbortGroup, GroupStopped {}

  /** Roll out {@code order} here and report to {@code buffer}. */
  public record Launch(GroupRollout.Order order, int station, ActorRef<ReplayBuffer.Command> buffer)
      implements Command {}

  /** The run is ending: abort the group if it is still here. */
  public record AbortGroup(long groupId, String why) implements Command {}

  // ---- internal ----
  private record GroupStopped(long groupId, ActorRef<GroupRollout.Command> child)
      implements Command, NoSerializationVerificationNeeded {}

  public static Behavior<Command> create(
      String id,
      R3Config config,
      RolloutBackends backends,
      ActorRef<WeightsCache.Command> cache,
      String node,
      Supervised supervised) {
    return Behaviors.setup(
        ctx -> new RolloutStation(ctx, id, config, backends, cache, node, supervised).behavior());
  }

  // ---- state ----
  private final ActorContext<Command> ctx;
  private final R3Config config;
  private final String node;
  private final ActorRef<RolloutWorker.Command> worker;
  private final ActorRef<EnvironmentActor.Command> env;
  private final ActorRef<RewardActor.Command> reward;
  private final Map<Long, ActorRef<GroupRollout.Command>> groups = new HashMap<>();
  private long launches;

  private RolloutStation(
      ActorContext<Command> ctx,
      String id,
      R3Config config,
      RolloutBackends backends,
      ActorRef<WeightsCache.Command> cache,
      String node,
      Supervised supervised) {
    this.ctx = ctx;
    this.config = config;
    this.node = node;
    this.worker =
        CrewActors.worker(
            ctx,
            supervised,
            config,
            id,
            "worker",
            backends.generators(),
            backends.tasks(),
            backends.tokenizer(),
            w -> cache.tell(new WeightsCache.Subscribe(w)));
    this.env =
        CrewActors.environment(
            ctx, supervised, config, "env", backends.tasks(), backends.tokenizer());
    this.reward = CrewActors.reward(ctx, supervised, backends.tasks(), backends.tokenizer());
    ctx.spawn(
        supervised.report(
            "watchdog", Watchdog.create(List.of(worker), config.watchdog(), config.timeouts())),
        "watchdog");
    ctx.getLog().info("rollout station {} up on {}", id, node);
  }

  private Behavior<Command> behavior() {
    return Behaviors.receive(Command.class)
        .onMessage(Launch.class, this::onLaunch)
        .onMessage(AbortGroup.class, this::onAbort)
        .onMessage(GroupStopped.class, this::onGroupStopped)
        .build();
  }

  private Behavior<Command> onLaunch(Launch m) {
    GroupRollout.Spec spec =
        GroupRollout.Spec.of(
            m.order(),
            env,
            List.of(worker),
            0,
            reward,
            config.timeouts(),
            config.faults().maxRetries());
    long id = m.order().groupId();
    ActorRef<GroupRollout.Command> child =
        ctx.spawn(GroupRollout.create(spec, m.buffer()), "group-" + id + "-" + launches++);
    ctx.watchWith(child, new GroupStopped(id, child));
    groups.put(id, child);
    m.buffer().tell(new ReplayBuffer.GroupPlaced(id, m.station(), node));
    return Behaviors.same();
  }

  private Behavior<Command> onAbort(AbortGroup m) {
    ActorRef<GroupRollout.Command> child = groups.get(m.groupId());
    if (child != null) {
      child.tell(new GroupRollout.Abort(m.why()));
    }
    return Behaviors.same();
  }

  private Behavior<Command> onGroupStopped(GroupStopped m) {
    groups.remove(m.groupId(), m.child());
    return Behaviors.same();
  }
}
