package dev.r3.env.tasks;

import dev.r3.env.CharTokenizer;
import dev.r3.env.Episode;
import dev.r3.env.Outcome;
import dev.r3.env.ParamSpec;
import dev.r3.env.Params;
import dev.r3.env.Reasons;
import dev.r3.env.RewardFunction;
import dev.r3.env.TaskSpec;
import dev.r3.env.Turn;
import dev.r3.env.expr.Expr;
import dev.r3.env.expr.ExprLimits;
import dev.r3.env.expr.ParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * Multi-turn arithmetic with a calculator tool: {@code calc 123*456=}. The model may end a turn
 * with {@code <calc>expr</calc>}; the environment answers {@code <result>value</result>} ({@code
 * <result>error</result>} for a bad expression) and the model goes on. A turn without a call is the
 * final answer and is graded. At most {@code maxCalls} calls; one more ends the episode with {@code
 * too_many_calls}.
 *
 * <p>The problems are too hard for a tiny model to compute in its head (3-digit by 3-digit
 * products), but trivial with the tool: copy the expression into a call, copy the result out. So
 * the task measures whether RL teaches tool use, and multi-turn rollouts exercise the prefix cache
 * and routing records across turns.
 *
 * <p>The reward function grades the whole transcript (model turns and results), so a reward actor
 * given only the spec and the transcript reaches the same outcome as the episode.
 */
final class CalcTask extends TaskBase {
  static final String NAME = "calc";
  static final String DESCRIPTION =
      "arithmetic with a calculator tool: <calc>expr</calc> -> <result>value</result>, then the answer";
  static final List<ParamSpec> PARAMS =
      List.of(
          ParamSpec.choice("op", "mul", List.of("mul", "add"), "product or sum of the terms"),
          ParamSpec.integer("digits", 3, 1, 6, "digits per term"),
          ParamSpec.integer("terms", 2, 2, 4, "number of terms"),
          ParamSpec.integer("maxCalls", 2, 1, 8, "tool calls allowed per episode"));

  static final String CALL_OPEN = CharTokenizer.SPECIALS.get(CharTokenizer.CALL_OPEN);
  static final String CALL_CLOSE = CharTokenizer.SPECIALS.get(CharTokenizer.CALL_CLOSE);
  static final String RESULT_OPEN = CharTokenizer.SPECIALS.get(CharTokenizer.RESULT_OPEN);
  static final String RESULT_CLOSE = CharTokenizer.SPECIALS.get(CharTokenizer.RESULT_CLOSE);

  /** What a call with a bad expression gets back. */
  static final String ERROR = "error";

  /** The calculator is as bounded as the graders: model output is untrusted. */
  private static final ExprLimits TOOL_LIMITS = new ExprLimits(48, 8, 12, 128);

  private final boolean mul;
  private final int digits;
  private final int terms;
  private final int maxCalls;

  CalcTask(Params params) {
    super(NAME, DESCRIPTION, params);
    this.mul = params.get("op").equals("mul");
    this.digits = params.getInt("digits");
    this.terms = params.getInt("terms");
    this.maxCalls = params.getInt("maxCalls");
    if (mul && digits * terms > 18) {
      throw params.error("op=mul needs digits * terms <= 18 so products fit in 64 bits");
    }
  }

  @Override
  Problem propose(SplittableRandom rng) {
    StringBuilder expr = new StringBuilder();
    long value = mul ? 1 : 0;
    int lo =
        digits == 1 ? 1 : pow10(digits - 1); // full-width terms: the point is that they are big
    for (int t = 0; t < terms; t++) {
      long x = lo + rng.nextLong(pow10(digits) - lo);
      value = mul ? value * x : value + x;
      expr.append(t == 0 ? "" : mul ? "*" : "+").append(x);
    }
    return new Problem("calc " + expr + "=", Long.toString(value), expr.toString());
  }

  @Override
  public boolean multiTurn() {
    return true;
  }

  @Override
  public int maxTurns() {
    return maxCalls + 1;
  }

  @Override
  public int maxTokensPerTurn() {
    int exprLen = terms * digits + terms - 1;
    int answerLen = mul ? terms * digits : digits + 1;
    return Math.max(exprLen + 2, answerLen)
        + 2; // a call (two tool tokens) or the answer, EOS, one spare
  }

