package dev.r3.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import dev.r3.actors.cluster.ClusterConfig;
import dev.r3.actors.cluster.ClusterNodes;
import dev.r3.actors.cluster.NodeManagement;
import dev.r3.actors.config.ConfigLoader;
import dev.r3.actors.djl.ProductionBackends;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ./r3 node --role rollout --join HOST:PORT}: a rollout node of a cluster run. */
@Command(
    name = "node",
    mixinStandardHelpOptions = true,
    description = {
      "Starts a rollout node and joins the learner ('./r3 train --cluster'). The run's settings, the",
      "model config and the weights come from the learner. Exits when the run ends (0) or when the",
      "learner is lost (3, with the reason)."
    })
final class NodeCommand implements Callable<Integer> {

  @Option(names = "--role", defaultValue = "rollout", description = "only 'rollout'")
  String role;

  @Option(
      names = "--join",
      paramLabel = "HOST:PORT",
      description =
          "the learner node (e.g. 127.0.0.1:25520); not with r3.cluster.bootstrap.method set"
              + " (cluster bootstrap finds the nodes)")
  String join;

  @Option(names = "--port", defaultValue = "0", description = "this node's port; 0 = any free")
  int port;

  @Option(
      names = "--hostname",
      defaultValue = "127.0.0.1",
      description = "the address this node binds and advertises")
  String hostname;

  @Option(
      names = "--workers-per-node",
      paramLabel = "K",
      description = "rollout engines here (r3.rollout.workers-per-node; default: the learner's)")
  Integer workersPerNode;

  @Option(
      names = "--set",
      paramLabel = "KEY=VALUE",
      description =
          "a setting of this node, over the learner's (e.g. r3.cluster.tls.enabled=on and its"
              + " stores, r3.cluster.join-timeout)")
  List<String> sets = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    if (!ClusterConfig.ROLLOUT_ROLE.equals(role)) {
      throw new IllegalArgumentException(
          "--role must be rollout (the learner is ./r3 train --cluster)");
    }
    if (join != null && !join.matches("[^:]+:\\d+")) {
      throw new IllegalArgumentException("--join must be HOST:PORT, got " + join);
    }
    if (workersPerNode != null && workersPerNode < 1) {
      throw new IllegalArgumentException("--workers-per-node must be >= 1, got " + workersPerNode);
    }
    Config overrides = ConfigLoader.overrides(sets);
    if (workersPerNode != null) {
      overrides =
          overrides.withValue(
              "r3.rollout.workers-per-node", ConfigValueFactory.fromAnyRef(workersPerNode));
    }
    boolean bootstraps =
        NodeManagement.of(overrides.withFallback(ConfigFactory.load()).resolve()).bootstraps();
    if (join == null && !bootstraps) {
      throw new IllegalArgumentException(
          "--join HOST:PORT (the learner) is required unless r3.cluster.bootstrap.method is set");
    }
    if (join != null && bootstraps) {
      throw new IllegalArgumentException(
          "--join and r3.cluster.bootstrap.method both say how to find the cluster: use one");
    }
    ClusterNodes.Node node =
        ClusterNodes.startRollout(
            ConfigFactory.load(), hostname, port, join, overrides, ProductionBackends::rollouts);
    int code;
    try {
      String why = node.done().get();
      System.err.println("rollout node: " + why);
      code = 0;
    } catch (ExecutionException e) {
      System.err.println("rollout node: " + e.getCause().getMessage());
      code = 3;
    } finally {
      node.system().terminate();
      try {
        node.system().getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
      } catch (Exception ignored) {
        // exiting anyway
      }
    }
    return code;
  }
}
