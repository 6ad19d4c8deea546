package dev.r3.cli;

import dev.r3.env.EnvShow;
import dev.r3.env.Plugins;
import dev.r3.env.Split;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ./r3 env list} and {@code ./r3 env show NAME}: what environments exist and what an episode
 * looks like.
 */
@Command(
    name = "env",
    mixinStandardHelpOptions = true,
    description = "List the environments, or show one episode with its oracle answer and reward.",
    subcommands = {EnvCommand.ListEnvs.class, EnvCommand.Show.class})
final class EnvCommand implements Runnable {

  @Override
  public void run() {
    System.out.print(EnvShow.list());
  }

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description =
          "Name, single- or multi-turn, and a one-line description of every environment found.")
  static final class ListEnvs implements Runnable {
    @Option(
        names = "--plugin",
        paramLabel = "JAR",
        description = "also list the environments of this plugin jar (repeatable)")
    List<Path> plugins = new ArrayList<>();

    @Override
    public void run() {
      Plugins.load(plugins);
      System.out.print(EnvShow.list());
    }
  }

  @Command(
      name = "show",
      mixinStandardHelpOptions = true,
      description =
          "One episode of NAME: prompt, oracle answer, the environment's replies and the reward.")
  static final class Show implements Callable<Integer> {
    @Parameters(
        index = "0",
        paramLabel = "NAME",
        description = "environment name (see `r3 env list`)")
    String name;

    @Option(
        names = "--seed",
        defaultValue = "0",
        description = "episode seed (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(
        names = "--split",
        defaultValue = "TRAIN",
        description = "TRAIN or EVAL (default: ${DEFAULT-VALUE})")
    Split split;

    @Option(
        names = {"-p", "--param"},
        description = "environment parameter key=value (repeatable)")
    Map<String, String> params = new LinkedHashMap<>();

    @Override
    public Integer call() {
      System.out.print(EnvShow.render(name, params, seed, split));
      return 0;
    }
  }
}
