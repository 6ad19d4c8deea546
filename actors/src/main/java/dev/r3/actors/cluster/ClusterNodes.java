package dev.r3.actors.cluster;

import com.typesafe.config.Config;
import dev.r3.actors.config.PekkoModules;
import dev.r3.actors.config.R3Config;
import dev.r3.actors.ports.Backends;
import dev.r3.actors.run.Resume;
import dev.r3.actors.run.Run;
import dev.r3.actors.run.RunFiles;
import dev.r3.actors.run.RunFiles.RunSummary;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorSystem;

/** Starts the two kinds of cluster node as actor systems. */
public final class ClusterNodes {
  private ClusterNodes() {}

  /**
   * The learner node, bound to {@code r3.cluster.hostname:port} and its own seed; the run starts
   * when enough rollout nodes are ready.
   */
  public static Run startLearner(R3Config config, Backends backends, Path dir) {
    return startLearner(config, backends, dir, null);
  }

  /**
   * As above; with {@code resume}, the run in {@code dir} continues from its checkpoint (rollout
   * nodes join afresh: they hold nothing a run needs back).
   */
  public static Run startLearner(R3Config config, Backends backends, Path dir, Resume resume) {
    ClusterConfig settings = ClusterConfig.of(config);
    if (config.rollout().maxNewTokens() < 1) {
      throw new IllegalArgumentException(
          "r3.rollout.max-new-tokens is 0: resolve it from the environment first");
    }
    String me = settings.hostname() + ":" + settings.port();
    Config pekko =
        ClusterConfig.nodeConfig(
            config.source(),
            settings.hostname(),
            settings.port(),
            ClusterConfig.LEARNER_ROLE,
            List.of(ClusterConfig.seed(me)));
    announceTransport(pekko);
    // Digested once here: rollout nodes load a jar only with these bytes (a missing one fails now).
    PluginBundle plugins = PluginBundle.read(config.env().plugins());
    CompletableFuture<RunSummary> done = new CompletableFuture<>();
    ClusterRecord record = new ClusterRecord();
    RunFiles files;
    if (resume == null) {
      files = new RunFiles(dir);
      Run.writeConfig(dir, config);
    } else {
      files = RunFiles.resumed(dir, resume.state().step(), resume.state().evals());
    }
    ActorSystem<LearnerNode.Command> system =
        ActorSystem.create(
            LearnerNode.create(config, settings, backends, files, done, record, resume, plugins),
            ClusterConfig.SYSTEM,
            pekko);
    PekkoModules.require(system);
    NodeManagement.of(config.source()).start(system);
    // A signal stops the run after the step in flight with a final checkpoint (as in one JVM);
    // then the learner leaves the cluster and the rollout nodes exit.
    return Run.of(system, done, why -> system.tell(new LearnerNode.Interrupt(why)));
  }

  /**
   * A rollout node joining the learner at {@code join} (host:port; null when {@code
   * r3.cluster.bootstrap} forms the cluster), bound to {@code hostname:port} (0 = any free port).
   * The future completes with why the node ended.
   *
   * @param base the local config (reference.conf and the system properties)
   * @param overrides r3 keys set on this node over the learner's settings (and its own TLS)
   */
  public static Node startRollout(
      Config base,
      String hostname,
      int port,
      String join,
      Config overrides,
      Function<R3Config, RolloutBackends> backends) {
    Config pekko =
        ClusterConfig.nodeConfig(
            overrides.withFallback(base).resolve(),
            hostname,
            port,
            ClusterConfig.ROLLOUT_ROLE,
            join == null ? List.of() : List.of(ClusterConfig.seed(join)));
    announceTransport(pekko);
    CompletableFuture<String> done = new CompletableFuture<>();
    ActorSystem<?> system =
        ActorSystem.create(
            RolloutNode.create(overrides, backends, done), ClusterConfig.SYSTEM, pekko);
    PekkoModules.require(system);
    NodeManagement.of(pekko).start(system);
    return new Node(system, done);
  }

  private static void announceTransport(Config pekko) {
    System.err.println(
        ClusterTls.on(pekko)
            ? "cluster transport: tls-tcp (mutual authentication, key store "
                + pekko.getString("pekko.remote.artery.ssl.config-ssl-engine.key-store")
                + ")"
            : "cluster transport: tcp (plain; r3.cluster.tls for anything but a private network)");
  }

  /** A started rollout node. */
  public record Node(ActorSystem<?> system, CompletableFuture<String> done) {}
}
