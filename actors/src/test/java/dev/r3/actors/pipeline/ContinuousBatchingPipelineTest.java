package dev.r3.actors.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.r3.actors.config.R3Config;
import dev.r3.actors.djl.DjlGenerators;
import dev.r3.actors.djl.DjlTrainer;
import dev.r3.actors.djl.ModelSizes;
import dev.r3.actors.ports.Backends;
import dev.r3.actors.ports.Generator;
import dev.r3.actors.run.Run;
import dev.r3.actors.run.RunFiles.RunSummary;
import dev.r3.actors.testkit.EchoTask;
import dev.r3.actors.testkit.Fixtures;
import dev.r3.model.ContinuousBatch;
import dev.r3.model.Generation;
import dev.r3.model.ModelWeights;
import dev.r3.model.RolloutPrecision;
import dev.r3.model.SamplingParams;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The asynchronous pipeline with continuous batching in its rollout worker, on the real DJL engine
 * (bf16 rollouts), every message serialized: the ledger balances and staleness stays within eta.
 */
class ContinuousBatchingPipelineTest {

  @TempDir Path tmp;

  /** DJL generators that count the running batches opened on them. */
  static final class Counting implements Generator.Factory {
    final DjlGenerators engines = new DjlGenerators(RolloutPrecision.BF16);
    final AtomicInteger batches = new AtomicInteger();

    @Override
    public Generator open(ModelWeights weights) {
      Generator g = engines.open(weights);
      return new Generator() {
        @Override
        public List<Generation> generate(List<int[]> prompts, SamplingParams params) {
          return g.generate(prompts, params);
        }

        @Override
        public ContinuousBatch openBatch() {
          batches.incrementAndGet();
          return g.openBatch();
        }

        @Override
        public void close() {
          g.close();
        }
      };
    }
  }

  @Test
  void asyncRun_withContinuousBatching_balancesTheLedger_andKeepsStalenessWithinEta()
      throws Exception {
    R3Config c =
        Fixtures.config(
            tmp,
            "r3.experiment.total-steps=8",
            "r3.env.params.terms=3",
            "r3.rollout.group-size=8",
            "r3.rollout.precision=bf16",
            "r3.rollout.workers=1",
            "r3.rollout.max-batch-rows=16", // two groups at a time: later groups join as rows free
            "r3.learner.batch-groups=4",
            "r3.learner.mini-steps=2",
            "r3.learner.staleness=1",
            "r3.learner.lr=0.01",
            "r3.eval.every=0",
            "r3.eval.size=10",
            "r3.checkpoint.every=0",
            "r3.timeouts.generate=60s",
            "r3.watchdog.stall-timeout=60s");
    Counting generators = new Counting();
    Backends b =
        new Backends(
            EchoTask::new,
            new EchoTask.DigitTokenizer(),
            generators,
            DjlTrainer.factory(),
            (dir, w, tokenizer, meta) -> Files.createDirectories(dir),
            ModelWeights.random(ModelSizes.of("tiny", EchoTask.VOCAB), 3));
    RunSummary s = Run.start(c, b, tmp.resolve("run")).await(Duration.ofSeconds(240));

    assertThat(generators.batches.get()).as("running batches opened").isPositive();
    assertThat(s.ledger().closed()).as("ledger %s", s.ledger()).isTrue();
    assertThat(s.ledger().produced()).isEqualTo(s.ledger().trained() + s.ledger().droppedTotal());
    assertThat(s.ledger().trained()).isGreaterThan(0);
    List<String> lines = Files.readAllLines(tmp.resolve("run/metrics.jsonl"));
    assertThat(lines).hasSize(8);
    for (String line : lines) {
      JsonObject o = JsonParser.parseString(line).getAsJsonObject();
      assertThat(o.get("staleness/max").getAsLong()).isLessThanOrEqualTo(1);
    }
    JsonObject summary =
        JsonParser.parseString(Files.readString(tmp.resolve("run/summary.json"))).getAsJsonObject();
    assertThat(summary.getAsJsonObject("ledger").get("balanced").getAsBoolean()).isTrue();
  }
}
