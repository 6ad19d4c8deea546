package dev.r3.sweep;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.r3.actors.config.EnvChoice;
import dev.r3.actors.config.EnvMetadata;
import dev.r3.env.CharTokenizer;
import dev.r3.env.Environment;
import dev.r3.env.Environments;
import dev.r3.env.Seeds;
import dev.r3.env.Split;
import dev.r3.model.MismatchMeasures;
import dev.r3.model.MismatchProbe;
import dev.r3.model.ModelConfig;
import dev.r3.model.ModelWeights;
import dev.r3.model.RolloutPrecision;
import dev.r3.model.SamplingParams;
import dev.r3.model.io.Checkpoint;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;

/**
 * The experiment behind {@code ./r3 mismatch} (DESIGN.md section 2): generate responses to held-out
 * prompts with the rollout engine, score the same tokens with the float32 trainer recomputing its
 * routing and replaying the rollout's (R3), for an MoE model and a dense model held against it;
 * then the figures as a table and, optionally, as JSON ({@code MismatchFile} reads it back for
 * reports). {@link SweepRunner} measures a grid of such cells.
 */
public final class MismatchExperiment {
  private MismatchExperiment() {}

  /** The environment of a random model, or of a checkpoint that records none. */
  public static final String DEFAULT_ENV = "add";

  /**
   * One measurement.
   *
   * @param checkpoint the MoE checkpoint, or null for a seeded random default model
   * @param denseCheckpoint the dense checkpoint, or null for the MoE model's seeded random twin
   * @param env the environment asked for on the command line (the checkpoint's, else {@link
   *     #DEFAULT_ENV}, where it names none)
   * @param json where to write the figures, or null
   */
  public record Options(
      Path checkpoint,
      Path denseCheckpoint,
      RolloutPrecision precision,
      int responses,
      int maxNewTokens,
      float temperature,
      EnvChoice env,
      long seed,
      Path json) {
    public Options {
      if (responses < 1) {
        throw new IllegalArgumentException("--responses must be >= 1, got " + responses);
      }
    }
  }

  /**
   * Runs one measurement, reporting progress on {@code progress}; prints the table on {@code out},
   * then writes the JSON if asked.
   */
  public static void run(Options o, PrintStream out, PrintStream progress) throws IOException {
    Path checkpoint = o.checkpoint();
    CharTokenizer tok =
        checkpoint != null && Files.exists(checkpoint.resolve(CharTokenizer.VOCAB_FILE))
            ? CharTokenizer.load(checkpoint)
            : CharTokenizer.standard();
    ModelWeights moe =
        checkpoint != null
            ? Checkpoint.load(checkpoint)
            : ModelWeights.random(ModelConfig.defaultMoe(tok.vocabSize()), o.seed());
    if (!moe.config().isMoe()) {
      throw new IllegalArgumentException(
          "--checkpoint " + checkpoint + " holds a dense model; pass an MoE one");
    }
    ModelWeights dense =
        o.denseCheckpoint() != null
            ? Checkpoint.load(o.denseCheckpoint())
            : ModelWeights.random(moe.config().denseTwin(), o.seed());
    String denseSource =
        o.denseCheckpoint() != null
            ? o.denseCheckpoint().toString()
            : "random dense twin, seed " + o.seed();
    if (checkpoint != null && o.denseCheckpoint() == null) {
      progress.println(
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
            o.env(), checkpoint == null ? null : Checkpoint.metadata(checkpoint), DEFAULT_ENV);
    progress.println("mismatch: environment " + chosen.describe());
    Environment environment = Environments.create(chosen.name(), chosen.params());
    List<int[]> prompts = new ArrayList<>(o.responses());
    for (int i = 0; i < o.responses(); i++) {
      prompts.add(
          tok.encodePrompt(
              environment.task(Seeds.heldOutPrompt(o.seed(), i), Split.EVAL).prompt()));
    }
    SamplingParams sp =
        new SamplingParams(o.temperature(), 1f, o.maxNewTokens(), tok.eos(), o.seed());
    MismatchProbe.Options opts = new MismatchProbe.Options(o.precision(), sp);

    progress.printf(
        "mismatch: %d responses (<= %d tokens) from '%s' prompts, rollout %s, %s%n",
        o.responses(),
        o.maxNewTokens(),
        chosen.name(),
        o.precision().configName(),
        checkpoint == null ? "random model seed " + o.seed() : checkpoint);
    progress.println("mismatch: MoE model ...");
    MismatchProbe.Result m = MismatchProbe.measure(moe, prompts, opts);
    progress.println("mismatch: dense twin ...");
    MismatchProbe.Result d = MismatchProbe.measure(dense, prompts, opts);

    out.print(table(d, m));
    if (o.json() != null) {
      JsonObject root = new JsonObject();
      root.add("dense", figures(d.recompute(), false));
      root.add("moe", figures(m.recompute(), true));
      root.add("moe_r3", figures(m.replay(), true));
      JsonObject c = new JsonObject();
      c.addProperty("rollout_precision", o.precision().configName());
      c.addProperty("responses", o.responses());
      c.addProperty("max_new_tokens", o.maxNewTokens());
      c.addProperty("temperature", o.temperature());
      c.addProperty("env", chosen.name());
      JsonObject params = new JsonObject();
      new TreeMap<>(chosen.params()).forEach(params::addProperty);
      c.add("env_params", params);
      c.addProperty("env_source", chosen.source());
      c.addProperty("seed", o.seed());
      c.addProperty("checkpoint", checkpoint == null ? null : checkpoint.toString());
      c.addProperty("dense", denseSource);
      c.addProperty("routing_positions", opts.positions().name().toLowerCase(Locale.ROOT));
      c.add("model", JsonParser.parseString(moe.config().toJson()));
      c.addProperty("seconds_moe", m.seconds());
      c.addProperty("seconds_dense", d.seconds());
      root.add("config", c);
      Path json = o.json();
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
      progress.println("mismatch: wrote " + json);
    }
  }

  /**
   * Runs a sweep file into {@code out} (null: {@code runs/sweep-NAME}), resuming; returns the
   * one-line summary.
   */
  public static String sweep(Path file, Path out, PrintStream progress) throws IOException {
    SweepSpec spec = SweepSpec.load(file);
    Path dir = out != null ? out : Path.of("runs", "sweep-" + spec.name());
    SweepRunner.Summary s =
        new SweepRunner(spec, dir, progress, "./r3 mismatch --sweep " + file + " --out " + dir)
            .run();
    return String.format(
        Locale.ROOT,
        "sweep %s: %d cells (%d measured, %d resumed) in %s",
        spec.name(),
        s.cells(),
        s.measured(),
        s.resumed(),
        dir.resolve(SweepReport.MARKDOWN));
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
      JsonArray layers = new JsonArray();
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
