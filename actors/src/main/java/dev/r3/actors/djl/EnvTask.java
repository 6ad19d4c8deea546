package dev.r3.actors.djl;

import dev.r3.actors.ports.Task;
import dev.r3.env.Environment;
import dev.r3.env.Outcome;
import dev.r3.env.Split;
import dev.r3.env.TaskSpec;
import dev.r3.env.Turn;

/**
 * A {@link Task} over an env-module {@link Environment} (wrapped by the caller in a {@code
 * GuardedEnvironment}, so that exceptions and timeouts come back as failed outcomes): the prompt is
 * the episode's first observation, the reward is the environment's reward function on the decoded
 * completion (for a multi-turn environment the whole transcript), and a multi-turn environment's
 * episodes are stepped turn by turn.
 */
public final class EnvTask implements Task {
  private final Environment env;

  public EnvTask(Environment env) {
    this.env = env;
  }

  @Override
  public String prompt(long seed, Split split) {
    return env.start(seed, split).firstObservation();
  }

  @Override
  public Rules rules() {
    return new Rules(env.maxTurns(), env.maxTokensPerTurn(), env.stopTokens());
  }

  @Override
  public Episode start(long seed, Split split) {
    dev.r3.env.Episode e = env.start(seed, split);
    return turn -> {
      Turn t = e.step(turn);
      if (t instanceof Turn.Continue c) {
        return new Step.Observe(c.observation());
      }
      Outcome o = ((Turn.Done) t).outcome();
      return new Step.End(o.failed(), o.reason());
    };
  }

  @Override
  public Verdict score(long seed, Split split, String completion) {
    TaskSpec spec = env.task(seed, split);
    Outcome o = env.reward().score(spec, completion);
    return new Verdict((float) o.reward(), o.isCorrect(), o.failed(), o.reason());
  }
}
