package dev.r3.cli;

import dev.r3.actors.cluster.ClusterConfig;
import dev.r3.actors.cluster.ClusterNodes;
import dev.r3.actors.config.ConfigLoader;
import dev.r3.actors.config.R3Config;
import dev.r3.actors.djl.ProductionBackends;
import dev.r3.actors.pipeline.Coordinator;
import dev.r3.actors.ports.Backends;
import dev.r3.actors.run.Metrics;
import dev.r3.actors.run.Resume;
import dev.r3.actors.run.Run;
import dev.r3.actors.run.RunFiles.RunSummary;
import dev.r3.actors.run.RunStatus;
import dev.r3.actors.wire.WireStats;
import dev.r3.env.Plugins;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code ./r3 train}: one asynchronous RL experiment on the actor pipeline. */
@Command(
    name = "train",
    mixinStandardHelpOptions = true,
    description = {
      "Runs one RL experiment: warm start (cached), then asynchronous GRPO/GSPO with R3 on Pekko actors.",
      "With no --config: config/grpo-r3.conf (GRPO + R3 on 'add'), a few minutes on 2 cores.",
      "Writes runs/<name>-<timestamp>/: metrics.jsonl, eval.jsonl, checkpoints/, summary.json.",
      "Ctrl-C (SIGINT) or SIGTERM stops it cleanly (a final checkpoint, status interrupted);",
      "--resume RUN_DIR continues a run from its newest checkpoint."
    })
final class TrainCommand implements Callable<Integer> {

  /** The experiment of a bare {@code ./r3 train}, under the repository root. */
  static final String DEFAULT_EXPERIMENT = "config/grpo-r3.conf";

  @Option(
      names = "--config",
      paramLabel = "FILE",
      description = "experiment file (HOCON); default: " + DEFAULT_EXPERIMENT + " when it exists")
  Path config;

  @Option(
      names = "--set",
      paramLabel = "KEY=VALUE",
      description = "override one setting, e.g. learner.mini-steps=4")
  List<String> sets = new ArrayList<>();

  @Mixin EnvOptions env = new EnvOptions();

  @Option(
      names = "--plugin",
      paramLabel = "JAR",
      description =
          "an environment plugin jar to load (repeatable; also r3.env.plugins): its environments"
              + " are then found by name")
  List<Path> plugins = new ArrayList<>();

  @Option(
      names = "--cluster",
      description =
          "run as the learner node of a Pekko cluster (the seed); rollouts run on './r3 node' JVMs")
  boolean cluster;

  @Option(
      names = "--port",
      paramLabel = "P",
      description = "cluster: the learner's port (r3.cluster.port, default 25520)")
  Integer port;

  @Option(
      names = "--min-rollout-nodes",
      paramLabel = "N",
      description = "cluster: train once N rollout nodes are ready (r3.cluster.min-rollout-nodes)")
  Integer minRolloutNodes;

  @Option(
      names = "--out",
      paramLabel = "DIR",
      description = "run folder (default: <out-dir>/<name>-<timestamp>)")
  Path out;

  @Option(
      names = "--resume",
      paramLabel = "RUN_DIR",
      description =
          "continue this run from its newest complete checkpoint (settings: its run-config.json,"
              + " or --config / --set, which must not change the experiment without --force)")
  Path resume;

  @Option(
      names = "--force",
      description =
          "with --resume: accept settings that differ from the run's (recorded in summary.json)")
  boolean force;

  /** Exit status of a run stopped by a signal (after its final checkpoint). */
  static final int INTERRUPTED = 130;

