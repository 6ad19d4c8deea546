package dev.r3.cli;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.r3.actors.config.ConfigLoader;
import dev.r3.actors.config.R3Config;
import dev.r3.actors.djl.ProductionBackends;
import dev.r3.actors.pipeline.Coordinator;
import dev.r3.actors.ports.Backends;
import dev.r3.actors.run.Run;
import dev.r3.actors.run.RunFiles.RunSummary;
import dev.r3.model.CoreShare;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code ./r3 bench --pipeline}: the default experiment ({@code config/grpo-r3.conf}) for a fixed
 * number of learner steps, in this JVM, with eta = 0 (synchronous) and eta = 1, each with and
 * without continuous batching ({@code r3.rollout.max-batch-rows} 64 and 0), and with each thread
 * policy asked for ({@code r3.threads.policy}), run after one another. Dynamic sampling is off so
 * every step trains B x G samples; evaluations and checkpoints are cut to the minimum. Per run:
 * wall seconds from the start of training, trained samples per second (whole run and steady: the
 * second half of the steps), per second of this process's CPU time, the learner's mean busy
 * fraction and the mean rollout tokens/s (both from metrics.jsonl). A 3-step warm-up run comes
 * first and is not reported.
 */
final class PipelineBench {
  private PipelineBench() {}

  /** What every run sets on top of the default experiment. */
  static final List<String> SETTINGS =
      List.of(
          "r3.algorithm.dynamic-sampling=off",
          "r3.eval.every=0",
          "r3.eval.size=8",
          "r3.checkpoint.every=0",
          "r3.monitor.port=0",
          "r3.experiment.progress-bar=off");

  record Config(int eta, int maxBatchRows, CoreShare.Policy threads) {
    Config(int eta, int maxBatchRows) {
      this(eta, maxBatchRows, CoreShare.Policy.FIXED);
    }

    String label() {
      return (eta == 0 ? "sync (eta 0)" : "async (eta " + eta + ")")
          + (maxBatchRows > 0 ? ", continuous " + maxBatchRows : ", one group per call")
          + (threads == CoreShare.Policy.SHARED ? ", threads shared" : "");
    }
  }

  record Row(
      Config config,
      long trained,
      double wallSeconds,
      double cpuSeconds,
      double steadySamplesPerSecond,
      double learnerBusy,
      double rolloutTokensPerSecond,
      double loadStart,
      double loadEnd) {
    double samplesPerSecond() {
      return trained / wallSeconds;
    }
  }

