package dev.r3.report;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The real child command: {@code ./r3 train --config F --set ...} as a new JVM with this JVM's java
 * binary and classpath and the system properties the {@code ./r3} launcher sets (offline DJL, the
 * project-local engine cache), so a child behaves exactly like a run started by hand and never needs
 * the launcher script or a rebuild.
 */
final class TrainCommand implements SuiteRunner.ChildCommand {
  /** The launcher's -D properties, forwarded when this JVM has them. */
  static final List<String> FORWARDED_PROPERTIES = List.of("ai.djl.offline", "ENGINE_CACHE_DIR", "DJL_CACHE_DIR",
      "ai.djl.default_engine", "r3.root");
  static final String MAIN = "dev.r3.cli.R3";

  private final List<String> jvmOptions;

  TrainCommand(List<String> jvmOptions) {
    this.jvmOptions = List.copyOf(jvmOptions);
  }

  @Override
  public List<String> command(SuiteRunner.RunSpec spec) {
    List<String> cmd = new ArrayList<>();
    cmd.add(javaBinary());
    cmd.addAll(jvmOptions);
    for (String p : FORWARDED_PROPERTIES) {
      String v = System.getProperty(p);
      if (v != null) {
        cmd.add("-D" + p + "=" + v);
      }
    }
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(MAIN);
    cmd.add("train");
    cmd.add("--config");
    cmd.add(spec.entry().config().toString());
    for (String kv : spec.sets()) {
      cmd.add("--set");
      cmd.add(kv);
    }
    return cmd;
  }

  private static String javaBinary() {
    return ProcessHandle.current().info().command()
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
  }
}
