package dev.r3.env.tasks;

import dev.r3.env.Outcome;
import dev.r3.env.Reasons;
import java.math.BigInteger;
import java.util.regex.Pattern;

/**
 * Strict answer checks shared by the tasks. Strict on purpose: the answer must be exactly a number
 * (surrounding whitespace aside), so the model learns to stop after the answer instead of being
 * paid for "46 or 47".
 */
final class Grading {
  private Grading() {}

  private static final Pattern INTEGER = Pattern.compile("-?[0-9]{1,40}");

  /** Longest answer text kept in an outcome, so a runaway output does not bloat logs. */
  private static final int MAX_SHOWN = 40;

  /**
   * Zero reward with {@code too_long} if {@code completion} has more than {@code maxTokens} tokens,
   * else null.
   */
  static Outcome tooLong(String completion, int maxTokens) {
    int n = TaskBase.TOKENS.length(completion);
    return n > maxTokens
        ? Outcome.zero(shown(completion), Reasons.TOO_LONG, n + " tokens > limit " + maxTokens)
        : null;
  }

  /** Grades an integer answer against the expected integer (leading zeros are tolerated). */
  static Outcome integer(String completion, String expected, int maxTokens) {
    Outcome o = tooLong(completion, maxTokens);
    if (o != null) {
      return o;
    }
    return integerAnswer(completion.strip(), expected);
  }

  static Outcome integerAnswer(String answer, String expected) {
    if (answer.isEmpty()) {
      return Outcome.zero("", Reasons.NO_ANSWER, "empty answer");
    }
    if (!INTEGER.matcher(answer).matches()) {
      return Outcome.zero(shown(answer), Reasons.NOT_A_NUMBER, "not an integer");
    }
    return new BigInteger(answer).equals(new BigInteger(expected))
        ? Outcome.correct(answer)
        : Outcome.zero(answer, Reasons.WRONG_ANSWER, "expected " + expected);
  }

  static String shown(String s) {
    return s.length() <= MAX_SHOWN ? s : s.substring(0, MAX_SHOWN) + "...";
  }
}
