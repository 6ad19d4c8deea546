package dev.r3.env.tasks;

import dev.r3.env.ParamSpec;
import dev.r3.env.Params;
import dev.r3.env.TaskSpec;
import dev.r3.env.expr.Expr;
import dev.r3.env.expr.ExprLimits;
import dev.r3.env.expr.ParseException;
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
 * <p>Episodes, tool calls and grading: {@link ToolCallTask}.
 */
final class CalcTask extends ToolCallTask {
  static final String NAME = "calc";
  static final String DESCRIPTION =
      "arithmetic with a calculator tool: <calc>expr</calc> -> <result>value</result>, then the answer";
  static final List<ParamSpec> PARAMS =
      List.of(
          ParamSpec.choice("op", "mul", List.of("mul", "add"), "product or sum of the terms"),
          ParamSpec.integer("digits", 3, 1, 6, "digits per term"),
          ParamSpec.integer("terms", 2, 2, 4, "number of terms"),
          ParamSpec.integer("maxCalls", 2, 1, 8, "tool calls allowed per episode"));

  /** The calculator is as bounded as the graders: model output is untrusted. */
  private static final ExprLimits TOOL_LIMITS = new ExprLimits(48, 8, 12, 128);

  private final boolean mul;
  private final int digits;
  private final int terms;

  CalcTask(Params params) {
    super(NAME, DESCRIPTION, params);
    this.mul = params.get("op").equals("mul");
    this.digits = params.getInt("digits");
    this.terms = params.getInt("terms");
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
  public int maxTokensPerTurn() {
    int exprLen = terms * digits + terms - 1;
    int answerLen = mul ? terms * digits : digits + 1;
    return Math.max(exprLen + 2, answerLen)
        + 2; // a call (two tool tokens) or the answer, EOS, one spare
  }

  /** Call the tool once with the problem's expression, then copy the result. */
  @Override
  public Optional<List<String>> oracle(TaskSpec task) {
    checkOwn(task);
    return Optional.of(List.of(CALL_OPEN + task.data() + CALL_CLOSE, task.expected()));
  }

  @Override
  String tool(TaskSpec task, String call) {
    return calculate(call);
  }

  /** The tool: the value of an expression, or {@link #ERROR}. */
  static String calculate(String expr) {
    try {
      return Expr.parse(expr, TOOL_LIMITS).value().toString();
    } catch (ParseException e) {
      return ERROR;
    }
  }
}
