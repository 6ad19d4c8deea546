package dev.r3.actors.backend;

import dev.r3.actors.engine.Task;
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
  public String prompt(long seed, boolean eval) {
    return env.start(seed, split(eval)).firstObservation();
  }

  @Override
  public Verdict score(long seed, boolean eval, String completion) {
    TaskSpec spec = env.task(seed, split(eval));
    Outcome o = env.reward().score(spec, completion);
    return new Verdict((float) o.reward(), o.isCorrect(), o.failed(), o.reason());
  }

  private static Split split(boolean eval) {
    return eval ? Split.EVAL : Split.TRAIN;
  }
}
