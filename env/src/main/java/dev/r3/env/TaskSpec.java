package dev.r3.env;

import java.util.Objects;

/**
 * One problem, everything needed to grade an answer to it, and nothing else.
 *
 * <p>Rollouts and rewards are separate on purpose: a rollout worker plays the {@link Episode}, then
 * sends this spec with the model's completion to a reward actor, which calls {@link
 * RewardFunction#score}. So the spec is a plain value (strings, a long, an enum) that serialises
 * anywhere, and the same spec always grades the same completion the same way.
 *
 * @param env name of the environment that made it
 * @param split the half of the problem space it comes from
 * @param seed the seed that chose it
 * @param prompt the first observation, exactly as the model sees it (without BOS)
 * @param expected the canonical correct answer (for countdown: the target)
 * @param data environment-specific extra data, e.g. countdown's allowed numbers; may be empty
 */
public record TaskSpec(
    String env, Split split, long seed, String prompt, String expected, String data) {
  public TaskSpec {
    Objects.requireNonNull(env, "env");
    Objects.requireNonNull(split, "split");
    Objects.requireNonNull(prompt, "prompt");
    Objects.requireNonNull(expected, "expected");
    Objects.requireNonNull(data, "data");
  }
}
