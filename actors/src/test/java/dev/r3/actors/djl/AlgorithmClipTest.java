package dev.r3.actors.djl;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.r3.actors.config.ConfigLoader;
import dev.r3.actors.config.R3Config;
import dev.r3.actors.ports.Backends;
import dev.r3.actors.run.Run;
import dev.r3.actors.testkit.EchoTask;
import dev.r3.actors.testkit.Fixtures;
import dev.r3.model.ModelWeights;
import dev.r3.model.RolloutPrecision;
import dev.r3.model.rl.ObjectiveConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each algorithm clips at its own published range unless the experiment sets one: GSPO's sequence
 * ratio (a geometric mean over the answer) moves by about 1e-3 per update, so GRPO's [0.8, 1.28]
 * would almost never bind and GSPO would run unclipped.
 */
class AlgorithmClipTest {
  private static final Path EXPERIMENTS =
      Path.of("..", "config", "experiments").toAbsolutePath().normalize();

  @TempDir Path tmp;

  @Test
  void shippedGspoExperiments_clipAtGspoRange_grpoAtItsOwn() {
    R3Config gspo = ConfigLoader.load(EXPERIMENTS.resolve("gspo-m8.conf"), List.of());
    ObjectiveConfig o = DjlTrainer.objective(gspo.algorithm());
    assertThat(o.clipLow()).isEqualTo(ObjectiveConfig.GSPO_CLIP_LOW);
    assertThat(o.clipHigh()).isEqualTo(ObjectiveConfig.GSPO_CLIP_HIGH);
    assertThat(gspo.tableText()).contains("r3.algorithm.clip-low").contains("3.0E-4 (auto: gspo)");

    R3Config grpo = ConfigLoader.load(EXPERIMENTS.resolve("grpo-m8.conf"), List.of());
    assertThat(DjlTrainer.objective(grpo.algorithm()).clipLow()).isEqualTo(0.2f);
    assertThat(DjlTrainer.objective(grpo.algorithm()).clipHigh()).isEqualTo(0.28f);
  }

  @Test
  void anExperimentsOwnClip_winsOverTheAlgorithmsDefault() {
    R3Config c =
        ConfigLoader.load(
            EXPERIMENTS.resolve("gspo-m8.conf"),
            List.of("r3.algorithm.clip-low=0.01", "r3.algorithm.clip-high=0.02"));
    assertThat(DjlTrainer.objective(c.algorithm()).clipLow()).isEqualTo(0.01f);
    assertThat(DjlTrainer.objective(c.algorithm()).clipHigh()).isEqualTo(0.02f);
    assertThat(c.tableText()).doesNotContain("auto");
  }

  @Test
  void aGspoRun_clipsSequenceRatios() throws Exception {
    R3Config c =
        Fixtures.config(
            tmp,
            "r3.algorithm.name=gspo",
            "r3.experiment.total-steps=2",
            "r3.rollout.workers=1",
            "r3.rollout.group-size=4",
            "r3.rollout.max-new-tokens=4",
            "r3.learner.batch-groups=4",
            "r3.learner.mini-steps=4",
            "r3.learner.staleness=0",
            "r3.learner.lr=0.01",
            "r3.eval.every=0",
            "r3.checkpoint.every=0",
            "r3.timeouts.generate=60s",
            "r3.watchdog.stall-timeout=60s");
    ModelWeights init = ModelWeights.random(ModelSizes.of("tiny", EchoTask.VOCAB), 3);
    Backends b = Fixtures.djlEcho(RolloutPrecision.FP32, Fixtures.backends().checkpointer(), init);
    Run.start(c, b, tmp.resolve("run")).await(Duration.ofSeconds(120));

    // Mini-steps 2-4 see weights that moved after step 1: their sequence ratios leave
    // [1 - 3e-4, 1 + 4e-4], so every step reports clipped tokens.
    for (String line : Files.readAllLines(tmp.resolve("run/metrics.jsonl"))) {
      JsonObject o = JsonParser.parseString(line).getAsJsonObject();
      assertThat(o.get("losses/clip_frac").getAsDouble()).as(line).isGreaterThan(0.05);
    }
  }
}
