package dev.r3.actors.testkit;

import dev.r3.actors.config.ConfigLoader;
import dev.r3.actors.config.R3Config;
import dev.r3.actors.djl.DjlGenerators;
import dev.r3.actors.djl.DjlTrainer;
import dev.r3.actors.ports.Backends;
import dev.r3.actors.ports.Checkpointer;
import dev.r3.actors.ports.Generator;
import dev.r3.model.ModelWeights;
import dev.r3.model.RolloutPrecision;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Small, fast settings and the pure-Java backends for pipeline tests. */
public final class Fixtures {
  private Fixtures() {}

  /** Defaults for tests; later entries override earlier ones. */
  public static final List<String> TEST_SETTINGS =
      List.of(
          "r3.experiment.name=test",
          "r3.experiment.total-steps=8",
          "r3.experiment.progress-bar=off",
          "r3.warm-start.enabled=off",
          "r3.model.size=tiny",
          "r3.rollout.workers=2",
          "r3.rollout.group-size=4",
          "r3.rollout.max-new-tokens=2",
          "r3.learner.batch-groups=2",
          "r3.learner.mini-steps=2",
          "r3.learner.staleness=1",
          "r3.learner.lr=0.1",
          "r3.eval.every=4",
          "r3.eval.size=40",
          "r3.checkpoint.every=4",
          "r3.timeouts.generate=5s",
          "r3.timeouts.env=2s",
          "r3.timeouts.score=2s",
          "r3.timeouts.shutdown=10s",
          "r3.faults.backoff-min=50ms",
          "r3.faults.backoff-max=200ms",
          "r3.watchdog.interval=200ms",
          "r3.watchdog.stall-timeout=1500ms",
          "pekko.actor.serialize-messages=on",
          "r3.monitor.port=0",
          "pekko.loglevel=WARNING");

  public static R3Config config(Path outDir, String... overrides) {
    List<String> all = new ArrayList<>(TEST_SETTINGS);
    all.add("r3.experiment.out-dir=" + outDir);
    all.addAll(Arrays.asList(overrides));
    return ConfigLoader.load(null, all);
  }

  public static Backends backends() {
    return backends(BigramPolicy.generators());
  }

  public static Backends backends(Generator.Factory generators) {
    return new Backends(
        EchoTask::new,
        new EchoTask.DigitTokenizer(),
        generators,
        BigramPolicy.trainers(),
        checkpointer(),
        BigramPolicy.initial());
  }

  /**
   * The echo task on the real DJL engine and trainer: the backends of the tests that train a tiny
   * MoE model for real.
   */
  public static Backends djlEcho(
      RolloutPrecision precision, Checkpointer checkpointer, ModelWeights initial) {
    return new Backends(
        EchoTask::new,
        new EchoTask.DigitTokenizer(),
        new DjlGenerators(precision),
        DjlTrainer.factory(),
        checkpointer,
        initial);
  }

  static Checkpointer checkpointer() {
    return (dir, weights, tokenizer, meta) -> {
      Files.createDirectories(dir);
      Files.writeString(dir.resolve("meta.txt"), meta.toString());
      tokenizer.save(dir);
    };
  }
}
