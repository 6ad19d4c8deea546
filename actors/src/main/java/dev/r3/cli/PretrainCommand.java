package dev.r3.cli;

import dev.r3.actors.config.ConfigLoader;
import dev.r3.actors.config.R3Config;
import dev.r3.actors.djl.DjlGenerators;
import dev.r3.actors.djl.EnvTask;
import dev.r3.actors.djl.EnvTokenizer;
import dev.r3.actors.djl.WarmStart;
import dev.r3.actors.learning.Evaluator;
import dev.r3.env.CharTokenizer;
import dev.r3.env.Environment;
import dev.r3.env.Environments;
import dev.r3.env.GuardedEnvironment;
import dev.r3.model.ModelWeights;
import dev.r3.model.SamplingParams;
import dev.r3.model.io.Checkpoint;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code ./r3 pretrain}: the supervised warm start that RL starts from, for the same experiment as
 * {@code ./r3 train} with the same options (so {@code train} then finds it in the cache).
 */
@Command(
    name = "pretrain",
    mixinStandardHelpOptions = true,
    description = {
      "Trains the model on the environment's SFT corpus and writes a checkpoint that RL starts from",
      "(cached under r3.warm-start.cache-dir; ./r3 train with the same --config/--set/--env reuses it).",
      "With no --config: " + TrainCommand.DEFAULT_EXPERIMENT + ", the experiment of ./r3 train."
    })
final class PretrainCommand implements Callable<Integer> {

  @Option(
      names = "--config",
      paramLabel = "FILE",
      description =
          "experiment file (HOCON); default: "
              + TrainCommand.DEFAULT_EXPERIMENT
              + " when it exists (as ./r3 train)")
  Path config;

  @Mixin EnvOptions env = new EnvOptions();

  @Option(
      names = "--set",
      paramLabel = "KEY=VALUE",
      description = "override one setting, e.g. warm-start.steps=500")
  List<String> sets = new ArrayList<>();

  @Option(names = "--out", paramLabel = "DIR", description = "also write the checkpoint here")
  Path out;

  @Option(names = "--force", description = "retrain even when a cached checkpoint exists")
  boolean force;

  @Override
  public Integer call() throws Exception {
    R3Config c =
        ConfigLoader.load(
            config != null ? config : TrainCommand.defaultExperiment(), sets, env.choice());
    Environment e = Environments.create(c.env().name(), c.env().params());
    CharTokenizer tok = CharTokenizer.standard();
    Path cache = WarmStart.cacheDir(c);
    ModelWeights w;
    if (force || !Checkpoint.exists(cache)) {
      w = WarmStart.train(c, e, tok, System.err);
      WarmStart.save(cache, w, tok, c);
    } else {
      w = Checkpoint.load(cache);
      System.err.println("cached: " + cache + " (--force retrains)");
    }
    if (out != null) {
      WarmStart.save(out, w, tok, c);
    }
    int maxNew = c.rollout().maxNewTokens() > 0 ? c.rollout().maxNewTokens() : e.maxTokensPerTurn();
    Environment guarded = GuardedEnvironment.wrap(e);
    Evaluator ev =
        new Evaluator(
            () -> new EnvTask(guarded),
            new EnvTokenizer(tok),
            new DjlGenerators(c.rollout().precision()),
            c.experiment().seed(),
            c.eval().size(),
            new SamplingParams(c.eval().temperature(), 1f, maxNew, tok.eos(), 0));
    Evaluator.Result r = ev.evaluate(0, w);
    System.out.printf(
        Locale.ROOT,
        "warm-start checkpoint %s%n  held-out accuracy %.3f (%d distinct held-out problems)%n",
        out != null ? out : cache,
        r.accuracy(),
        r.episodes());
    return 0;
  }
}
