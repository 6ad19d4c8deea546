package dev.r3.env.expr;

import java.util.List;

/**
 * A parsed expression: its exact value and the integer literals it uses, in order (for countdown's
 * "each number at most once" rule).
 */
public record ParsedExpr(Rational value, List<Long> literals) {
  public ParsedExpr {
    literals = List.copyOf(literals);
  }
}
