package dev.r3.cli;

import dev.r3.report.ChildJvm;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A cluster run on this machine: {@code r3 train --cluster} and N {@code r3 node} child JVMs on
 * 127.0.0.1 (a free port), each line of their output passed to {@code out} with a node prefix;
 * {@link #close} stops the ones still running, one after the other (stopping every node at once
 * stalls the cluster's exit). Used by {@code ./r3 cluster-local} and {@code ./r3 bench --cluster}.
 */
final class LocalCluster implements AutoCloseable {

  /** What to start. */
  record Plan(
      int rolloutNodes,
      Integer workersPerNode,
      List<String> trainArgs,
      List<String> nodeSets,
      List<String> learnerJvm,
      List<String> nodeJvm) {}

  private final List<Process> children = new ArrayList<>();
  private final PrintStream out;
  private Process learner;

  LocalCluster(PrintStream out) {
    this.out = out;
  }

  /** Starts the learner (train --cluster with {@code trainArgs}) and the rollout nodes. */
  LocalCluster start(Plan plan) throws IOException {
    int port = freePort();
    List<String> train =
        new ArrayList<>(
            List.of(
                "train",
                "--cluster",
                "--port",
                Integer.toString(port),
                "--min-rollout-nodes",
                Integer.toString(plan.rolloutNodes())));
    train.addAll(plan.trainArgs());
    learner = start("learner", ChildJvm.r3(plan.learnerJvm(), train));
    for (int i = 1; i <= plan.rolloutNodes(); i++) {
      List<String> node =
          new ArrayList<>(
              List.of("node", "--role", "rollout", "--join", "127.0.0.1:" + port, "--port", "0"));
      if (plan.workersPerNode() != null) {
        node.add("--workers-per-node");
        node.add(plan.workersPerNode().toString());
      }
      for (String kv : plan.nodeSets()) {
        node.add("--set");
        node.add(kv);
      }
      start("rollout-" + i, ChildJvm.r3(plan.nodeJvm(), node));
    }
    return this;
  }

  /** Waits for the learner's exit code; then gives the rollout nodes a moment to leave. */
  int awaitLearner() throws InterruptedException {
    int code = learner.waitFor();
    for (Process p : children) {
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroy();
      }
    }
    return code;
  }

  private Process start(String name, List<String> cmd) throws IOException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    children.add(p);
    Thread t = new Thread(() -> pump(name, p, out), "log-" + name);
    t.setDaemon(true);
    t.start();
    return p;
  }

  private static void pump(String name, Process p, PrintStream to) {
    String prefix = String.format("[%-9s] ", name);
    try (BufferedReader r =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        to.println(prefix + line);
      }
    } catch (IOException ignored) {
      // the child is gone
    }
  }

  /** Stops what still runs, one after the other. */
  @Override
  public void close() {
    for (Process p : children) {
      if (p.isAlive()) {
        p.destroy();
        try {
          if (!p.waitFor(15, TimeUnit.SECONDS)) {
            p.destroyForcibly();
          }
        } catch (InterruptedException e) {
          p.destroyForcibly();
          Thread.currentThread().interrupt();
        }
      }
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
