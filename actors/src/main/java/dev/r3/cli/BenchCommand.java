package dev.r3.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import dev.r3.env.CharTokenizer;
import dev.r3.model.CoreShare;
import dev.r3.model.GemmProbe;
import dev.r3.model.ModelBenchmark;
import dev.r3.model.ModelConfig;
import dev.r3.model.ModelWeights;
import dev.r3.model.PrefixCacheBenchmark;
import dev.r3.model.RolloutOptions;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./r3 bench}: throughput of the default model on this machine, with this machine's measured
 * GEMM rate from the same run, so that model FLOPs utilisation is a ratio of two numbers taken
 * together.
 */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = {
      "Throughput of the default model: trainer and decode tokens/s, GEMM rate, utilisation.",
      "Trainer tokens/s (forward + backward + AdamW, 16 x 128 tokens), rollout decode tokens/s at batch 1, 16",
      "and 64, this machine's float32 GEMM rate, and model FLOPs utilisation (6 x active params x tokens/s / GEMM).",
      "Each rate per second of wall time and per second of this process's CPU time (all threads): on a shared",
      "machine the second measures the work, the first also the queue for the cores; the load average is printed.",
      "--cluster: samples/s on a local cluster with 1 and 2 rollout nodes, weight sync, bytes on the wire.",
      "--pipeline: the default experiment with eta = 0 and 1, with and without continuous batching."
    })
final class BenchCommand implements Callable<Integer> {

  @Option(
      names = "--reps",
      defaultValue = "5",
      description = "timed repetitions per figure, median reported (default: ${DEFAULT-VALUE})")
  int reps;

  @Option(
      names = "--new-tokens",
      defaultValue = "64",
      description = "decode tokens per sequence (default: ${DEFAULT-VALUE})")
  int newTokens;

  @Option(
      names = "--bf16-activations",
      description = "decode with bf16 activation rounding (the bf16 rollout engine)")
  boolean bf16;

  @Option(
      names = "--prefix-cache",
      description =
          "instead: prefill tokens computed and wall time with and without prefix reuse, on GRPO"
              + " groups (G = 8) and on 4-turn episodes")
  boolean prefixCache;

  @Option(
      names = "--batches",
      split = ",",
      defaultValue = "1,16,64,256",
      description = "decode batch widths (default: ${DEFAULT-VALUE})")
  List<Integer> batches;

  @Option(
      names = "--json",
      paramLabel = "FILE",
      description =
          "also write the figures to FILE: gemm_gflops, trainer_tokens_per_s, decode_tokens_per_s"
              + " (keyed by batch), their _per_cpu_s twins, decode_arrays_per_step, load averages,"
              + " r3_overhead_frac (and its parts, r3_overhead), sizes (per model)")
  Path json;

  @Option(
      names = "--cluster",
      description =
          "instead: trained samples/s of the default experiment (tiny model) on a local cluster with"
              + " 1 and 2 rollout nodes (child JVMs), weight-sync seconds and bytes per version,"
              + " bytes per trajectory on the wire vs int32 routing ids; GEMM rate beside each")
  boolean cluster;

  @Option(
      names = "--nodes",
      defaultValue = "1,2",
      split = ",",
      paramLabel = "N",
      description = "with --cluster: rollout node counts to run (default: ${DEFAULT-VALUE})")
  List<Integer> nodes;

  @Option(
      names = "--steps",
      defaultValue = "60",
      description = "with --cluster: learner steps per run (default: ${DEFAULT-VALUE})")
  int steps;

  @Option(
      names = "--out",
      defaultValue = "runs/bench-cluster",
      paramLabel = "DIR",
      description =
          "with --cluster: where the runs and logs go (default: ${DEFAULT-VALUE}; --pipeline:"
              + " runs/bench-pipeline)")
  java.nio.file.Path out;

  @Option(
      names = "--no-sizes",
      description =
          "skip the sizes (the default model and two bigger ones, trainer 8 x 64 and decode of 16"
              + " new tokens at --batches, at most 2 reps each) and the R3 overhead")
  boolean noSizes;

  @Option(
      names = "--pipeline",
      description =
          "instead: the default experiment (config/grpo-r3.conf) in this JVM for --pipeline-steps"
              + " learner steps with eta = 0 and eta = 1, each with continuous batching"
              + " (max-batch-rows 64) and without (0): wall time, trained samples/s, learner busy"
              + " fraction, rollout tokens/s")
  boolean pipeline;

  @Option(
      names = "--pipeline-steps",
      defaultValue = "12",
      description = "with --pipeline: learner steps per run (default: ${DEFAULT-VALUE})")
  int pipelineSteps;

  @Option(
      names = "--etas",
      split = ",",
      defaultValue = "0,1",
      description = "with --pipeline: staleness bounds to run (default: ${DEFAULT-VALUE})")
  List<Integer> etas;

  @Option(
      names = "--batch-rows",
      split = ",",
      defaultValue = "0,64",
      description =
          "with --pipeline: r3.rollout.max-batch-rows values to run, 0 = one group per engine call"
              + " (default: ${DEFAULT-VALUE})")
  List<Integer> batchRows;

