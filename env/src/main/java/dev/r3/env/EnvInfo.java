package dev.r3.env;

import java.util.List;

/** What {@code ./r3 env list} shows about one environment. */
public record EnvInfo(
    String name, boolean multiTurn, String description, List<ParamSpec> parameters) {
  public EnvInfo {
    parameters = List.copyOf(parameters);
  }
}
