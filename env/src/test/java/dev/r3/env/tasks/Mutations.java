package dev.r3.env.tasks;

import dev.r3.env.expr.Expr;
import dev.r3.env.expr.ParseException;
import java.math.BigInteger;

/** Answer mutations that are wrong by construction, per task. */
final class Mutations {
  private Mutations() {}

  static String mutate(String env, String answer, int kind, int digit) {
    return switch (env) {
      case "add", "mul", "calc", "lookup" -> number(answer, kind, digit);
      case "sort" -> sorted(answer, kind, digit);
      case "countdown" -> expression(answer, kind, digit);
      default -> throw new IllegalArgumentException(env);
    };
  }

  /** A different integer, or not an integer at all. */
  private static String number(String a, int kind, int digit) {
    BigInteger v = new BigInteger(a);
    return switch (kind) {
      case 0 -> v.add(BigInteger.valueOf(digit)).toString();
      case 1 -> v.subtract(BigInteger.valueOf(digit)).toString();
      case 2 -> a + digit; // one digit too many
      case 3 -> a.length() > 1 ? a.substring(1) + "x" : "x"; // junk
      case 4 -> "";
      default -> a + "+0"; // an expression, not a number
    };
  }

  /** Not the sorted list: a changed digit, a lost digit, an unsorted order, junk. */
  private static String sorted(String a, int kind, int digit) {
    return switch (kind) {
      case 0 -> a + digit;
      case 1 -> a.substring(1);
      case 2 -> {
        char c = a.charAt(0);
        char other = (char) ('0' + (c - '0' + digit) % 10);
        yield other + a.substring(1);
      }
      case 3 ->
          a.chars().distinct().count() > 1 ? new StringBuilder(a).reverse().toString() : a + "0";
      case 4 -> a.replace(a.charAt(0), 'x');
      default -> String.join(",", a.split(""));
    };
  }

  /**
   * An expression with a different value, a number that is not given, or one that does not parse.
   * The oracle uses every given number once, and neither 0 nor the target is ever given, so each of
   * these is wrong.
   */
  private static String expression(String a, int kind, int digit) {
    return switch (kind) {
      case 0 -> "(" + a + ")+" + digit + "00";
      case 1 -> "(" + a + ")*2-" + value(a);
      case 2 -> a + "+";
      case 3 -> "(" + a;
      case 4 -> a.replaceFirst("[0-9]+", "0");
      default -> a + "/0";
    };
  }

  private static String value(String expr) {
    try {
      return Expr.eval(expr).toString();
    } catch (ParseException e) {
      throw new AssertionError(e);
    }
  }
}
