package dev.r3.report;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The real child commands, {@code r3 train} and {@code r3 mismatch}, each as a new JVM with this
 * JVM's java binary and classpath and the system properties the {@code ./r3} launcher sets (offline
 * DJL, the project-local engine cache), so a child behaves exactly like a command started by hand
 * and never needs the launcher script or a rebuild.
 */
public final class ChildJvm {
  /** The launcher's -D properties, forwarded when this JVM has them. */
  static final List<String> FORWARDED_PROPERTIES =
      List.of(
          "ai.djl.offline",
          "ENGINE_CACHE_DIR",
          "DJL_CACHE_DIR",
          "ai.djl.default_engine",
          "r3.root");

  static final String MAIN = "dev.r3.cli.R3";

  private ChildJvm() {}

  /** As {@link #train(List, List)} with no plugin jars. */
  static SuiteRunner.ChildCommand train(List<String> jvmOptions) {
    return train(jvmOptions, List.of());
  }

  /**
   * {@code r3 train --config F --out SEED_DIR --set r3.monitor.port=0 --set k=v ... --plugin JAR
   * ...} for one run: it writes straight into its seed folder and loads the plugin jars this JVM
   * loaded.
   */
  static SuiteRunner.ChildCommand train(List<String> jvmOptions, List<Path> plugins) {
    return spec -> {
      List<String> args =
          new ArrayList<>(
              List.of(
                  "train",
                  "--config",
                  spec.entry().config().toString(),
                  "--out",
                  spec.seedDir().toString(),
                  // No monitor server per child run unless the suite's settings ask for one (a
                  // later --set wins).
                  "--set",
                  "r3.monitor.port=0"));
      for (String kv : spec.sets()) {
        args.add("--set");
        args.add(kv);
      }
      addPlugins(args, plugins);
      return r3(jvmOptions, args);
    };
  }

  /**
   * {@code r3 mismatch --checkpoint DIR --json FILE ... --plugin JAR ...} for one trained model
   * (its environment may come from a plugin).
   */
  static SuiteRunner.MeasureCommand mismatch(List<String> jvmOptions, List<Path> plugins) {
    return (checkpoint, json, extra) -> {
      List<String> args =
          new ArrayList<>(
              List.of(
                  "mismatch", "--checkpoint", checkpoint.toString(), "--json", json.toString()));
      args.addAll(extra);
      addPlugins(args, plugins);
      return r3(jvmOptions, args);
    };
  }

  private static void addPlugins(List<String> args, List<Path> plugins) {
    for (Path jar : plugins) {
      args.add("--plugin");
      args.add(jar.toString());
    }
  }

  /** The command line of {@code r3 ARGS} in a new JVM with {@code jvmOptions}. */
  public static List<String> r3(List<String> jvmOptions, List<String> args) {
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
    cmd.addAll(args);
    return cmd;
  }

  private static String javaBinary() {
    return ProcessHandle.current()
        .info()
        .command()
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
  }
}
