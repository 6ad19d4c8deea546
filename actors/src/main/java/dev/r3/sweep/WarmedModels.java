package dev.r3.sweep;

import dev.r3.actors.config.R3Config;
import dev.r3.actors.djl.SftSequences;
import dev.r3.actors.djl.WarmStart;
import dev.r3.env.CharTokenizer;
import dev.r3.env.Environment;
import dev.r3.model.ModelConfig;
import dev.r3.model.ModelWeights;
import dev.r3.model.RoutingMode;
import dev.r3.model.ScoreResult;
import dev.r3.model.Sequence;
import dev.r3.model.Trainer;
import dev.r3.model.TrainerOptions;
import dev.r3.model.io.Checkpoint;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The warmed-up models of one sweep: random weights from the sweep's seed, trained for a cell's
 * warm-up steps on the environment's SFT corpus (the loop of {@code ./r3 pretrain}, {@link
 * WarmStart#train}), each with its NLL on held-out SFT examples.
 *
 * <p>Cached per (model shape, init, warm-up steps) within the run, so the cells that only change
 * precision or response length reuse them, and on disk under {@code warm-up.cache-dir} (when not
 * empty) so that a resumed or repeated sweep does not retrain.
 */
final class WarmedModels {
  private static final int WARM_CACHE = 6;
  private static final int NLL_EXAMPLES = 64;

  /** Warmed-up weights and their NLL on SFT examples. */
  record Warm(ModelWeights weights, double nll) {}

  private final SweepSpec spec;
  private final Environment env;
  private final CharTokenizer tok;
  private final PrintStream log;
  private final Map<String, Warm> warm =
      new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Warm> e) {
          return size() > WARM_CACHE;
        }
      };

  WarmedModels(SweepSpec spec, Environment env, CharTokenizer tok, PrintStream log) {
    this.spec = spec;
    this.env = env;
    this.tok = tok;
    this.log = log;
  }

  /**
   * The model after {@code p.warmupSteps()} SFT steps: memory cache, then disk cache, then
   * training.
   */
  Warm get(ModelConfig cfg, Point p) throws IOException {
    String key =
        cfg.toJson()
            + "|init="
            + p.init().label()
            + "|steps="
            + p.warmupSteps()
            + "|"
            + spec.fixedSettings().get("warm_up")
            + "|env="
            + spec.env()
            + spec.envParams()
            + "|seed="
            + spec.seed();
    Warm w = warm.get(key);
    if (w != null) {
      return w;
    }
    String what =
        (cfg.isMoe() ? "MoE" : "dense twin")
            + " "
            + cfg.numLayers()
            + "x"
            + (cfg.isMoe()
                ? cfg.numExperts() + "e/top" + cfg.topK()
                : "mlp" + cfg.intermediateSize())
            + " init "
            + p.init().label();
    ModelWeights weights;
    Path dir = diskCache(key, cfg, p);
    if (dir != null && Checkpoint.exists(dir)) {
      weights = Checkpoint.load(dir);
      log.printf(
          Locale.ROOT, "sweep:   %s, %d warm-up steps: cached %s%n", what, p.warmupSteps(), dir);
    } else {
      ModelWeights init = p.init().random(cfg, spec.seed());
      if (p.warmupSteps() == 0) {
        weights = init;
      } else {
        long t0 = System.nanoTime();
        double cpu0 = SweepRunner.cpuSeconds();
        var ws =
            new R3Config.WarmStart(
                true,
                p.warmupSteps(),
                spec.warmUp().batchSize(),
                spec.warmUp().corpusSize(),
                spec.warmUp().lr(),
                spec.warmUp().cacheDir());
        weights = WarmStart.train(init, env, tok, ws, spec.seed(), indent(log));
        log.printf(
            Locale.ROOT,
            "sweep:   %s: %d warm-up steps in %.0f s (%.0f s CPU)%n",
            what,
            p.warmupSteps(),
            (System.nanoTime() - t0) / 1e9,
            SweepRunner.cpuSeconds() - cpu0);
        if (dir != null) {
          Checkpoint.save(
              dir,
              weights,
              Map.of(
                  "warm_up_steps",
                  Integer.toString(p.warmupSteps()),
                  "env",
                  spec.env(),
                  "init",
                  p.init().label()));
        }
      }
    }
    w = new Warm(weights, sftNll(weights));
    warm.put(key, w);
    return w;
  }

  private Path diskCache(String key, ModelConfig cfg, Point p) {
    String dir = spec.warmUp().cacheDir();
    if (dir == null || dir.isBlank() || p.warmupSteps() == 0) {
      return null;
    }
    Path base = Path.of(dir);
    String root = System.getProperty("r3.root");
    if (!base.isAbsolute() && root != null) {
      base = Path.of(root).resolve(base);
    }
    return base.resolve(
        spec.env()
            + "-"
            + (cfg.isMoe() ? "moe" : "dense")
            + "-"
            + cfg.numLayers()
            + "l-"
            + (cfg.isMoe() ? cfg.numExperts() + "e" + cfg.topK() + "k" : "")
            + "-"
            + p.warmupSteps()
            + "s-"
            + WarmStart.hash(key));
  }

  /**
   * Mean NLL per completion token on SFT examples drawn with another seed than the warm-up corpus.
   */
  private double sftNll(ModelWeights w) {
    List<Sequence> seqs =
        SftSequences.of(env.sftCorpus(NLL_EXAMPLES, spec.seed() + 7_777L), tok, "nll-");
    double sum = 0;
    long n = 0;
    try (Trainer trainer = new Trainer(w, TrainerOptions.defaults())) {
      ScoreResult r = trainer.score(seqs, RoutingMode.RECOMPUTE, null);
      for (int s = 0; s < seqs.size(); s++) {
        Sequence q = seqs.get(s);
        for (int t = 1; t < q.length(); t++) {
          if (q.lossMask()[t] != 0) {
            sum -= r.logProbs()[s][t - 1];
            n++;
          }
        }
      }
    }
    return n == 0 ? Double.NaN : sum / n;
  }

  private static PrintStream indent(PrintStream log) {
    return new PrintStream(
        new OutputStream() {
          private final StringBuilder line = new StringBuilder();

          @Override
          public void write(int b) {
            if (b == '\n') {
              log.println("sweep:   " + line);
              line.setLength(0);
            } else {
              line.append((char) b);
            }
          }
        },
        true,
        StandardCharsets.UTF_8);
  }
}
