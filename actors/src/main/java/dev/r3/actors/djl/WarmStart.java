package dev.r3.actors.djl;

import dev.r3.actors.config.EnvMetadata;
import dev.r3.actors.config.R3Config;
import dev.r3.env.CharTokenizer;
import dev.r3.env.Environment;
import dev.r3.model.ModelConfig;
import dev.r3.model.ModelWeights;
import dev.r3.model.PolicyLoss;
import dev.r3.model.RoutingMode;
import dev.r3.model.Sequence;
import dev.r3.model.StepResult;
import dev.r3.model.Trainer;
import dev.r3.model.TrainerOptions;
import dev.r3.model.io.Checkpoint;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Supervised warm start: RL from a random model earns no reward, so the model first learns the
 * environment's SFT corpus (prompt + correct completion, loss on completion tokens only). The
 * result is a checkpoint, cached under {@code r3.warm-start.cache-dir} by a key of everything that
 * shapes it (environment and its parameters, model size, seed, steps, batch, corpus, learning
 * rate).
 */
public final class WarmStart {
  private WarmStart() {}

  /** The cache folder of this configuration's warm-start checkpoint. */
  public static Path cacheDir(R3Config c) {
    var w = c.warmStart();
    String key =
        String.join(
            "|",
            c.env().name(),
            new TreeMap<>(c.env().params()).toString(),
            c.model().shape(),
            Long.toString(c.experiment().seed()),
            Integer.toString(w.steps()),
            Integer.toString(w.batchSize()),
            Integer.toString(w.corpusSize()),
            Double.toString(w.lr()));
    Path base = Path.of(w.cacheDir());
    if (!base.isAbsolute() && System.getProperty("r3.root") != null) {
      base = Path.of(System.getProperty("r3.root")).resolve(base); // the launcher's repository root
    }
    return base.resolve(c.env().name() + "-" + c.model().shape() + "-" + hash(key));
  }

  /** Loads the cached checkpoint, or trains and caches it. */
  public static ModelWeights loadOrTrain(
      R3Config c, Environment env, CharTokenizer tok, PrintStream log) throws IOException {
    Path dir = cacheDir(c);
    if (Checkpoint.exists(dir)) {
      log.println("warm start: cached checkpoint " + dir);
      return Checkpoint.load(dir);
    }
    ModelWeights w = train(c, env, tok, log);
    save(dir, w, tok, c);
    log.println("warm start: checkpoint written to " + dir);
    return w;
  }

  /** Writes a warm-start checkpoint that records its environment and parameters. */
  public static void save(Path dir, ModelWeights w, CharTokenizer tok, R3Config c)
      throws IOException {
    Checkpoint.save(
        dir,
        w,
        EnvMetadata.with(
            Map.of("warm_start_steps", Integer.toString(c.warmStart().steps())), c.env()));
    tok.save(dir);
  }

  /** Trains from random weights on the SFT corpus. */
  public static ModelWeights train(
      R3Config c, Environment env, CharTokenizer tok, PrintStream log) {
    ModelConfig mc = ModelSizes.of(c.model(), tok.vocabSize());
    return train(
        ModelWeights.random(mc, c.experiment().seed()),
        env,
        tok,
        c.warmStart(),
        c.experiment().seed(),
        log);
  }

  /**
   * Trains {@code init} (any shape, e.g. a mismatch-sweep cell's model) on the SFT corpus for
   * {@code w.steps()} steps; {@code seed} picks the corpus and the batch order.
   */
  public static ModelWeights train(
      ModelWeights init,
      Environment env,
      CharTokenizer tok,
      R3Config.WarmStart w,
      long seed,
      PrintStream log) {
    List<Sequence> corpus = SftSequences.of(env.sftCorpus(w.corpusSize(), seed), tok, "sft-");
    SplittableRandom rng = new SplittableRandom(seed ^ 0x5f7L);
    TrainerOptions opts = TrainerOptions.defaults().withLr((float) w.lr());
    long t0 = System.nanoTime();
    try (Trainer trainer = new Trainer(init, opts)) {
      double avg = Double.NaN;
      for (int step = 1; step <= w.steps(); step++) {
        // Cosine decay to 10% over the run: a short warm-up converges better than a flat rate.
        double frac = (double) (step - 1) / Math.max(1, w.steps() - 1);
        trainer.setLearningRate(
            (float) (w.lr() * (0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * frac)))));
        List<Sequence> batch = new ArrayList<>(w.batchSize());
        for (int b = 0; b < w.batchSize(); b++) {
          batch.add(corpus.get(rng.nextInt(corpus.size())));
        }
        StepResult r =
            trainer.trainStep(
                batch, RoutingMode.RECOMPUTE, null, PolicyLoss.negativeLogLikelihood());
        avg = Double.isNaN(avg) ? r.loss() : 0.95 * avg + 0.05 * r.loss();
        if (step % 50 == 0 || step == w.steps()) {
          log.printf(
              Locale.ROOT,
              "warm start: step %d/%d  nll %.4f  (%.0f s)%n",
              step,
              w.steps(),
              avg,
              (System.nanoTime() - t0) / 1e9);
        }
      }
      return trainer.weights();
    }
  }

  /**
   * The first 12 hex digits of the SHA-256 of {@code s}: a cache folder name for a set of settings.
   */
  public static String hash(String s) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d, 0, 6);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
