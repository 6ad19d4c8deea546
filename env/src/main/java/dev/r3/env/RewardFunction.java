package dev.r3.env;

/**
 * Grades a completion against a task, apart from any episode.
 *
 * <p>Its own interface so that rewards can run in a separate actor (or process, or thread pool) and
 * a slow verifier does not hold up rollouts. Implementations must be deterministic, thread-safe and
 * must not throw on any model output: malformed output is a zero reward with a reason. Wrap with
 * {@link GuardedEnvironment} when the implementation is not trusted.
 */
@FunctionalInterface
public interface RewardFunction {

  /**
   * @param task the task the completion answers
   * @param completion everything after the prompt: for single-turn tasks the model's answer
   *     (without EOS); for multi-turn tasks the transcript of model turns and observations,
   *     concatenated in order
   */
  Outcome score(TaskSpec task, String completion);
}
