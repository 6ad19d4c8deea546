package dev.r3.sweep;

/** A sweep file that cannot be run; the message starts with the offending key. */
final class SweepConfigException extends IllegalArgumentException {
  private final String key;

  public SweepConfigException(String key, String message) {
    super(key + ": " + message);
    this.key = key;
  }

  /** The key path the error is about, e.g. {@code sweep.axes.top_k[2]}. */
  public String key() {
    return key;
  }
}
