package dev.r3.cli;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.r3.model.GemmProbe;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code ./r3 bench --cluster}: the default experiment (tiny model, no warm start) on a local
 * cluster with 1, then 2, ... rollout nodes (learner and nodes are child JVMs on this machine, as
 * {@code ./r3 cluster-local} starts them). Per configuration: trained samples per second over the
 * run and in its steady part, this machine's GEMM rate measured just before and just after (the CPU
 * the run had), weight-sync seconds per version, bytes per version, and bytes per trajectory on the
 * wire against int32 routing ids. Each run's folder and node logs stay under {@code out}.
 */
final class ClusterBench {
  /** The experiment: the default one, small enough to run a few times on 2 cores. */
  static final List<String> SETTINGS =
      List.of(
          "r3.model.size=tiny",
          "r3.warm-start.enabled=off",
          "r3.algorithm.dynamic-sampling=off",
          "r3.eval.every=0",
          "r3.eval.size=8",
          "r3.checkpoint.every=0",
          "r3.metrics.router-disagreement=off",
          "r3.monitor.port=0",
          "r3.experiment.progress-bar=off");

  record Row(
      int nodes,
      int code,
      double gemmBefore,
      double gemmAfter,
      long trained,
      double wallSeconds,
      double steadySamplesPerSecond,
      double syncSeconds,
      long bytesPerVersion,
      String transport,
      double bytesPerTrajectory,
      double int32BytesPerTrajectory) {

    double samplesPerSecond() {
      return trained / wallSeconds;
    }
  }

  private ClusterBench() {}

  static int run(List<Integer> nodeCounts, int steps, Path out, PrintStream report)
      throws Exception {
    Files.createDirectories(out);
    report.printf(
        "cluster bench: the default experiment, tiny model, %d steps, learner + N rollout JVMs on"
            + " this machine (%d cores); runs and node logs in %s%n",
        steps, Runtime.getRuntime().availableProcessors(), out);
    List<Row> rows = new ArrayList<>();
    for (int n : nodeCounts) {
      rows.add(one(n, steps, out.resolve("nodes-" + n), report));
    }
    String table = table(rows, steps);
    report.println();
    report.print(table);
    Files.writeString(out.resolve("bench-cluster.md"), table, StandardCharsets.UTF_8);
    return rows.stream().allMatch(r -> r.code() == 0) ? 0 : 1;
  }

  private static Row one(int nodes, int steps, Path dir, PrintStream report) throws Exception {
    Path run = dir.resolve("run");
    if (Files.exists(run.resolve("summary.json"))) {
      throw new IllegalArgumentException(run + " holds an earlier run: pick another --out");
    }
    Files.createDirectories(dir);
    double before = GemmProbe.modelShape().gflops();
    report.printf("%d rollout node(s): GEMM %.1f GFLOP/s; running ...%n", nodes, before);
    List<String> train = new ArrayList<>(List.of("--out", run.toString()));
    for (String kv : SETTINGS) {
      train.add("--set");
      train.add(kv);
    }
    train.add("--set");
    train.add("r3.experiment.total-steps=" + steps);
    StepClock clock = new StepClock(run.resolve("metrics.jsonl"));
    int code;
    try (OutputStream logFile = Files.newOutputStream(dir.resolve("nodes.log"));
        PrintStream log = new PrintStream(logFile, true, StandardCharsets.UTF_8);
        LocalCluster cluster = new LocalCluster(log)) {
      Thread hook = new Thread(cluster::close, "bench-cluster-stop"); // Ctrl-C stops the children
      Runtime.getRuntime().addShutdownHook(hook);
      cluster.start(
          new LocalCluster.Plan(
              nodes,
              null,
              train,
              List.of(),
              List.of("-Xmx2g", "-XX:+UseSerialGC"),
              List.of("-Xmx1g", "-XX:+UseSerialGC")));
      Thread watch = new Thread(clock, "bench-steps");
      watch.setDaemon(true);
      watch.start();
      code = cluster.awaitLearner();
      clock.stop();
      watch.join();
      Runtime.getRuntime().removeShutdownHook(hook);
    }
    double after = GemmProbe.modelShape().gflops();
    if (code != 0 || !Files.exists(run.resolve("summary.json"))) {
      report.printf("  the run failed (exit %d): see %s%n", code, dir.resolve("nodes.log"));
      return new Row(
          nodes, code, before, after, 0, Double.NaN, Double.NaN, Double.NaN, 0, "", 0, 0);
    }
    JsonObject s =
        JsonParser.parseString(Files.readString(run.resolve("summary.json"))).getAsJsonObject();
    JsonObject c = s.getAsJsonObject("cluster");
    JsonObject w = c.getAsJsonObject("weight_sync");
    JsonObject t = c.getAsJsonObject("trajectories_on_wire");
    Row r =
        new Row(
            nodes,
            code,
            before,
            after,
            s.getAsJsonObject("ledger").get("trained").getAsLong(),
            s.get("wall_seconds").getAsDouble(),
            clock.steadySamplesPerSecond(),
            w.get("sync_seconds_mean").isJsonNull()
                ? Double.NaN
                : w.get("sync_seconds_mean").getAsDouble(),
            w.get("bytes_per_version").getAsLong(),
            w.get("transport").getAsString(),
            t.get("bytes_per_trajectory").getAsDouble(),
            t.get("bytes_per_trajectory_int32_routing").getAsDouble());
    report.printf(
        "  %.1f trained samples/s (%.1f steady), GEMM %.1f -> %.1f GFLOP/s%n",
        r.samplesPerSecond(), r.steadySamplesPerSecond(), before, after);
    return r;
  }

