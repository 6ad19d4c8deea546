package dev.r3.actors.pipeline;

import dev.r3.actors.config.R3Config;
import dev.r3.actors.learning.DropReason;
import dev.r3.actors.pipeline.EnvironmentActor.MakePrompt;
import dev.r3.actors.pipeline.EnvironmentActor.Prompt;
import dev.r3.actors.pipeline.EnvironmentActor.PromptReply;
import dev.r3.actors.pipeline.RewardActor.Score;
import dev.r3.actors.pipeline.RewardActor.Scored;
import dev.r3.actors.pipeline.RolloutWorker.Generate;
import dev.r3.actors.pipeline.RolloutWorker.GenerateReply;
import dev.r3.actors.pipeline.RolloutWorker.Generated;
import java.util.List;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * The life of one admitted group, as a per-request child of the {@link ReplayBuffer}: ask an
 * environment actor for the prompt, a rollout worker for G samples, the reward actor for their
 * scores, then report to the buffer and stop. Every ask has a timeout; a failed or timed-out step
 * is re-issued (generation goes to the next worker) up to {@code max-retries} times, after which
 * the group is reported abandoned with a reason the ledger records. The same seeds are sent on
 * every retry, so a re-issued group yields the same samples.
 */
final class GroupRollout {

  // ---- protocol (internal: only the child's own ask replies) ----
  sealed interface Command extends NoSerializationVerificationNeeded
      permits PromptResult, GenerateResult, ScoreResult {}

  private record PromptResult(PromptReply reply, Throwable error) implements Command {}

  private record GenerateResult(GenerateReply reply, Throwable error) implements Command {}

  private record ScoreResult(Scored reply, Throwable error) implements Command {}

  /** What to roll out and with whom. */
  record Spec(
      long groupId,
      long episodeSeed,
      long samplingSeed,
      long minVersion,
      int samples,
      ActorRef<EnvironmentActor.Command> env,
      List<ActorRef<RolloutWorker.Command>> workers,
      int firstWorker,
      ActorRef<RewardActor.Command> reward,
      R3Config.Timeouts timeouts,
      int maxRetries) {}

  static Behavior<Command> create(Spec spec, ActorRef<ReplayBuffer.Command> parent) {
    return Behaviors.setup(
        ctx -> {
          GroupRollout g = new GroupRollout(ctx, spec, parent);
          g.askPrompt();
          return g.behavior();
        });
  }

  // ---- state ----
  private final ActorContext<Command> ctx;
  private final Spec spec;
  private final ActorRef<ReplayBuffer.Command> parent;
  private static final int MAX_REQUEUES = 100;
  private int attempts;
  private int retries;
  private int requeues;
  private int offset;
  private int[] prompt;
  private Generated generated;

  private GroupRollout(
      ActorContext<Command> ctx, Spec spec, ActorRef<ReplayBuffer.Command> parent) {
    this.ctx = ctx;
    this.spec = spec;
    this.parent = parent;
  }

  private Behavior<Command> behavior() {
    return Behaviors.receive(Command.class)
        .onMessage(PromptResult.class, this::onPrompt)
        .onMessage(GenerateResult.class, this::onGenerated)
        .onMessage(ScoreResult.class, this::onScored)
        .build();
  }

  private void askPrompt() {
    ctx.ask(
        PromptReply.class,
        spec.env(),
        spec.timeouts().env(),
        r -> new MakePrompt(spec.groupId(), spec.episodeSeed(), r),
        PromptResult::new);
  }

  private void askGenerate() {
    List<ActorRef<RolloutWorker.Command>> ws = spec.workers();
    ActorRef<RolloutWorker.Command> worker =
        ws.get((spec.firstWorker() + attempts + offset) % ws.size());
    ctx.ask(
        GenerateReply.class,
        worker,
        spec.timeouts().generate(),
        r ->
            new Generate(
                spec.groupId(),
                spec.episodeSeed(),
                prompt,
                spec.samples(),
                spec.minVersion(),
                spec.samplingSeed(),
                r),
        GenerateResult::new);
  }

  private void askScore() {
    ctx.ask(
        Scored.class,
        spec.reward(),
        spec.timeouts().score(),
        r -> new Score(spec.groupId(), generated.trajectories(), r),
        ScoreResult::new);
  }

  private Behavior<Command> onPrompt(PromptResult m) {
    if (m.reply() instanceof Prompt p) {
      prompt = p.tokens();
      attempts = 0;
      askGenerate();
      return Behaviors.same();
    }
    return retryOrAbandon(
        "prompt", m.reply(), m.error(), DropReason.FAILED_EPISODE, this::askPrompt);
  }

  private Behavior<Command> onGenerated(GenerateResult m) {
    if (m.reply() instanceof Generated g) {
      generated = g;
      attempts = 0;
      askScore();
      return Behaviors.same();
    }
    if (m.reply() instanceof RolloutWorker.GenerationFailed f
        && !f.started()
        && requeues++ < MAX_REQUEUES) {
      // Lost from a restarting worker's queue before it started: not this group's fault, no attempt
      // used.
      offset++;
      askGenerate();
      return Behaviors.same();
    }
    return retryOrAbandon(
        "generation", m.reply(), m.error(), DropReason.WORKER_FAILED, this::askGenerate);
  }

  private Behavior<Command> onScored(ScoreResult m) {
    if (m.reply() != null) {
      parent.tell(
          new ReplayBuffer.GroupFinished(
              spec.groupId(),
              spec.episodeSeed(),
              generated.version(),
              m.reply().scored(),
              generated.worker(),
              generated.seconds(),
              retries));
      return Behaviors.stopped();
    }
    return retryOrAbandon("scoring", null, m.error(), DropReason.FAILED_EPISODE, this::askScore);
  }

  private Behavior<Command> retryOrAbandon(
      String what, Object reply, Throwable error, DropReason reason, Runnable again) {
    String why =
        error != null
            ? error.getClass().getSimpleName() + ": " + error.getMessage()
            : String.valueOf(reply);
    attempts++;
    if (attempts > spec.maxRetries()) {
      ctx.getLog()
          .warn(
              "group {}: {} failed {} times, abandoning it ({})",
              spec.groupId(),
              what,
              attempts,
              why);
      parent.tell(
          new ReplayBuffer.GroupAbandoned(
              spec.groupId(), spec.samples(), reason, what + ": " + why));
      return Behaviors.stopped();
    }
    retries++;
    ctx.getLog()
        .info(
            "group {}: {} failed ({}), re-issuing (attempt {})",
            spec.groupId(),
            what,
            why,
            attempts + 1);
    again.run();
    return Behaviors.same();
  }
}