  @Override
  public Integer call() throws Exception {
    if (resume != null && out != null) {
      throw new IllegalArgumentException("--resume continues RUN_DIR in place: drop --out");
    }
    if (force && resume == null) {
      throw new IllegalArgumentException("--force only applies with --resume RUN_DIR");
    }
    Path file = config;
    if (file == null) {
      file = resume != null ? Run.configFile(resume) : defaultExperiment();
    }
    List<String> all = new ArrayList<>(sets);
    if (!cluster && (port != null || minRolloutNodes != null)) {
      throw new IllegalArgumentException("--port and --min-rollout-nodes need --cluster");
    }
    if (port != null) {
      all.add("r3.cluster.port=" + port);
    }
    if (minRolloutNodes != null) {
      all.add("r3.cluster.min-rollout-nodes=" + minRolloutNodes);
    }
    Plugins.load(plugins); // before the config names an environment only a plugin provides
    if (!plugins.isEmpty()) {
      List<String> jars = new ArrayList<>();
      for (Path p : Plugins.loaded()) {
        jars.add("\"" + p + "\"");
      }
      all.add("r3.env.plugins=[" + String.join(", ", jars) + "]"); // recorded with the run
    }
    R3Config loaded = ConfigLoader.load(file, all, env.choice());
    Plugins.load(loaded.env().plugins().stream().map(Path::of).toList());
    R3Config c = ProductionBackends.resolve(loaded);
    if (cluster) {
      ClusterConfig.of(c); // refuse bad cluster settings before the warm start
    }
    Metrics.start(c);
    try {
      Backends b = ProductionBackends.build(c, System.err);
      Resume r = null;
      if (resume != null) {
        r = Resume.load(resume, c, b.initialWeights(), force);
        System.err.println(
            "resuming "
                + resume
                + " at step "
                + r.state().step()
                + (r.forced().isEmpty() ? "" : " (--force: " + r.forced() + ")")
                + (cluster
                    ? " as the learner node; start the rollout nodes again (./r3 node)"
                    : ""));
      }
      if (cluster) {
        Duration limit = Coordinator.backstop(c).plus(ClusterConfig.of(c).joinTimeout());
        Run learner;
        if (r != null) {
          learner = ClusterNodes.startLearner(c, b, resume, r);
        } else {
          learner = ClusterNodes.startLearner(c, b, out != null ? out : Run.defaultDir(c));
        }
        SignalStop.install(learner);
        RunSummary s = learner.await(limit);
        System.out.println(report(s));
        System.out.println(wireReport());
        return s.status() == RunStatus.INTERRUPTED ? INTERRUPTED : 0;
      }
      Run run;
      if (r != null) {
        run = Run.start(c, b, resume, r);
      } else {
        run = Run.start(c, b, out != null ? out : Run.defaultDir(c));
      }
      SignalStop.install(run);
      run.monitorUrl()
          .thenAccept(
              url -> System.err.println(url.isEmpty() ? "monitor: off" : "monitor: " + url));
      RunSummary s = run.await(Coordinator.backstop(c));
      System.out.println(report(s));
      return s.status() == RunStatus.INTERRUPTED ? INTERRUPTED : 0;
    } finally {
      Metrics.stop();
    }
  }

  static Path defaultExperiment() {
    Path f = Path.of(System.getProperty("r3.root", ".")).resolve(DEFAULT_EXPERIMENT);
    if (Files.isRegularFile(f)) {
      System.err.println("experiment: " + f);
      return f;
    }
    return null;
  }

  /** Bytes per trajectory received over the network, against int32 routing ids. */
  static String wireReport() {
    if (WireStats.trajectories() == 0) {
      return "  wire: no trajectories received";
    }
    return String.format(
        Locale.ROOT,
        "  wire: %d trajectories, %.0f bytes each (routing 1 byte per id); %.0f with int32 ids (%.2fx)",
        WireStats.trajectories(),
        WireStats.bytesPerTrajectory(),
        WireStats.int32BytesPerTrajectory(),
        WireStats.int32BytesPerTrajectory() / WireStats.bytesPerTrajectory());
  }

  static String report(RunSummary s) {
    return String.format(
        Locale.ROOT,
        "run %s%s: %d steps in %.0f s%n  eval accuracy %.3f -> %.3f%n  ledger %s%n  %s",
        s.name(),
        s.status() == RunStatus.INTERRUPTED
            ? " interrupted (" + s.failure() + "; ./r3 train --resume " + s.dir() + " continues it)"
            : "",
        s.steps(),
        s.wallSeconds(),
        s.initialEval() == null ? Double.NaN : s.initialEval().accuracy(),
        s.finalEval() == null ? Double.NaN : s.finalEval().accuracy(),
        s.ledger(),
        s.dir());
  }
}