  @Override
  public List<String> stopTokens() {
    return List.of(CALL_CLOSE);
  }

  @Override
  public Episode start(TaskSpec task) {
    checkOwn(task);
    return new CalcEpisode(task);
  }

  /** Call the tool once with the problem's expression, then copy the result. */
  @Override
  public Optional<List<String>> oracle(TaskSpec task) {
    checkOwn(task);
    return Optional.of(List.of(CALL_OPEN + task.data() + CALL_CLOSE, task.expected()));
  }

  @Override
  public RewardFunction reward() {
    return (task, transcript) -> {
      checkOwn(task);
      return grade(task, transcript == null ? "" : transcript);
    };
  }

  /** The tool: the value of an expression, or {@link #ERROR}. */
  static String calculate(String expr) {
    try {
      return Expr.parse(expr, TOOL_LIMITS).value().toString();
    } catch (ParseException e) {
      return ERROR;
    }
  }

  /** True if the turn holds a complete call: {@code <calc>} followed later by {@code </calc>}. */
  private static boolean hasCall(String turn) {
    int open = turn.indexOf(CALL_OPEN);
    return open >= 0 && turn.indexOf(CALL_CLOSE, open + CALL_OPEN.length()) >= 0;
  }

  /** The model turns of a transcript: the text between {@code <result>...</result>} blocks. */
  static List<String> modelTurns(String transcript) {
    List<String> turns = new ArrayList<>();
    int at = 0;
    while (true) {
      int r = transcript.indexOf(RESULT_OPEN, at);
      int e = r < 0 ? -1 : transcript.indexOf(RESULT_CLOSE, r);
      if (e < 0) {
        turns.add(transcript.substring(at));
        return turns;
      }
      turns.add(transcript.substring(at, r));
      at = e + RESULT_CLOSE.length();
    }
  }

  private Outcome grade(TaskSpec task, String transcript) {
    List<String> turns = modelTurns(transcript);
    int calls = 0;
    for (String t : turns) {
      Outcome tooLong = Grading.tooLong(t, maxTokensPerTurn());
      if (tooLong != null) {
        return tooLong;
      }
      calls += hasCall(t) ? 1 : 0;
    }
    if (calls > maxCalls) {
      return Outcome.zero("", Reasons.TOO_MANY_CALLS, calls + " calls > limit " + maxCalls);
    }
    String last = turns.get(turns.size() - 1).strip();
    if (hasCall(last)) {
      return Outcome.zero("", Reasons.NO_ANSWER, "transcript ends with a call");
    }
    if (last.contains(CALL_OPEN) || last.contains(CALL_CLOSE)) {
      return Outcome.zero(
          Grading.shown(last), Reasons.BAD_TOOL_CALL, "unterminated or stray tool token");
    }
    return Grading.integerAnswer(last, task.expected());
  }

  private final class CalcEpisode implements Episode {
    private final TaskSpec task;
    private final StringBuilder transcript = new StringBuilder();
    private int turns;
    private int calls;
    private Outcome outcome;

    CalcEpisode(TaskSpec task) {
      this.task = task;
    }

    @Override
    public TaskSpec task() {
      return task;
    }

    @Override
    public String firstObservation() {
      return task.prompt();
    }

    @Override
    public Turn step(String modelOutput) {
      if (outcome != null) {
        throw new IllegalStateException("calc episode is over: " + outcome);
      }
      String out = modelOutput == null ? "" : modelOutput;
      transcript.append(out);
      turns++;
      boolean fits = TOKENS.length(out) <= maxTokensPerTurn();
      if (fits && hasCall(out) && calls < maxCalls && turns < maxTurns()) {
        calls++;
        int open = out.indexOf(CALL_OPEN) + CALL_OPEN.length();
        String expr = out.substring(open, out.indexOf(CALL_CLOSE, open));
        String observation = RESULT_OPEN + calculate(expr) + RESULT_CLOSE;
        transcript.append(observation);
        return new Turn.Continue(observation);
      }
      outcome = grade(task, transcript.toString());
      return new Turn.Done(outcome);
    }

    @Override
    public Optional<Outcome> outcome() {
      return Optional.ofNullable(outcome);
    }
  }
}
