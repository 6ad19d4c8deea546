package dev.r3.actors.cluster;

import dev.r3.report.ChildJvm;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Real cluster nodes for tests: {@code r3 train --cluster} and {@code r3 node} as child JVMs on
 * 127.0.0.1 (a free port), each with its output in a file; closing stops the ones still running,
 * one after the other.
 */
final class ClusterProcesses implements AutoCloseable {
  static final List<String> JVM =
      List.of("-Xmx768m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");

  /** A tiny, short experiment that trains from random weights (every group kept). */
  static final List<String> TINY =
      List.of(
          "r3.experiment.progress-bar=off",
          "r3.model.size=tiny",
          "r3.warm-start.enabled=off",
          "r3.algorithm.dynamic-sampling=off",
          "r3.rollout.group-size=4",
          "r3.learner.batch-groups=4",
          "r3.learner.mini-steps=1",
          "r3.eval.every=0",
          "r3.eval.size=8",
          "r3.checkpoint.every=0",
          "r3.metrics.router-disagreement=off",
          "r3.rollout.max-new-tokens=4");

  private final Path dir;
  private final List<Process> processes = new ArrayList<>();

  /** Environment variables of every child (e.g. R3_TLS_PASSWORD). */
  final java.util.Map<String, String> env = new java.util.HashMap<>();

  final int port;

  ClusterProcesses(Path dir) throws IOException {
    this.dir = dir;
    this.port = freePort();
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  Process learner(int minNodes, int steps, Path out, List<String> more) throws IOException {
    return learner(minNodes, steps, out, more, List.of());
  }

  /** As above, with more arguments of {@code r3 train} (e.g. {@code --plugin JAR}). */
  Process learner(int minNodes, int steps, Path out, List<String> more, List<String> args)
      throws IOException {
    List<String> sets = new ArrayList<>(more);
    sets.add(0, "r3.experiment.total-steps=" + steps);
    List<String> command = new ArrayList<>(List.of("train", "--cluster", "--out", out.toString()));
    command.addAll(args);
    return startLearner("learner", command, minNodes, sets);
  }

  /** {@code r3 train --cluster --resume run}: the learner continuing {@code run}, as "name". */
  Process learnerResuming(String name, int minNodes, Path run, List<String> more)
      throws IOException {
    return startLearner(
        name, List.of("train", "--cluster", "--resume", run.toString()), minNodes, more);
  }

  /** {@code command} on this cluster's port with the tiny settings, then {@code more}. */
  private Process startLearner(String name, List<String> command, int minNodes, List<String> more)
      throws IOException {
    List<String> args = new ArrayList<>(command);
    args.addAll(List.of("--port", Integer.toString(port)));
    args.addAll(List.of("--min-rollout-nodes", Integer.toString(minNodes)));
    List<String> sets = new ArrayList<>(TINY);
    sets.addAll(more);
    for (String kv : sets) {
      args.add("--set");
      args.add(kv);
    }
    // Lost nodes downed quickly (the resolver's stable-after), so the test does not wait 5 s more.
    List<String> jvm = new ArrayList<>(JVM);
    jvm.add("-Dr3-cluster-pekko.pekko.cluster.split-brain-resolver.stable-after=2s");
    return start(name, ChildJvm.r3(jvm, args));
  }

  Process rolloutNode(String name) throws IOException {
    return rolloutNode(name, List.of());
  }

  /** A rollout node with these settings of its own ({@code --set}). */
  Process rolloutNode(String name, List<String> sets) throws IOException {
    List<String> args =
        new ArrayList<>(
            List.of("node", "--role", "rollout", "--join", "127.0.0.1:" + port, "--port", "0"));
    for (String kv : sets) {
      args.add("--set");
      args.add(kv);
    }
    return start(name, ChildJvm.r3(JVM, args));
  }

  /**
   * A rollout node without {@code --join}: its settings ({@code --set}) name a cluster bootstrap
   * method that finds the cluster.
   */
  Process bootstrappedNode(String name, List<String> sets) throws IOException {
    List<String> args = new ArrayList<>(List.of("node", "--role", "rollout", "--port", "0"));
    for (String kv : sets) {
      args.add("--set");
      args.add(kv);
    }
    return start(name, ChildJvm.r3(JVM, args));
  }

  Path log(String name) {
    return dir.resolve(name + ".log");
  }

  String output(String name) {
    try {
      return Files.readString(log(name), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }

  private Process start(String name, List<String> cmd) throws IOException {
    ProcessBuilder b =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log(name).toFile());
    b.environment().putAll(env);
    Process p = b.start();
    processes.add(p);
    return p;
  }

  /**
   * Waits until {@code condition} holds, failing after {@code limit} stretched by the machine's
   * load: the limits are set for a machine that runs this test alone, and three JVMs training on
   * two shared cores at load average 30 need several times longer (measured: 5 steps not reached in
   * 2 minutes). A hang still fails, later.
   */
  static void await(String what, Duration limit, BooleanSupplier condition)
      throws InterruptedException {
    double stretch = loadStretch();
    long end = System.nanoTime() + Math.round(limit.toNanos() * stretch);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > end) {
        throw new AssertionError(
            String.format(
                "timed out after %s (x%.1f for load average %.1f) waiting for %s",
                limit,
                stretch,
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(),
                what));
      }
      Thread.sleep(200);
    }
  }

  /**
   * 1 on a machine with a runnable thread per core or fewer, up to 6 as the load average per core
   * rises (read once per wait).
   */
  static double loadStretch() {
    double load = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    int cores = Runtime.getRuntime().availableProcessors();
    return load < 0 ? 1 : Math.max(1, Math.min(6, load / (2.0 * cores)));
  }

  /** Lines in the run's metrics.jsonl so far. */
  static int steps(Path run) {
    try {
      return (int) Files.readAllLines(run.resolve("metrics.jsonl")).stream().count();
    } catch (IOException e) {
      return 0;
    }
  }

  @Override
  public void close() throws InterruptedException {
    for (Process p : processes) {
      if (p.isAlive()) {
        p.destroy();
        if (!p.waitFor(15, TimeUnit.SECONDS)) {
          p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
      }
    }
  }
}
