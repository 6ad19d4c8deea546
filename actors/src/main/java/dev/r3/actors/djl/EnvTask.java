package dev.r3.actors.djl;

import dev.r3.actors.ports.Task;
import dev.r3.env.Environment;
import dev.r3.env.Outcome;
import dev.r3.env.Split;
import dev.r3.env.TaskSpec;

/**
 * A {@link Task} over an env-module {@link Environment} (wrapped by the caller in a {@code
 * GuardedEnvironment}, so that exceptions and timeouts come back as failed outcomes). Single turn:
 * the prompt is the episode's first observation, the reward is the environment's reward function on
 * the decoded completion.
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
  public Verdict score(long seed, Split split, String completion) {
    TaskSpec spec = env.task(seed, split);
    Outcome o = env.reward().score(spec, completion);
    return new Verdict((float) o.reward(), o.isCorrect(), o.failed(), o.reason());
  }
}
