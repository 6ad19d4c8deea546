package dev.r3.cli;

import dev.r3.actors.config.ConfigLoader;
import dev.r3.actors.config.R3Config;
import dev.r3.actors.djl.ProductionBackends;
import dev.r3.actors.pipeline.Coordinator;
import dev.r3.actors.ports.Backends;
import dev.r3.actors.run.Metrics;
import dev.r3.actors.run.Run;
import dev.r3.actors.run.RunFiles.RunSummary;
import dev.r3.model.NativeMemory;
import dev.r3.report.SoakLog;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./r3 soak}: the default experiment run again and again in one JVM for a given time, with
 * resident memory, live NDArrays, heap and threads sampled at a fixed interval. A leak in native
 * memory, actor systems or threads shows up as growth across runs; the soak fails when RSS grows
 * more than the limit after the warm-up.
 */
@Command(
    name = "soak",
    mixinStandardHelpOptions = true,
    description = {
      "Runs the default experiment in a loop for --minutes, sampling RSS, live NDArrays, heap and",
      "threads every --interval seconds into soak.jsonl and soak.png; fails (exit 1) if RSS grows",
      "more than --max-rss-growth after the first --warmup-minutes."
    })
final class SoakCommand implements Callable<Integer> {

  @Option(names = "--minutes", description = "how long to run (default: ${DEFAULT-VALUE})")
  double minutes = 60;

  @Option(names = "--interval", description = "seconds between samples (default: ${DEFAULT-VALUE})")
  double interval = 30;

  @Option(
      names = "--warmup-minutes",
      description = "growth is judged after this (default: ${DEFAULT-VALUE})")
  double warmupMinutes = 10;

  @Option(
      names = "--window-minutes",
      description =
          "RSS peaks are compared over the first and the last window of this length after warm-up"
              + " (default: ${DEFAULT-VALUE})")
  double windowMinutes = 5;

  @Option(
      names = "--max-rss-growth",
      description = "largest allowed RSS growth, a fraction (default: ${DEFAULT-VALUE})")
  double maxGrowth = 0.05;

  @Option(
      names = "--config",
      paramLabel = "FILE",
      description = "experiment (default: the one ./r3 train runs)")
  Path config;

  @Option(names = "--set", paramLabel = "KEY=VALUE", description = "override one setting")
  List<String> sets = new ArrayList<>();

  @Option(
      names = "--out",
      paramLabel = "DIR",
      description = "soak folder (default: runs/soak-<timestamp>)")
  Path out;

  @Override
  public Integer call() throws Exception {
    if (!(minutes > 0) || !(interval > 0) || !(warmupMinutes >= 0) || !(windowMinutes > 0)) {
      throw new IllegalArgumentException(
          "--minutes, --interval and --window-minutes must be > 0, --warmup-minutes >= 0");
    }
    List<String> all = new ArrayList<>();
    all.add("r3.experiment.progress-bar=off");
    all.addAll(sets);
    R3Config c =
        ProductionBackends.resolve(
            ConfigLoader.load(config != null ? config : TrainCommand.defaultExperiment(), all));
    Path dir =
        out != null
            ? out
            : Path.of(c.experiment().outDir())
                .resolve(
                    "soak-"
                        + LocalDateTime.now()
                            .format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
    MemoryUsage startHeap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
    if (startHeap.getCommitted() < startHeap.getMax()) {
      System.err.printf(
          Locale.ROOT,
          "soak: the Java heap is not fixed (committed %d MiB of max %d MiB): its growth will show"
              + " as RSS growth; ./r3 soak fixes it (-Xms2g -Xmx2g -XX:+AlwaysPreTouch) unless"
              + " R3_JAVA_OPTS says otherwise%n",
          startHeap.getCommitted() >> 20,
          startHeap.getMax() >> 20);
    }
    Metrics.start(c);
    long start = System.nanoTime();
    int[] iteration = {0};
    ScheduledExecutorService sampler =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "r3-soak-sampler");
              t.setDaemon(true);
              return t;
            });
    try (SoakLog log = new SoakLog(dir)) {
      Backends b = ProductionBackends.build(c, System.err);
      sampler.scheduleAtFixedRate(
          () -> {
            SoakLog.Sample s = sample((System.nanoTime() - start) / 1e9, iteration[0]);
            log.add(s);
            System.err.printf(
                Locale.ROOT,
                "soak %5.1f min  run %d  RSS %.0f MiB  NDArrays %d  heap %.0f MiB  threads %d%n",
                s.seconds() / 60,
                s.iteration(),
                s.rssKb() / 1024.0,
                s.liveArrays(),
                s.heapUsedBytes() / 1048576.0,
                s.threads());
          },
          0,
          Math.round(interval * 1000),
          TimeUnit.MILLISECONDS);
      long deadline = start + Math.round(minutes * 60e9);
      while (System.nanoTime() < deadline) {
        iteration[0]++;
        Path runDir = dir.resolve("runs").resolve("run-" + iteration[0]);
        RunSummary s = Run.start(c, b, runDir).await(Coordinator.backstop(c));
        System.err.printf(
            Locale.ROOT,
            "soak: run %d finished: %d steps in %.0f s, eval %.3f -> %.3f, ledger balanced%n",
            iteration[0],
            s.steps(),
            s.wallSeconds(),
            s.initialEval().accuracy(),
            s.finalEval().accuracy());
        deleteTree(runDir.resolve("checkpoints")); // a soak of many runs would fill the disk
      }
      sampler.shutdown();
      System.gc();
      Thread.sleep(2000);
      sampler.awaitTermination(10, TimeUnit.SECONDS);
      log.add(sample((System.nanoTime() - start) / 1e9, iteration[0]));
      SoakLog.Verdict v =
          SoakLog.verdict(log.samples(), warmupMinutes * 60, windowMinutes * 60, maxGrowth);
      Map<String, Object> settings = new LinkedHashMap<>();
      settings.put("experiment", c.experiment().name());
      settings.put("minutes", minutes);
      settings.put("seconds_run", (System.nanoTime() - start) / 1e9);
      settings.put("runs", iteration[0]);
      settings.put("interval_s", interval);
      settings.put("warmup_minutes", warmupMinutes);
      settings.put("window_minutes", windowMinutes);
      log.finish(v, warmupMinutes * 60, settings);
      System.out.println(
          (v.passed() ? "soak passed: " : "soak FAILED: ")
              + v.why()
              + "; "
              + iteration[0]
              + " runs; "
              + dir.resolve("soak.png"));
      return v.passed() ? 0 : 1;
    } finally {
      sampler.shutdownNow();
      Metrics.stop();
    }
  }

  static SoakLog.Sample sample(double seconds, int iteration) {
    MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
    return new SoakLog.Sample(
        seconds,
        iteration,
        NativeMemory.rssKb(),
        NativeMemory.liveArrays(),
        heap.getUsed(),
        heap.getCommitted(),
        ManagementFactory.getThreadMXBean().getThreadCount());
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
