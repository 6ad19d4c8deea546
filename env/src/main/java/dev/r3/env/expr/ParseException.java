package dev.r3.env.expr;

/**
 * An expression was rejected; {@link #kind()} says why in a form that can be counted, {@link
 * #position()} where (character offset, or -1).
 */
public final class ParseException extends Exception {
  private static final long serialVersionUID = 1L;

  public enum Kind {
    EMPTY,
    TOO_LONG,
    TOO_DEEP,
    NUMBER_TOO_LARGE,
    DIVISION_BY_ZERO,
    UNEXPECTED_CHARACTER,
    UNEXPECTED_END,
    TRAILING_INPUT
  }

  private final Kind kind;
  private final int position;

  public ParseException(Kind kind, int position, String message) {
    super(message + (position >= 0 ? " at position " + position : ""));
    this.kind = kind;
    this.position = position;
  }

  public Kind kind() {
    return kind;
  }

  public int position() {
    return position;
  }
}