  @Option(
      names = "--thread-policies",
      split = ",",
      defaultValue = "fixed",
      description =
          "with --pipeline: r3.threads.policy values to run beside each other, fixed (every thread"
              + " keeps OMP_NUM_THREADS) and shared (the cores go to whoever computes)"
              + " (default: ${DEFAULT-VALUE})")
  List<String> threadPolicies;

  @Option(
      names = "--threads",
      split = ",",
      paramLabel = "N",
      description =
          "instead: trainer and decode (batch 64) tokens/s of the default run's model and the"
              + " sizes at each libtorch intra-op thread count, in turn per round (--reps rounds)")
  List<Integer> threads;

  @Option(
      names = "--set",
      paramLabel = "KEY=VALUE",
      description =
          "with --pipeline: one more setting for every run, e.g. r3.model.size=default (repeatable)")
  List<String> sets = new java.util.ArrayList<>();

  @Override
  public Integer call() throws Exception {
    if (reps < 1 || newTokens < 1) {
      throw new IllegalArgumentException("--reps and --new-tokens must be >= 1");
    }
    if (cluster) {
      if (steps < 4 || nodes.isEmpty() || nodes.stream().anyMatch(n -> n < 1)) {
        throw new IllegalArgumentException(
            "--cluster needs --steps >= 4 and --nodes of counts >= 1, got " + steps + ", " + nodes);
      }
      return ClusterBench.run(nodes, steps, out, System.out);
    }
    if (pipeline) {
      if (pipelineSteps < 2
          || etas.stream().anyMatch(e -> e < 0)
          || batchRows.stream().anyMatch(r -> r < 0)) {
        throw new IllegalArgumentException(
            "--pipeline needs --pipeline-steps >= 2, --etas >= 0 and --batch-rows >= 0, got "
                + pipelineSteps
                + ", "
                + etas
                + ", "
                + batchRows);
      }
      Path experiment = TrainCommand.defaultExperiment();
      if (experiment == null) {
        throw new IllegalArgumentException(
            "--pipeline runs " + TrainCommand.DEFAULT_EXPERIMENT + ": not found under r3.root");
      }
      List<PipelineBench.Config> configs = new java.util.ArrayList<>();
      for (int e : etas) {
        for (int r : batchRows) {
          for (String p : threadPolicies) {
            configs.add(new PipelineBench.Config(e, r, CoreShare.Policy.parse(p)));
          }
        }
      }
      Path dir = out.toString().equals("runs/bench-cluster") ? Path.of("runs/bench-pipeline") : out;
      return PipelineBench.run(experiment, pipelineSteps, configs, sets, dir, System.out);
    }
    for (int b : batches) {
      if (b < 1) {
        throw new IllegalArgumentException("--batches: every batch width must be >= 1, got " + b);
      }
    }
    if (threads != null) {
      if (threads.isEmpty() || threads.stream().anyMatch(t -> t < 1)) {
        throw new IllegalArgumentException("--threads: counts >= 1, got " + threads);
      }
      writeJson(
          ThreadScalingBench.run(CharTokenizer.standard().vocabSize(), threads, reps, System.out));
      return 0;
    }
    ModelConfig cfg = ModelConfig.defaultMoe(CharTokenizer.standard().vocabSize());
    ModelWeights w = ModelWeights.random(cfg, 1);
    if (prefixCache) {
      return prefixCache(w);
    }
    System.out.printf(
        "model: hidden %d, %d layers, %d heads, %d experts top-%d, expert width %d, vocab %d;"
            + " %.2fM active / %.2fM total parameters%n",
        cfg.hiddenSize(),
        cfg.numLayers(),
        cfg.numHeads(),
        cfg.numExperts(),
        cfg.topK(),
        cfg.moeIntermediateSize(),
        cfg.vocabSize(),
        cfg.activeParameters() / 1e6,
        cfg.totalParameters() / 1e6);
    double loadBefore = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    System.out.printf(
        "threads: OMP_NUM_THREADS=%s, cores %d; load average %.2f%n",
        System.getenv("OMP_NUM_THREADS"), Runtime.getRuntime().availableProcessors(), loadBefore);
    JsonObject out = new JsonObject();
    out.addProperty("omp_num_threads", System.getenv("OMP_NUM_THREADS"));
    out.addProperty("load_average_start", loadBefore);

    GemmProbe.Result gemm = GemmProbe.modelShape();
    System.out.printf(
        "gemm    float32 %dx%d by %dx%d: %.1f GFLOP/s (median), %.1f best%n",
        gemm.m(), gemm.k(), gemm.k(), gemm.n(), gemm.gflops(), gemm.bestGflops());

    out.addProperty("gemm_gflops", gemm.gflops());

    ModelBenchmark.Rate trainer = ModelBenchmark.trainer(w, 16, 128, 2, reps);
    double train = trainer.tokensPerSecond();
    double flops = ModelBenchmark.trainingFlopsPerToken(cfg);
    double mfu = flops * train / (gemm.gflops() * 1e9);
    System.out.printf(
        "trainer 16 x 128 tokens, fwd+bwd+AdamW: %,.0f tokens/s (%,.0f per CPU second);"
            + " %.2f GFLOP/s at 6N = %.2f MFLOP/token; utilisation %.1f%% of the GEMM rate%n",
        train, trainer.tokensPerCpuSecond(), flops * train / 1e9, flops / 1e6, 100 * mfu);
    out.addProperty("trainer_tokens_per_s", train);
    out.addProperty("trainer_tokens_per_cpu_s", trainer.tokensPerCpuSecond());
    out.addProperty("utilisation", mfu);

    RolloutOptions ro = RolloutOptions.defaults().withBf16Activations(bf16);
    JsonObject wall = new JsonObject();
    JsonObject cpu = new JsonObject();
    JsonObject arrays = new JsonObject();
    for (int batch : batches) {
      ModelBenchmark.DecodeRate d = ModelBenchmark.decode(w, ro, batch, newTokens, 1, reps);
      System.out.printf(
          "decode  batch %3d, %d new tokens%s: %,.0f tokens/s (%,.0f per CPU second);"
              + " %.0f arrays per decode step%n",
          batch,
          newTokens,
          bf16 ? " (bf16 activations)" : "",
          d.rate().tokensPerSecond(),
          d.rate().tokensPerCpuSecond(),
          d.arraysPerStep());
      wall.addProperty(Integer.toString(batch), d.rate().tokensPerSecond());
      cpu.addProperty(Integer.toString(batch), d.rate().tokensPerCpuSecond());
      arrays.addProperty(Integer.toString(batch), d.arraysPerStep());
    }
    out.add("decode_tokens_per_s", wall);
    out.add("decode_tokens_per_cpu_s", cpu);
    out.add("decode_arrays_per_step", arrays);
    if (!noSizes) {
      SizeBench.r3Overhead(w, reps, out, System.out);
      out.add(
          "sizes", SizeBench.sizes(cfg.vocabSize(), batches, Math.min(reps, 2), ro, System.out));
    }
    double loadAfter = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    System.out.printf("load average at the end %.2f%n", loadAfter);
    out.addProperty("load_average_end", loadAfter);
    writeJson(out);
    return 0;
  }

