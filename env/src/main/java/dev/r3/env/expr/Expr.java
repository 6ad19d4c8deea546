package dev.r3.env.expr;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;

/**
 * A bounded recursive-descent parser and exact evaluator for integer arithmetic: {@code + - * /},
 * parentheses, unary minus, non-negative integer literals, spaces.
 *
 * <pre>
 *   expr   := term (('+' | '-') term)*
 *   term   := factor (('*' | '/') factor)*
 *   factor := '-' factor | number | '(' expr ')'
 * </pre>
 *
 * <p>It only ever reads the characters above: no names, no calls, nothing is handed to a script
 * engine, so model output cannot run code. Every limit of {@link ExprLimits} is checked before the
 * work it bounds, and every failure is a {@link ParseException}.
 */
public final class Expr {
  private final String s;
  private final ExprLimits limits;
  private final List<Long> literals = new ArrayList<>();
  private int i;

  private Expr(String s, ExprLimits limits) {
    this.s = s;
    this.limits = limits;
  }

  /** Parses and evaluates {@code text} under {@link ExprLimits#DEFAULT}. */
  public static ParsedExpr parse(String text) throws ParseException {
    return parse(text, ExprLimits.DEFAULT);
  }

  /**
   * Parses and evaluates {@code text}; throws nothing but {@link ParseException} for any string.
   */
  public static ParsedExpr parse(String text, ExprLimits limits) throws ParseException {
    if (text == null || text.isBlank()) {
      throw new ParseException(ParseException.Kind.EMPTY, -1, "empty expression");
    }
    if (text.length() > limits.maxLength()) {
      throw new ParseException(
          ParseException.Kind.TOO_LONG,
          limits.maxLength(),
          "expression longer than " + limits.maxLength() + " characters");
    }
    Expr p = new Expr(text, limits);
    Rational v = p.expr(0);
    p.ws();
    if (p.i < text.length()) {
      throw new ParseException(
          ParseException.Kind.TRAILING_INPUT,
          p.i,
          "unexpected " + describe(text.charAt(p.i)) + " after the expression");
    }
    return new ParsedExpr(v, p.literals);
  }

  /** The value of {@code text} under {@link ExprLimits#DEFAULT}. */
  public static Rational eval(String text) throws ParseException {
    return parse(text).value();
  }

  private Rational expr(int depth) throws ParseException {
    Rational v = term(depth);
    while (true) {
      ws();
      if (peek('+')) {
        i++;
        v = check(v.add(term(depth)));
      } else if (peek('-')) {
        i++;
        v = check(v.subtract(term(depth)));
      } else {
        return v;
      }
    }
  }

  private Rational term(int depth) throws ParseException {
    Rational v = factor(depth);
    while (true) {
      ws();
      if (peek('*')) {
        i++;
        v = check(v.multiply(factor(depth)));
      } else if (peek('/')) {
        int at = i++;
        Rational d = factor(depth);
        if (d.num().signum() == 0) {
          throw new ParseException(ParseException.Kind.DIVISION_BY_ZERO, at, "division by zero");
        }
        v = check(v.divide(d));
      } else {
        return v;
      }
    }
  }

  private Rational factor(int depth) throws ParseException {
    ws();
    if (i >= s.length()) {
      throw new ParseException(ParseException.Kind.UNEXPECTED_END, i, "expression ends too early");
    }
    char c = s.charAt(i);
    if (c == '-' || c == '(') {
      if (depth + 1 > limits.maxDepth()) {
        throw new ParseException(
            ParseException.Kind.TOO_DEEP, i, "nesting deeper than " + limits.maxDepth());
      }
      i++;
      if (c == '-') {
        return factor(depth + 1).negate();
      }
      Rational v = expr(depth + 1);
      ws();
      if (!peek(')')) {
        if (i >= s.length()) {
          throw new ParseException(ParseException.Kind.UNEXPECTED_END, i, "missing ')'");
        }
        throw new ParseException(
            ParseException.Kind.UNEXPECTED_CHARACTER,
            i,
            "expected ')' but found " + describe(s.charAt(i)));
      }
      i++;
      return v;
    }
    if (c >= '0' && c <= '9') {
      int start = i;
      while (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
        if (i - start >= limits.maxDigits()) {
          throw new ParseException(
              ParseException.Kind.NUMBER_TOO_LARGE,
              start,
              "number with more than " + limits.maxDigits() + " digits");
        }
        i++;
      }
      BigInteger n = new BigInteger(s.substring(start, i));
      if (n.bitLength() < 64) {
        literals.add(n.longValue());
      } else {
        literals.add(
            Long.MAX_VALUE); // only reachable with maxDigits > 18; never a valid countdown number
      }
      return check(Rational.of(n));
    }
    throw new ParseException(
        ParseException.Kind.UNEXPECTED_CHARACTER, i, "unexpected " + describe(c));
  }

  private Rational check(Rational v) throws ParseException {
    if (v.bitLength() > limits.maxBits()) {
      throw new ParseException(
          ParseException.Kind.NUMBER_TOO_LARGE,
          i,
          "intermediate value exceeds " + limits.maxBits() + " bits");
    }
    return v;
  }

  private void ws() {
    while (i < s.length() && s.charAt(i) == ' ') {
      i++;
    }
  }

  private boolean peek(char c) {
    return i < s.length() && s.charAt(i) == c;
  }

  private static String describe(char c) {
    return Character.isISOControl(c) ? String.format("character U+%04X", (int) c) : "'" + c + "'";
  }
}
