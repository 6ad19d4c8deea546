package dev.r3.cli;

import dev.r3.report.ChildJvm;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./r3 cluster-local --rollout-nodes N}: a whole cluster run on this machine, the learner
 * and N rollout nodes as child JVMs on 127.0.0.1, their output streamed with node prefixes; every
 * child is stopped at the end, or on Ctrl-C.
 */
@Command(
    name = "cluster-local",
    mixinStandardHelpOptions = true,
    description = {
      "Runs one experiment on a local Pekko cluster: './r3 train --cluster' and N './r3 node' JVMs on",
      "127.0.0.1 (a free port), logs prefixed per node; all stopped at the end or on Ctrl-C."
    })
final class ClusterLocalCommand implements Callable<Integer> {

  @Option(names = "--rollout-nodes", defaultValue = "2", paramLabel = "N")
  int rolloutNodes;

  @Option(names = "--workers-per-node", paramLabel = "K")
  Integer workersPerNode;

  @Option(names = "--config", paramLabel = "FILE", description = "experiment file (as ./r3 train)")
  Path config;

  @Option(names = "--set", paramLabel = "KEY=VALUE", description = "override one setting")
  List<String> sets = new ArrayList<>();

  @Option(names = "--out", paramLabel = "DIR", description = "run folder (as ./r3 train)")
  Path out;

  @Option(
      names = "--learner-jvm",
      defaultValue = "-Xmx4g",
      split = " ",
      description = "JVM options of the learner (default -Xmx4g)")
  List<String> learnerJvm;

  @Option(
      names = "--node-jvm",
      defaultValue = "-Xmx2g",
      split = " ",
      description = "JVM options of each rollout node (default -Xmx2g)")
  List<String> nodeJvm;

  private final List<Process> children = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    if (rolloutNodes < 1) {
      throw new IllegalArgumentException("--rollout-nodes must be >= 1, got " + rolloutNodes);
    }
    int port = freePort();
    List<String> train =
        new ArrayList<>(
            List.of(
                "train",
                "--cluster",
                "--port",
                Integer.toString(port),
                "--min-rollout-nodes",
                Integer.toString(rolloutNodes)));
    if (config != null) {
      train.add("--config");
      train.add(config.toString());
    }
    if (out != null) {
      train.add("--out");
      train.add(out.toString());
    }
    for (String kv : sets) {
      train.add("--set");
      train.add(kv);
    }
    Thread hook = new Thread(this::stopAll, "cluster-local-stop");
    Runtime.getRuntime().addShutdownHook(hook);
    Process learner = start("learner", ChildJvm.r3(learnerJvm, train));
    for (int i = 1; i <= rolloutNodes; i++) {
      List<String> node =
          new ArrayList<>(
              List.of("node", "--role", "rollout", "--join", "127.0.0.1:" + port, "--port", "0"));
      if (workersPerNode != null) {
        node.add("--workers-per-node");
        node.add(workersPerNode.toString());
      }
      start("rollout-" + i, ChildJvm.r3(nodeJvm, node));
    }
    int code = learner.waitFor();
    // Rollout nodes leave when the learner has left; give them a moment, then stop the rest.
    for (Process p : children) {
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroy();
      }
    }
    stopAll();
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException ignored) {
      // shutting down already
    }
    return code;
  }

  private Process start(String name, List<String> cmd) throws IOException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    children.add(p);
    Thread t = new Thread(() -> pump(name, p, System.out), "log-" + name);
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

  /** One after the other: stopping every node at once stalls the cluster's exit. */
  private void stopAll() {
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
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
