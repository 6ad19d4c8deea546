package dev.r3.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import dev.r3.actors.config.EnvChoice;
import dev.r3.actors.config.EnvMetadata;
import dev.r3.env.CharTokenizer;
import dev.r3.env.Environment;
import dev.r3.env.Environments;
import dev.r3.env.Split;
import dev.r3.model.MismatchMeasures;
import dev.r3.model.MismatchProbe;
import dev.r3.model.ModelConfig;
import dev.r3.model.ModelWeights;
import dev.r3.model.RolloutPrecision;
import dev.r3.model.SamplingParams;
import dev.r3.model.io.Checkpoint;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./r3 mismatch}: how far the rollout engine and the trainer disagree, for the dense twin,
 * the MoE model, and the MoE model under Rollout Routing Replay (DESIGN.md section 2).
 */
@Command(
    name = "mismatch",
    mixinStandardHelpOptions = true,
    description = {
      "Training-inference mismatch of dense, MoE and MoE+R3 (KL, F(2), router disagreement).",
      "Generate responses with the rollout engine (bf16 by default), score the same tokens with the float32",
      "trainer recomputing its routing and replaying the rollout's (R3), for the MoE model and its dense twin.",
      "Prints a table; --json writes the figures."
    })
public final class MismatchCommand implements Callable<Integer> {

  @Option(names = "--quick", description = "256 responses of at most 8 tokens (about a minute)")
  boolean quick;

  @Option(
      names = "--checkpoint",
      paramLabel = "DIR",
      description = "MoE checkpoint to measure (default: a seeded random model)")
  Path checkpoint;

  @Option(
      names = "--dense-checkpoint",
      paramLabel = "DIR",
      description = "dense checkpoint held against it (default: the dense twin, seeded random)")
  Path denseCheckpoint;

  @Option(
      names = "--rollout-precision",
      defaultValue = "bf16",
      description =
          "fp32 | bf16-weights | bf16 (weights + activations) | fp8 (default: ${DEFAULT-VALUE})")
  String precision;

  @Option(
      names = "--responses",
      description = "responses to generate (default: 1024; 256 with --quick)")
  Integer responses;

  @Option(
      names = "--max-new-tokens",
      description = "token limit per response (default: 16; 8 with --quick)")
  Integer maxNewTokens;

  @Option(
      names = "--temperature",
      defaultValue = "1.0",
      description = "sampling temperature (default: ${DEFAULT-VALUE})")
  float temperature;

  /** The environment of a random model, or of a checkpoint that records none. */
  static final String DEFAULT_ENV = "add";

  @Option(
      names = "--env",
      paramLabel = "NAME",
      description =
          "environment whose eval prompts are used (default: the one the checkpoint records, else "
              + DEFAULT_ENV
              + ")")
  String env;

  @Option(
      names = "--env-param",
      paramLabel = "KEY=VALUE",
      description =
          "a parameter of that environment (repeatable; default: the checkpoint's recorded ones, else"
              + " the environment's defaults)")
  List<String> envParams = new ArrayList<>();

  @Option(
      names = "--seed",
      defaultValue = "1",
      description = "seed of the random model and the sampler (default: ${DEFAULT-VALUE})")
  long seed;

  @Option(names = "--json", paramLabel = "FILE", description = "write the figures as JSON")
  Path json;

  @Option(
      names = "--sweep",
      paramLabel = "FILE",
      description =
          "run a sweep file (config/sweeps/*.conf): a grid of depth, experts, top-k, precision, response "
              + "length, warm-up steps and init; writes sweep.json, sweep.md and heatmaps to --out; resumes")
  Path sweep;

  @Option(
      names = "--out",
      paramLabel = "DIR",
      description = "output folder of --sweep (default: runs/sweep-NAME)")
  Path out;

  @Override
  public Integer call() throws IOException {
    if (sweep != null) {
      dev.r3.sweep.SweepSpec spec = dev.r3.sweep.SweepSpec.load(sweep);
      Path dir = out != null ? out : Path.of("runs", "sweep-" + spec.name());
      dev.r3.sweep.SweepRunner.Summary s =
          new dev.r3.sweep.SweepRunner(
                  spec, dir, System.err, "./r3 mismatch --sweep " + sweep + " --out " + dir)
              .run();
      System.out.printf(
          java.util.Locale.ROOT,
          "sweep %s: %d cells (%d measured, %d resumed) in %s%n",
          spec.name(),
          s.cells(),
          s.measured(),
          s.resumed(),
          dir.resolve(dev.r3.sweep.SweepReport.MARKDOWN));
      return 0;
    }
    if (out != null) {
      throw new IllegalArgumentException(
          "--out is the output folder of --sweep; use --json for a single measurement");
    }
    RolloutPrecision rp = RolloutPrecision.parse(precision);
    int n = responses != null ? responses : quick ? 256 : 1024;
    int maxNew = maxNewTokens != null ? maxNewTokens : quick ? 8 : 16;
    if (n < 1) {
      throw new IllegalArgumentException("--responses must be >= 1, got " + n);
    }

    CharTokenizer tok =
        checkpoint != null && Files.exists(checkpoint.resolve(CharTokenizer.VOCAB_FILE))
            ? CharTokenizer.load(checkpoint)
            : CharTokenizer.standard();
    ModelWeights moe =
        checkpoint != null
            ? Checkpoint.load(checkpoint)
            : ModelWeights.random(ModelConfig.defaultMoe(tok.vocabSize()), seed);
    if (!moe.config().isMoe()) {
      throw new IllegalArgumentException(
          "--checkpoint " + checkpoint + " holds a dense model; pass an MoE one");
    }
    ModelWeights dense =
        denseCheckpoint != null
            ? Checkpoint.load(denseCheckpoint)
            : ModelWeights.random(moe.config().denseTwin(), seed);
    String denseSource =
        denseCheckpoint != null ? denseCheckpoint.toString() : "random dense twin, seed " + seed;
    if (checkpoint != null && denseCheckpoint == null) {
      System.err.println(
          "mismatch: note: the dense row is a seeded random dense twin (no --dense-checkpoint),"
              + " not a trained model: hold the MoE rows against each other, not against it");
    }
    if (moe.config().vocabSize() != tok.vocabSize()) {
      throw new IllegalArgumentException(
          "model vocabulary "
              + moe.config().vocabSize()
              + " does not match the tokenizer's "
              + tok.vocabSize());
    }

    EnvMetadata chosen =
        EnvMetadata.choose(
            EnvChoice.of(env, envParams),
            checkpoint == null ? null : Checkpoint.metadata(checkpoint),
            DEFAULT_ENV);
    System.err.println("mismatch: environment " + chosen.describe());
    Environment environment = Environments.create(chosen.name(), chosen.params());
    List<int[]> prompts = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      prompts.add(tok.encodePrompt(environment.task(seed * 1_000_003L + i, Split.EVAL).prompt()));
    }
    SamplingParams sp = new SamplingParams(temperature, 1f, maxNew, tok.eos(), seed);
    MismatchProbe.Options opts = new MismatchProbe.Options(rp, sp);

