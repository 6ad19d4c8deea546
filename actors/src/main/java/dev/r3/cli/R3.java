package dev.r3.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code ./r3} command line. Each subcommand lives in its own class in this package; register a
 * new one in {@code subcommands} below.
 */
@Command(
    name = "r3",
    mixinStandardHelpOptions = true,
    version = "r3 0.1.0",
    description =
        "R3: reinforcement learning of Mixture-of-Experts models with Rollout Routing Replay.",
    subcommands = {
      CommandLine.HelpCommand.class,
      EnvCommand.class,
      PretrainCommand.class,
      TrainCommand.class,
      MismatchCommand.class,
      BenchCommand.class,
      CompareCommand.class,
      SoakCommand.class,
      NodeCommand.class,
      ClusterLocalCommand.class,
      TopCommand.class,
    })
public final class R3 implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** The configured command line (tests drive it directly). */
  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new R3());
    cl.setExecutionExceptionHandler(
        (ex, cmd, parsed) -> {
          // A user error (bad config, bad flag value, missing file) is one clear line, not a stack
          // trace.
          if (ex instanceof IllegalArgumentException
              || ex instanceof UncheckedIOException
              || ex instanceof IOException
              || ex instanceof IllegalStateException) {
            cmd.getErr().println(cmd.getCommandSpec().qualifiedName() + ": " + ex.getMessage());
            if (System.getenv("R3_DEBUG") != null) {
              ex.printStackTrace(cmd.getErr());
            }
            return 2;
          }
          throw ex;
        });
    return cl;
  }
}
