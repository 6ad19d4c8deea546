package dev.r3.env;

import java.util.Objects;

/**
 * How an episode ended: the reward and why.
 *
 * <p>{@code reason} is a short category from {@link Reasons} (or a plugin's own), so outcomes can
 * be counted per reason; {@code detail} holds free text such as an exception message. {@code
 * failed} marks an episode the <em>environment</em> broke (exception, timeout, protocol error) as
 * opposed to a model that answered badly; a learner may drop failed episodes instead of training on
 * their zero reward.
 *
 * @param reward in [0, 1]
 * @param answer the answer parsed from the model's output, or "" if none could be parsed
 * @param reason category, e.g. {@code correct}, {@code wrong_answer}, {@code env_timeout}
 * @param detail free text for people; may be empty
 * @param failed true if the environment, not the model, is at fault
 */
public record Outcome(double reward, String answer, String reason, String detail, boolean failed) {
  public Outcome {
    if (!(reward >= 0.0 && reward <= 1.0)) { // also rejects NaN
      throw new IllegalArgumentException("reward must be in [0, 1], got " + reward);
    }
    Objects.requireNonNull(answer, "answer");
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(detail, "detail");
    if (reason.isBlank()) {
      throw new IllegalArgumentException("reason must not be blank");
    }
  }

  /** Full reward for a correct answer. */
  public static Outcome correct(String answer) {
    return new Outcome(1.0, answer, Reasons.CORRECT, "", false);
  }

  /** A graded, not fully correct answer; {@code reward} may be a small format reward. */
  public static Outcome graded(double reward, String answer, String reason, String detail) {
    return new Outcome(reward, answer, reason, detail, false);
  }

  /** Zero reward for malformed or wrong model output. */
  public static Outcome zero(String answer, String reason, String detail) {
    return new Outcome(0.0, answer, reason, detail, false);
  }

  /** The environment broke; zero reward, marked failed. */
  public static Outcome failure(String reason, String detail) {
    return new Outcome(0.0, "", reason, detail, true);
  }

  public boolean isCorrect() {
    return reward == 1.0 && !failed;
  }
}