    System.err.printf(
        "mismatch: %d responses (<= %d tokens) from '%s' prompts, rollout %s, %s%n",
        n,
        maxNew,
        chosen.name(),
        rp.configName(),
        checkpoint == null ? "random model seed " + seed : checkpoint);
    System.err.println("mismatch: MoE model ...");
    MismatchProbe.Result m = MismatchProbe.measure(moe, prompts, opts);
    System.err.println("mismatch: dense twin ...");
    MismatchProbe.Result d = MismatchProbe.measure(dense, prompts, opts);

    System.out.print(table(d, m));
    if (json != null) {
      JsonObject root = new JsonObject();
      root.add("dense", figures(d.recompute(), false));
      root.add("moe", figures(m.recompute(), true));
      root.add("moe_r3", figures(m.replay(), true));
      JsonObject c = new JsonObject();
      c.addProperty("rollout_precision", rp.configName());
      c.addProperty("responses", n);
      c.addProperty("max_new_tokens", maxNew);
      c.addProperty("temperature", temperature);
      c.addProperty("env", chosen.name());
      JsonObject params = new JsonObject();
      new java.util.TreeMap<>(chosen.params()).forEach(params::addProperty);
      c.add("env_params", params);
      c.addProperty("env_source", chosen.source());
      c.addProperty("seed", seed);
      c.addProperty("checkpoint", checkpoint == null ? null : checkpoint.toString());
      c.addProperty("dense", denseSource);
      c.addProperty("routing_positions", opts.positions().name().toLowerCase());
      c.add("model", com.google.gson.JsonParser.parseString(moe.config().toJson()));
      c.addProperty("seconds_moe", m.seconds());
      c.addProperty("seconds_dense", d.seconds());
      root.add("config", c);
      if (json.getParent() != null) {
        Files.createDirectories(json.getParent());
      }
      Files.writeString(
          json,
          new GsonBuilder()
                  .setPrettyPrinting()
                  .serializeSpecialFloatingPointValues()
                  .create()
                  .toJson(root)
              + "\n",
          StandardCharsets.UTF_8);
      System.err.println("mismatch: wrote " + json);
    }
    return 0;
  }

  static JsonObject figures(MismatchMeasures.Summary s, boolean routed) {
    JsonObject o = new JsonObject();
    o.addProperty("kl", s.kl());
    o.addProperty("extreme_1_5", s.extreme1_5());
    o.addProperty("extreme_2", s.extreme2());
    o.addProperty("extreme_5", s.extreme5());
    if (routed) {
      o.addProperty("router_disagreement", s.routerDisagreement());
      o.addProperty("token_any_layer", s.tokenAnyLayer());
      com.google.gson.JsonArray layers = new com.google.gson.JsonArray();
      for (double v : s.perLayer()) {
        layers.add(v);
      }
      o.add("router_disagreement_per_layer", layers);
    }
    o.addProperty("tokens", s.tokens());
    return o;
  }

  static String table(MismatchProbe.Result dense, MismatchProbe.Result moe) {
    StringBuilder b = new StringBuilder();
    b.append(
        String.format(
            "%-8s %12s %9s %9s %13s %11s %8s%n",
            "model", "mismatch KL", "F(2)", "F(1.5)", "router dis.", "any layer", "tokens"));
    row(b, "dense", dense.recompute(), false);
    row(b, "moe", moe.recompute(), true);
    row(b, "moe+r3", moe.replay(), true);
    b.append(
        String.format(
            "R3 / recompute KL ratio: %.3f; MoE / dense KL ratio: %.3f%n",
            moe.replay().kl() / moe.recompute().kl(),
            moe.recompute().kl() / dense.recompute().kl()));
    return b.toString();
  }

  private static void row(
      StringBuilder b, String name, MismatchMeasures.Summary s, boolean routed) {
    b.append(
        String.format(
            "%-8s %12.3e %9.5f %9.5f %13s %11s %8d%n",
            name,
            s.kl(),
            s.extreme2(),
            s.extreme1_5(),
            routed ? String.format("%.5f", s.routerDisagreement()) : "-",
            routed ? String.format("%.5f", s.tokenAnyLayer()) : "-",
            s.tokens()));
  }
}
