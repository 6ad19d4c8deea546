package dev.r3.env.expr;

/**
 * Bounds on what {@link Expr#parse} accepts. Model output is untrusted: without bounds a string of
 * a few hundred characters can nest deep enough to overflow the stack or build numbers with
 * millions of digits ({@code 999999*999999*...}).
 *
 * @param maxLength characters of input
 * @param maxDepth nesting of parentheses and unary minus
 * @param maxDigits digits of one number literal
 * @param maxBits bits of any intermediate numerator or denominator
 */
public record ExprLimits(int maxLength, int maxDepth, int maxDigits, int maxBits) {
  /** Generous defaults for tool calls and answers of small tasks. */
  public static final ExprLimits DEFAULT = new ExprLimits(64, 8, 12, 128);

  public ExprLimits {
    if (maxLength < 1 || maxDepth < 1 || maxDigits < 1 || maxBits < 8) {
      throw new IllegalArgumentException(
          "limits must be positive (maxBits >= 8): "
              + maxLength
              + ", "
              + maxDepth
              + ", "
              + maxDigits
              + ", "
              + maxBits);
    }
  }
}
