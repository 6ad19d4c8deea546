package dev.r3.actors.cluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueFactory;
import dev.r3.actors.config.ConfigReader;
import dev.r3.actors.config.R3Config;
import dev.r3.model.RolloutPrecision;
import java.time.Duration;
import java.util.List;

/**
 * The cluster settings of a run ({@code r3.cluster} and {@code r3.rollout.workers-per-node} in
 * reference.conf), read and validated once, and the pekko config of a cluster node.
 *
 * @param chunkBytes weights travel in pulls of at most this many bytes
 */
public record ClusterConfig(
    String hostname,
    int port,
    int minRolloutNodes,
    Duration joinTimeout,
    Duration learnerLostTimeout,
    int workersPerNode,
    int chunkBytes,
    WeightsCodec.Transport transport,
    int window,
    Duration chunkTimeout,
    int chunkRetries) {

  /** Artery's frame limit here; a chunk leaves room for the message around it. */
  public static final int MAX_CHUNK_BYTES = 256 * 1024;

  /** The actor system name every node of a run shares. */
  public static final String SYSTEM = "r3";

  public static final String LEARNER_ROLE = "learner";
  public static final String ROLLOUT_ROLE = "rollout";

  public static ClusterConfig of(R3Config c) {
    ConfigReader r = ConfigReader.of(c.source());
    int chunk = r.atLeast("r3.cluster.weights.chunk-bytes", 1024);
    if (chunk > MAX_CHUNK_BYTES - 4096) {
      throw new IllegalArgumentException(
          "r3.cluster.weights.chunk-bytes must be <= "
              + (MAX_CHUNK_BYTES - 4096)
              + " (256 KiB less room for the message around it), got "
              + chunk);
    }
    return new ClusterConfig(
        r.nonEmpty("r3.cluster.hostname"),
        r.portOrZero("r3.cluster.port"),
        r.atLeast("r3.cluster.min-rollout-nodes", 1),
        r.duration("r3.cluster.join-timeout"),
        r.duration("r3.cluster.learner-lost-timeout"),
        r.atLeast("r3.rollout.workers-per-node", 1),
        chunk,
        transport(r, c.rollout().precision()),
        r.atLeast("r3.cluster.weights.window", 1),
        r.duration("r3.cluster.weights.chunk-timeout"),
        r.atLeast("r3.cluster.weights.chunk-retries", 0));
  }

  /**
   * bf16 transport only where the engine rounds weights to bf16 anyway: rounding is idempotent, so
   * the engine holds the same numbers either way. fp8 and fp32 engines need the float32 weights.
   */
  private static WeightsCodec.Transport transport(ConfigReader r, RolloutPrecision p) {
    String t = r.oneOf("r3.cluster.weights.transport", "as-engine", "fp32", "bf16");
    boolean bf16Engine = p == RolloutPrecision.BF16 || p == RolloutPrecision.BF16_WEIGHTS;
    return switch (t) {
      case "fp32" -> WeightsCodec.Transport.FP32;
      case "bf16" -> {
        if (!bf16Engine) {
          throw new IllegalArgumentException(
              "r3.cluster.weights.transport = bf16 needs r3.rollout.precision bf16 or bf16-weights"
                  + " (the engine would otherwise compute with rounded weights), got "
                  + p);
        }
        yield WeightsCodec.Transport.BF16;
      }
      default -> bf16Engine ? WeightsCodec.Transport.BF16 : WeightsCodec.Transport.FP32;
    };
  }

  /**
   * The pekko config of a cluster node: {@code r3-cluster-pekko} over the run's config, bound to
   * {@code hostname:port}, with these roles and seed nodes, over TLS when {@code r3.cluster.tls} of
   * {@code base} says so ({@link ClusterTls}), with Pekko Management as {@code
   * r3.cluster.management} and {@code r3.cluster.bootstrap} say ({@link NodeManagement}; with a
   * bootstrap method, {@code seeds} is ignored: the bootstrap forms the cluster).
   *
   * @param base this node's own settings
   */
  public static Config nodeConfig(
      Config base, String hostname, int port, String role, List<String> seeds) {
    return nodeConfig(base, hostname, port, role, seeds, System::getenv);
  }

  /** As above, reading environment variables (the TLS password) with {@code env}. */
  static Config nodeConfig(
      Config base,
      String hostname,
      int port,
      String role,
      List<String> seeds,
      java.util.function.UnaryOperator<String> env) {
    NodeManagement management = NodeManagement.of(base);
    Config overlay =
        ClusterTls.overlay(base, env)
            .withValue(
                "pekko.remote.artery.canonical.hostname", ConfigValueFactory.fromAnyRef(hostname))
            .withValue("pekko.remote.artery.canonical.port", ConfigValueFactory.fromAnyRef(port))
            .withValue("pekko.cluster.roles", ConfigValueFactory.fromIterable(List.of(role)))
            .withValue(
                "pekko.cluster.seed-nodes",
                ConfigValueFactory.fromIterable(management.bootstraps() ? List.of() : seeds))
            .withFallback(management.pekko(hostname));
    return overlay.withFallback(base.getConfig("r3-cluster-pekko")).withFallback(base);
  }

  /** The address of the learner (the seed node) as a pekko URI. */
  public static String seed(String hostPort) {
    return "pekko://" + SYSTEM + "@" + hostPort;
  }
}
