package dev.r3.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
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

  @Override
  public Integer call() throws Exception {
    if (rolloutNodes < 1) {
      throw new IllegalArgumentException("--rollout-nodes must be >= 1, got " + rolloutNodes);
    }
    List<String> train = new ArrayList<>();
    if (config != null) {
      train.add("--config");
      train.add(config.toString());
    }
    if (out != null) {
      train.add("--out");
      train.add(out.toString());
    }
    List<String> nodeSets = new ArrayList<>();
    for (String kv : sets) {
      train.add("--set");
      train.add(kv);
      if (kv.startsWith("r3.cluster.tls.") || kv.startsWith("cluster.tls.")) {
        nodeSets.add(kv); // TLS is each node's own setting: it must hold before joining
      }
    }
    LocalCluster cluster = new LocalCluster(System.out);
    Thread hook = new Thread(cluster::close, "cluster-local-stop");
    Runtime.getRuntime().addShutdownHook(hook);
    int code;
    try {
      cluster.start(
          new LocalCluster.Plan(
              rolloutNodes, workersPerNode, train, nodeSets, learnerJvm, nodeJvm));
      code = cluster.awaitLearner();
    } finally {
      cluster.close();
    }
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException ignored) {
      // shutting down already
    }
    return code;
  }
}