  /** Writes {@code figures} to {@code --json FILE} when one was given. */
  private void writeJson(JsonObject figures) throws java.io.IOException {
    if (json != null) {
      Files.writeString(
          json, new GsonBuilder().setPrettyPrinting().create().toJson(figures) + "\n");
      System.out.println("wrote " + json);
    }
  }

  private int prefixCache(ModelWeights w) {
    RolloutOptions base = RolloutOptions.defaults().withBf16Activations(bf16);
    System.out.println(
        "| scenario | prefix reuse | prompt tokens | prefill tokens computed | saved | hit rate |"
            + " cache MiB (budget) | nodes | evictions | wall s |");
    System.out.println("|---|---|---|---|---|---|---|---|---|---|");
    for (boolean reuse : new boolean[] {false, true}) {
      RolloutOptions o = PrefixCacheBenchmark.options(base, reuse, 64L << 20);
      print(PrefixCacheBenchmark.grpo(w, o, 8, 8, 32, 16));
    }
    for (boolean reuse : new boolean[] {false, true}) {
      RolloutOptions o = PrefixCacheBenchmark.options(base, reuse, 64L << 20);
      print(PrefixCacheBenchmark.episodes(w, o, 8, 4, 32, 16, 8));
    }
    for (long budget : new long[] {0, 64L << 20, 1L << 20}) {
      RolloutOptions o = PrefixCacheBenchmark.options(base, budget > 0, budget);
      print(PrefixCacheBenchmark.episodes(w, o, 2, 8, 4, 32, 16, 8), "group episodes");
    }
    System.out.println(
        "grpo: 8 groups of G = 8 samples of a 32-token prompt, 16 new tokens each; episodes: 8 in"
            + " one batch, 4 turns of 16 new tokens, an 8-token observation after each turn;"
            + " group episodes: 2 problems x G = 8 episodes of 4 such turns in one batch (the"
            + " pipeline's shape), with a 64 MiB and a 1 MiB (evicting) cache");
    return 0;
  }

  private static void print(PrefixCacheBenchmark.Result r) {
    print(r, r.scenario());
  }

  private static void print(PrefixCacheBenchmark.Result r, String scenario) {
    System.out.printf(
        "| %s | %s | %,d | %,d | %.0f%% | %s | %s | %d | %d | %.2f |%n",
        scenario,
        r.reuse() ? "on" : "off",
        r.promptTokens(),
        r.computedTokens(),
        100.0 * (r.promptTokens() - r.computedTokens()) / r.promptTokens(),
        Double.isNaN(r.hitRate()) ? "-" : String.format("%.2f", r.hitRate()),
        r.budget() == 0
            ? "-"
            : String.format(
                "%.2f (%.0f)", r.cacheBytes() / (1024.0 * 1024.0), r.budget() / (1024.0 * 1024.0)),
        r.nodes(),
        r.evictions(),
        r.seconds());
  }
}
