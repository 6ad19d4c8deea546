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
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ./r3 pretrain --env NAME}: the supervised warm start that RL starts from. */
@Command(
    name = "pretrain",
    mixinStandardHelpOptions = true,
    description = {
      "Trains the model on the environment's SFT corpus and writes a checkpoint that RL starts from",
      "(cached under r3.warm-start.cache-dir; ./r3 train reuses it)."
    })
public final class PretrainCommand implements Callable<Integer> {

  @Option(names = "--env", paramLabel = "NAME", description = "environment (default: r3.env.name)")
  String env;

  @Option(names = "--config", paramLabel = "FILE", description = "experiment file (HOCON)")
  Path config;

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
    List<String> all = new ArrayList<>(sets);
    if (env != null) {
      all.add("r3.env.name=" + env);
    }
    R3Config c = ConfigLoader.load(config, all);
    Environment e = Environments.create(c.env().name(), c.env().params());
    CharTokenizer tok = CharTokenizer.standard();
    Path cache = WarmStart.cacheDir(c);
    ModelWeights w;
    if (force || !Checkpoint.exists(cache)) {
      w = WarmStart.train(c, e, tok, System.err);
      Checkpoint.save(cache, w, Map.of("env", c.env().name()));
      tok.save(cache);
    } else {
      w = Checkpoint.load(cache);
      System.err.println("cached: " + cache + " (--force retrains)");
    }
    if (out != null) {
      Checkpoint.save(out, w, Map.of("env", c.env().name()));
      tok.save(out);
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
        "warm-start checkpoint %s%n  held-out accuracy %.3f (%d episodes)%n",
        out != null ? out : cache,
        r.accuracy(),
        r.episodes());
    return 0;
  }
}
