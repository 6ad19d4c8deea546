package dev.r3.model;

/** A routing record that does not fit the sequence it was sent with (token count, layers or k). */
public final class RoutingMismatchException extends IllegalArgumentException {
  public RoutingMismatchException(String message) {
    super(message);
  }
}
