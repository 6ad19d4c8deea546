package dev.r3.env;

/**
 * The outcome reasons the built-in environments and {@link GuardedEnvironment} use. Strings rather
 * than an enum so plugins can add their own and counters still work.
 */
public final class Reasons {
  private Reasons() {}

  // Model output graded.
  public static final String CORRECT = "correct";
  public static final String WRONG_ANSWER = "wrong_answer";
  // Malformed model output: reward 0 (countdown may give a small format reward for WRONG_ANSWER).
  public static final String NO_ANSWER = "no_answer";
  public static final String NOT_A_NUMBER = "not_a_number";
  public static final String BAD_FORMAT = "bad_format";
  public static final String TOO_LONG = "too_long";
  public static final String BAD_EXPRESSION = "bad_expression";
  public static final String DISALLOWED_NUMBER = "disallowed_number";
  public static final String TOO_MANY_CALLS = "too_many_calls";
  public static final String BAD_TOOL_CALL = "bad_tool_call";
  // The environment broke (Outcome.failed = true).
  public static final String ENV_EXCEPTION = "env_exception";
  public static final String ENV_TIMEOUT = "env_timeout";
  public static final String ENV_PROTOCOL = "env_protocol";
}
