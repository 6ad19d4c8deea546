package dev.r3.cli;

import dev.r3.actors.config.EnvChoice;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * {@code --env NAME} and {@code --env-param k=v}: an environment chosen on the command line, which
 * replaces the experiment's whole {@code r3.env} block (where {@code --set env.name=...} would keep
 * the old environment's parameters).
 */
final class EnvOptions {
  @Option(
      names = "--env",
      paramLabel = "NAME",
      description = "environment (./r3 env list); replaces the experiment's env block")
  String name;

  @Option(
      names = "--env-param",
      paramLabel = "KEY=VALUE",
      description =
          "a parameter of the environment (repeatable; ./r3 env show NAME lists them); replaces the"
              + " experiment's parameters")
  List<String> params = new ArrayList<>();

  EnvChoice choice() {
    return EnvChoice.of(name, params);
  }
}
