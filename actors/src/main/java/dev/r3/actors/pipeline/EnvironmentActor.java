package dev.r3.actors.pipeline;

import dev.r3.actors.learning.GroupWork;
import dev.r3.actors.ports.Task;
import dev.r3.actors.ports.Tokenizer;
import dev.r3.actors.wire.WireMessage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Runs the environment side of episodes: turns an episode seed into prompt tokens. Episodes are
 * rebuilt from their seeds, so a restart loses nothing; a request whose environment throws is
 * answered {@link PromptFailed} (so the asker re-issues it at once) and the actor then fails, to be
 * restarted with backoff by its parent.
 */
public final class EnvironmentActor {

  // ---- protocol ----
  public sealed interface Command extends WireMessage permits MakePrompt {}

  public record MakePrompt(long groupId, long episodeSeed, ActorRef<PromptReply> replyTo)
      implements Command {}

  public sealed interface PromptReply extends WireMessage permits Prompt, PromptFailed {}

  public record Prompt(long groupId, long episodeSeed, int[] tokens) implements PromptReply {}

  public record PromptFailed(long groupId, String reason) implements PromptReply {}

  /** Thrown to make the supervisor restart the actor after an environment failure. */
  public static final class EnvironmentFailed extends RuntimeException {
    EnvironmentFailed(String message, Throwable cause) {
      super(message, cause);
    }
  }

  public static Behavior<Command> create(Task.Factory tasks, Tokenizer tokenizer) {
    return Behaviors.setup(ctx -> new EnvironmentActor(ctx, tasks.open(), tokenizer).behavior());
  }

  // ---- state ----
  private final ActorContext<Command> ctx;
  private final Task task;
  private final Tokenizer tokenizer;

  private EnvironmentActor(ActorContext<Command> ctx, Task task, Tokenizer tokenizer) {
    this.ctx = ctx;
    this.task = task;
    this.tokenizer = tokenizer;
  }

  private Behavior<Command> behavior() {
    return Behaviors.receive(Command.class).onMessage(MakePrompt.class, this::onMakePrompt).build();
  }

  private Behavior<Command> onMakePrompt(MakePrompt m) {
    int[] tokens;
    try {
      tokens = GroupWork.prompt(task, tokenizer, m.episodeSeed());
    } catch (RuntimeException e) {
      m.replyTo().tell(new PromptFailed(m.groupId(), "environment failed: " + e));
      throw new EnvironmentFailed(
          "episode " + m.episodeSeed() + " of group " + m.groupId() + " failed", e);
    }
    ctx.getLog().debug("group {} prompt of {} tokens", m.groupId(), tokens.length);
    m.replyTo().tell(new Prompt(m.groupId(), m.episodeSeed(), tokens));
    return Behaviors.same();
  }
}
