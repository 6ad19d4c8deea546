package dev.r3.actors.pipeline;

import dev.r3.actors.chaos.Chaos;
import dev.r3.actors.config.R3Config;
import dev.r3.actors.learning.DropReason;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;

/**
 * Who does the work of a group in one JVM: each group's {@link GroupRollout} is a child of the
 * {@link ReplayBuffer}, and asks the environment (chosen by group id), a worker (the station) and
 * the reward actor.
 */
record LocalCrew(
    List<ActorRef<EnvironmentActor.Command>> envs,
    List<ActorRef<RolloutWorker.Command>> workers,
    ActorRef<RewardActor.Command> reward)
    implements GroupRunner {
  @Override
  public int stations() {
    return workers.size();
  }

  @Override
  public Launched launch(
      ActorContext<ReplayBuffer.Command> ctx,
      GroupRollout.Order order,
      int station,
      R3Config config,
      Chaos chaos) {
    GroupRollout.Spec spec =
        GroupRollout.Spec.of(
            order,
            envs.get((int) (order.groupId() % envs.size())),
            workers,
            station,
            reward,
            config.timeouts(),
            config.faults().maxRetries());
    ActorRef<GroupRollout.Command> child =
        ctx.spawn(GroupRollout.create(spec, ctx.getSelf(), chaos), "group-" + order.groupId());
    return new Launched() {
      @Override
      public void abort(String why) {
        child.tell(new GroupRollout.Abort(why));
      }

      @Override
      public void abort(String why, DropReason reason) {
        child.tell(new GroupRollout.Abort(why, reason));
      }

      @Override
      public void giveUp(ActorContext<ReplayBuffer.Command> c) {
        c.stop(child);
      }
    };
  }
}
