package dev.r3.actors.pipeline;

import dev.r3.actors.learning.GroupWork;
import dev.r3.actors.learning.ScoredTrajectory;
import dev.r3.actors.learning.Trajectory;
import dev.r3.actors.ports.Task;
import dev.r3.actors.ports.Tokenizer;
import dev.r3.actors.wire.WireMessage;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Scores the samples of a group with the environment's reward function. Stateless: a restart loses
 * nothing. An environment exception while scoring one sample becomes a failed verdict for that
 * sample (dropped and counted by the buffer), never a lost group.
 */
public final class RewardActor {

  // ---- protocol ----
  public sealed interface Command extends WireMessage permits Score {}

  public record Score(long groupId, List<Trajectory> trajectories, ActorRef<Scored> replyTo)
      implements Command {}

  public record Scored(long groupId, List<ScoredTrajectory> scored) implements WireMessage {}

  public static Behavior<Command> create(Task.Factory tasks, Tokenizer tokenizer) {
    return Behaviors.setup(
        ctx -> {
          Task task = tasks.open();
          return Behaviors.receive(Command.class)
              .onMessage(
                  Score.class,
                  m -> {
                    m.replyTo()
                        .tell(
                            new Scored(
                                m.groupId(), GroupWork.score(task, tokenizer, m.trajectories())));
                    return Behaviors.same();
                  })
              .build();
        });
  }

  private RewardActor() {}
}