  static String table(List<Row> rows, int steps) {
    StringBuilder b = new StringBuilder();
    b.append(
        "| rollout nodes | trained samples/s (whole run) | steady samples/s (2nd half) | GEMM GFLOP/s"
            + " before / after | wall s | weight sync s/version | bytes/version | bytes/trajectory"
            + " on the wire | with int32 routing ids |\n");
    b.append("|---|---|---|---|---|---|---|---|---|\n");
    for (Row r : rows) {
      if (r.code() != 0) {
        b.append(
            String.format(
                Locale.ROOT,
                "| %d | failed (exit %d) | | %.1f / %.1f | | | | | |%n",
                r.nodes(),
                r.code(),
                r.gemmBefore(),
                r.gemmAfter()));
        continue;
      }
      b.append(
          String.format(
              Locale.ROOT,
              "| %d | %.1f | %.1f | %.1f / %.1f | %.1f | %.3f | %,d (%s) | %.1f | %.1f (%.2fx) |%n",
              r.nodes(),
              r.samplesPerSecond(),
              r.steadySamplesPerSecond(),
              r.gemmBefore(),
              r.gemmAfter(),
              r.wallSeconds(),
              r.syncSeconds(),
              r.bytesPerVersion(),
              r.transport(),
              r.bytesPerTrajectory(),
              r.int32BytesPerTrajectory(),
              r.int32BytesPerTrajectory() / r.bytesPerTrajectory()));
    }
    b.append(
        String.format(
            Locale.ROOT,
            "%d steps of the default experiment (16 groups x 8 samples per step), tiny model, bf16"
                + " rollouts; whole run = trained / wall from the start of training; steady ="
                + " samples trained between the middle and the last step over the time between"
                + " them (as metrics.jsonl grew); GEMM = this machine's float32 rate (GemmProbe,"
                + " model shape) measured in the bench JVM just before and after the run.%n",
            steps));
    return b.toString();
  }

  /** Watches metrics.jsonl grow: when each step's line appeared, and the trained count. */
  static final class StepClock implements Runnable {
    private final Path metrics;
    private final List<double[]> seen = new ArrayList<>(); // {seconds, trained}
    private volatile boolean stop;

    StepClock(Path metrics) {
      this.metrics = metrics;
    }

    void stop() {
      stop = true;
    }

    @Override
    public void run() {
      long t0 = System.nanoTime();
      int lines = 0;
      while (true) {
        boolean last = stop;
        try {
          if (Files.exists(metrics)) {
            List<String> all = Files.readAllLines(metrics);
            for (int i = lines; i < all.size(); i++) {
              String line = all.get(i);
              if (!line.endsWith("}")) {
                break; // half-written: read it next time
              }
              JsonObject row = JsonParser.parseString(line).getAsJsonObject();
              synchronized (seen) {
                seen.add(
                    new double[] {
                      (System.nanoTime() - t0) / 1e9, row.get("ledger/trained").getAsDouble()
                    });
              }
              lines = i + 1;
            }
          }
        } catch (IOException | RuntimeException e) {
          // the file is being written: try again
        }
        if (last) {
          return;
        }
        try {
          Thread.sleep(50);
        } catch (InterruptedException e) {
          return;
        }
      }
    }

    /** Samples trained from the middle step to the last, per second; NaN with under 4 steps. */
    double steadySamplesPerSecond() {
      synchronized (seen) {
        if (seen.size() < 4) {
          return Double.NaN;
        }
        double[] mid = seen.get(seen.size() / 2);
        double[] end = seen.get(seen.size() - 1);
        return (end[1] - mid[1]) / Math.max(1e-9, end[0] - mid[0]);
      }
    }
  }
}
