package dev.r3.env;

import java.util.List;
import java.util.Map;

/**
 * The plug-in point: one provider per environment, found by {@link java.util.ServiceLoader}.
 *
 * <p>To plug an environment in, implement this interface in a public class with a public
 * no-argument constructor, list that class in {@code
 * META-INF/services/dev.r3.env.EnvironmentProvider} of your jar, and put the jar on the class path.
 * {@link Environments#create} then finds it by {@link #name()} alone.
 */
public interface EnvironmentProvider {

  /** Unique name, lower case, as used in configs. */
  String name();

  /** One line for people. */
  String description();

  /**
   * The parameters {@link #create} accepts, for help texts and validation. Parsing them with {@link
   * Params#parse} gives uniform errors (unknown key, bad value) for free.
   */
  default List<ParamSpec> parameters() {
    return List.of();
  }

  /**
   * A configured environment. Missing keys take their defaults.
   *
   * @throws EnvConfigException for an unknown key or a bad value, naming it
   */
  Environment create(Map<String, String> params);
}
