package dev.r3.env;

/**
 * A config names an environment or a parameter that does not exist, or gives a bad value. The
 * message always says what is allowed (the known names, or the parameter's range).
 */
public final class EnvConfigException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public EnvConfigException(String message) {
    super(message);
  }

  public EnvConfigException(String message, Throwable cause) {
    super(message, cause);
  }
}