  static int run(
      Path experiment,
      int steps,
      List<Config> configs,
      List<String> extra,
      Path out,
      PrintStream report)
      throws Exception {
    Files.createDirectories(out);
    report.printf(
        "pipeline bench: %s, %d steps per run, %d runs in this JVM (%d cores); runs in %s%n",
        experiment, steps, configs.size(), Runtime.getRuntime().availableProcessors(), out);
    if (!extra.isEmpty()) {
      report.println("  every run also sets " + String.join(", ", extra));
    }
    // The first run in a JVM pays for JIT compilation and the warm start (CPU time of all threads
    // counts): a short run first, not reported, so that no measured run carries it.
    Row warm = one(experiment, 3, configs.get(0), extra, out.resolve("warm-up"), report);
    report.printf("  warm-up run (3 steps, not reported): %.1f s%n", warm.wallSeconds());
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < configs.size(); i++) {
      Config cf = configs.get(i);
      Row r = one(experiment, steps, cf, extra, out.resolve(String.format("run-%d", i)), report);
      rows.add(r);
      report.printf(
          "  %s: %.1f s, %.2f trained samples/s (%.2f steady), %.2f per CPU s, learner busy %.2f,"
              + " rollout %.0f tokens/s%n",
          cf.label(),
          r.wallSeconds(),
          r.samplesPerSecond(),
          r.steadySamplesPerSecond(),
          r.trained() / r.cpuSeconds(),
          r.learnerBusy(),
          r.rolloutTokensPerSecond());
    }
    String table = table(rows, steps);
    report.println();
    report.print(table);
    Files.writeString(out.resolve("bench-pipeline.md"), table, StandardCharsets.UTF_8);
    return 0;
  }

  private static Row one(
      Path experiment, int steps, Config cf, List<String> extra, Path dir, PrintStream report)
      throws Exception {
    if (Files.exists(dir.resolve("summary.json"))) {
      throw new IllegalArgumentException(dir + " holds an earlier run: pick another --out");
    }
    List<String> set = new ArrayList<>(SETTINGS);
    set.add("r3.experiment.total-steps=" + steps);
    set.add("r3.learner.staleness=" + cf.eta());
    set.add("r3.rollout.max-batch-rows=" + cf.maxBatchRows());
    set.add("r3.threads.policy=" + cf.threads().name().toLowerCase(Locale.ROOT));
    set.addAll(extra);
    R3Config c = ProductionBackends.resolve(ConfigLoader.load(experiment, set));
    Backends b = ProductionBackends.build(c, report); // the warm start is cached after the first
    double load0 = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    report.printf("%s: running (load average %.1f) ...%n", cf.label(), load0);
    ClusterBench.StepClock clock = new ClusterBench.StepClock(dir.resolve("metrics.jsonl"));
    Thread watch = new Thread(clock, "bench-steps");
    watch.setDaemon(true);
    long cpu0 = processCpuNanos();
    watch.start();
    RunSummary s = Run.start(c, b, dir).await(Coordinator.backstop(c));
    clock.stop();
    watch.join();
    double cpu = (processCpuNanos() - cpu0) / 1e9;
    double load1 = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    double busy = 0;
    double tokens = 0;
    int n = 0;
    for (String line : Files.readAllLines(dir.resolve("metrics.jsonl"))) {
      JsonObject o = JsonParser.parseString(line).getAsJsonObject();
      if (o.get("throughput/learner_busy_frac").isJsonNull()
          || o.get("throughput/rollout_tokens_per_s").isJsonNull()) {
        continue;
      }
      busy += o.get("throughput/learner_busy_frac").getAsDouble();
      tokens += o.get("throughput/rollout_tokens_per_s").getAsDouble();
      n++;
    }
    return new Row(
        cf,
        s.ledger().trained(),
        s.wallSeconds(),
        cpu,
        clock.steadySamplesPerSecond(),
        busy / Math.max(1, n),
        tokens / Math.max(1, n),
        load0,
        load1);
  }

  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  static String table(List<Row> rows, int steps) {
    StringBuilder b = new StringBuilder();
    b.append(
        "| run | trained samples | wall s | trained samples/s | steady samples/s (2nd half) |"
            + " samples per CPU s | learner busy | rollout tokens/s | load avg start / end |\n");
    b.append("|---|---|---|---|---|---|---|---|---|\n");
    for (Row r : rows) {
      b.append(
          String.format(
              Locale.ROOT,
              "| %s | %d | %.1f | %.2f | %.2f | %.2f | %.2f | %.0f | %.1f / %.1f |%n",
              r.config().label(),
              r.trained(),
              r.wallSeconds(),
              r.samplesPerSecond(),
              r.steadySamplesPerSecond(),
              r.trained() / r.cpuSeconds(),
              r.learnerBusy(),
              r.rolloutTokensPerSecond(),
              r.loadStart(),
              r.loadEnd()));
    }
    b.append(
        String.format(
            Locale.ROOT,
            "%d learner steps of the default experiment per run (16 groups x 8 samples, dynamic"
                + " sampling off), one after another in one JVM; wall = the run's own wall time;"
                + " CPU = this process's CPU time during the run (all threads); learner busy and"
                + " rollout tokens/s = means over the steps of metrics.jsonl.%n",
            steps));
    return b.toString();
  }
}
