package dev.r3.cli;

import dev.r3.actors.run.Run;
import sun.misc.Signal;

/**
 * SIGINT (Ctrl-C) and SIGTERM stop a run cleanly: the step in flight finishes, a final checkpoint
 * is written, and the run ends as {@code interrupted}. A second signal is left to the JVM's default
 * (exit at once), so a stuck run can still be killed by pressing Ctrl-C twice.
 */
final class SignalStop {
  private SignalStop() {}

  @SuppressWarnings("removal")
  static void install(Run run) {
    for (String name : new String[] {"INT", "TERM"}) {
      Signal signal = new Signal(name);
      var previous = new sun.misc.SignalHandler[1];
      previous[0] =
          Signal.handle(
              signal,
              s -> {
                System.err.println(
                    "\nSIG"
                        + name
                        + ": stopping after the step in flight and a final checkpoint"
                        + " (again to exit at once)");
                Signal.handle(signal, previous[0]);
                run.interrupt("SIG" + name);
              });
    }
  }
}
