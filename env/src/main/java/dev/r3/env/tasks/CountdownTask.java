package dev.r3.env.tasks;

import dev.r3.env.Outcome;
import dev.r3.env.ParamSpec;
import dev.r3.env.Params;
import dev.r3.env.Reasons;
import dev.r3.env.RewardFunction;
import dev.r3.env.TaskSpec;
import dev.r3.env.expr.Expr;
import dev.r3.env.expr.ExprLimits;
import dev.r3.env.expr.ParseException;
import dev.r3.env.expr.ParsedExpr;
import dev.r3.env.expr.Rational;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Collectors;

/**
 * Countdown: reach the target with the given numbers, each at most once, and {@code + - * /}.
 * {@code cd 3,5,7>26=} answered e.g. {@code 3*7+5}.
 *
 * <p>Problems are built backwards: a random expression tree over all the numbers (integer
 * intermediate values, exact division only) gives the target, so every problem is solvable and that
 * expression is the oracle. Answers are checked by the bounded {@link Expr} parser, never evaluated
 * as code. A well-formed expression over allowed numbers that misses the target earns a small
 * format reward (parameter {@code formatReward}, 0 to switch it off), which helps a cold model find
 * the format.
 */
final class CountdownTask extends SingleTurnTask {
  static final String NAME = "countdown";
  static final String DESCRIPTION =
      "reach the target with the numbers and + - * /: cd 3,5,7>26= -> 3*7+5";
  static final List<ParamSpec> PARAMS =
      List.of(
          ParamSpec.integer("count", 3, 2, 5, "how many numbers are given"),
          ParamSpec.integer("maxNumber", 9, 2, 100, "numbers are drawn from [1, maxNumber]"),
          ParamSpec.integer("maxTarget", 99, 1, 10_000, "targets lie in [1, maxTarget]"),
          ParamSpec.decimal(
              "formatReward", 0.1, 0.0, 0.5, "reward for a valid expression that misses"));

  private static final char[] OPS = {'+', '-', '*', '/'};

  private final int count;
  private final int maxNumber;
  private final int maxTarget;
  private final double formatReward;
  private final ExprLimits limits;

  CountdownTask(Params params) {
    super(NAME, DESCRIPTION, params);
    this.count = params.getInt("count");
    this.maxNumber = params.getInt("maxNumber");
    this.maxTarget = params.getInt("maxTarget");
    this.formatReward = params.getDouble("formatReward");
    // A literal may be one digit longer than any allowed number (so "100" is "disallowed",
    // not "unparseable"); the length cap is the turn limit itself.
    this.limits =
        new ExprLimits(
            Math.max(maxTokensPerTurn(), 8),
            2 * count + 2,
            Integer.toString(maxNumber).length() + 1,
            96);
  }

  /** A subexpression with its value and how tightly it binds (1: + -, 2: * /, 3: number). */
  private record Node(long value, String text, int prec) {}

  @Override
  Problem propose(SplittableRandom rng) {
    long[] numbers = new long[count];
    List<Node> nodes = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      numbers[i] = 1 + rng.nextInt(maxNumber);
      nodes.add(new Node(numbers[i], Long.toString(numbers[i]), 3));
    }
    while (nodes.size() > 1) {
      Node a = nodes.remove(rng.nextInt(nodes.size()));
      Node b = nodes.remove(rng.nextInt(nodes.size()));
      nodes.add(combine(a, b, rng));
    }
    long target = nodes.get(0).value();
    if (target < 1 || target > maxTarget) {
      return null;
    }
    for (long n : numbers) {
      if (n == target) { // trivial: the answer would be one given number
        return null;
      }
    }
    Arrays.sort(numbers);
    String data = Arrays.stream(numbers).mapToObj(Long::toString).collect(Collectors.joining(","));
    return new Problem(
        "cd " + data + ">" + target + "=", Long.toString(target), data + ";" + nodes.get(0).text());
  }

  /** Combines with a random operator that keeps every value a non-negative integer. */
  private static Node combine(Node a, Node b, SplittableRandom rng) {
    int start = rng.nextInt(OPS.length);
    for (int k = 0; k < OPS.length; k++) {
      char op = OPS[(start + k) % OPS.length];
      Long v =
          switch (op) {
            case '+' -> a.value() + b.value();
            case '-' -> a.value() >= b.value() ? a.value() - b.value() : null;
            case '*' -> a.value() * b.value();
            default -> b.value() != 0 && a.value() % b.value() == 0 ? a.value() / b.value() : null;
          };
      if (v != null) {
        int prec = op == '+' || op == '-' ? 1 : 2;
        // Left operand needs brackets if it binds looser; right operand also if equal and op is -
        // or /.
        String left = a.prec() < prec ? "(" + a.text() + ")" : a.text();
        boolean rightBrackets = b.prec() < prec || (b.prec() == prec && (op == '-' || op == '/'));
        String right = rightBrackets ? "(" + b.text() + ")" : b.text();
        return new Node(v, left + op + right, prec);
      }
    }
    throw new AssertionError("'+' always applies");
  }

  @Override
  String oracleAnswer(TaskSpec task) {
    return task.data().substring(task.data().indexOf(';') + 1);
  }

  @Override
  public int maxTokensPerTurn() {
    int digits = Integer.toString(maxNumber).length();
    return count * digits
        + (count - 1)
        + 2 * (count - 1)
        + 2; // numbers, operators, brackets, EOS + spare
  }

  @Override
  public RewardFunction reward() {
    int max = maxTokensPerTurn();
    return (task, completion) -> {
      checkOwn(task);
      Outcome tooLong = Grading.tooLong(completion, max);
      if (tooLong != null) {
        return tooLong;
      }
      String a = completion.strip();
      if (a.isEmpty()) {
        return Outcome.zero("", Reasons.NO_ANSWER, "empty answer");
      }
      ParsedExpr parsed;
      try {
        parsed = Expr.parse(a, limits);
      } catch (ParseException e) {
        return Outcome.zero(Grading.shown(a), Reasons.BAD_EXPRESSION, e.getMessage());
      }
      String unavailable = unavailable(parsed.literals(), allowedNumbers(task));
      if (unavailable != null) {
        return Outcome.zero(a, Reasons.DISALLOWED_NUMBER, unavailable);
      }
      Rational target = Rational.of(Long.parseLong(task.expected()));
      return parsed.value().equals(target)
          ? Outcome.correct(a)
          : Outcome.graded(
              formatReward,
              a,
              Reasons.WRONG_ANSWER,
              "value " + parsed.value() + ", target " + task.expected());
    };
  }

  private static List<Long> allowedNumbers(TaskSpec task) {
    String list = task.data().substring(0, task.data().indexOf(';'));
    return Arrays.stream(list.split(",")).map(Long::parseLong).toList();
  }

  /** Why the literals are not a sub-multiset of the allowed numbers, or null if they are. */
  private static String unavailable(List<Long> used, List<Long> allowed) {
    Map<Long, Integer> left = new HashMap<>();
    allowed.forEach(n -> left.merge(n, 1, Integer::sum));
    for (long n : used) {
      int k = left.getOrDefault(n, 0);
      if (k == 0) {
        return allowed.contains(n)
            ? n + " used more often than given"
            : n + " is not one of " + allowed;
      }
      left.put(n, k - 1);
    }
    return null;
  }
}
