package dev.r3.cli;

import dev.r3.actors.config.EnvChoice;
import dev.r3.env.Plugins;
import dev.r3.model.RolloutPrecision;
import dev.r3.sweep.MismatchExperiment;
import java.io.IOException;
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
final class MismatchCommand implements Callable<Integer> {

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

  @Option(
      names = "--env",
      paramLabel = "NAME",
      description =
          "environment whose eval prompts are used (default: the one the checkpoint records, else "
              + MismatchExperiment.DEFAULT_ENV
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

  @Option(
      names = "--plugin",
      paramLabel = "JAR",
      description =
          "an environment plugin jar to load (repeatable), for an environment it provides")
  List<Path> plugins = new ArrayList<>();

  @Override
  public Integer call() throws IOException {
    Plugins.load(plugins);
    if (sweep != null) {
      System.out.println(MismatchExperiment.sweep(sweep, out, System.err));
      return 0;
    }
    if (out != null) {
      throw new IllegalArgumentException(
          "--out is the output folder of --sweep; use --json for a single measurement");
    }
    RolloutPrecision rp = RolloutPrecision.parse(precision);
    MismatchExperiment.run(
        new MismatchExperiment.Options(
            checkpoint,
            denseCheckpoint,
            rp,
            responses != null ? responses : quick ? 256 : 1024,
            maxNewTokens != null ? maxNewTokens : quick ? 8 : 16,
            temperature,
            EnvChoice.of(env, envParams),
            seed,
            json),
        System.out,
        System.err);
    return 0;
  }
}
