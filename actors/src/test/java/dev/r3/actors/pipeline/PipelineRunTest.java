package dev.r3.actors.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.r3.actors.config.R3Config;
import dev.r3.actors.run.Run;
import dev.r3.actors.run.RunFiles.RunSummary;
import dev.r3.actors.testkit.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** End-to-end runs of the whole pipeline on the bigram stand-in, with every message serialized. */
class PipelineRunTest {

  @TempDir Path tmp;

  @Test
  void asyncRun_learnsEchoTask_withExactLedger_andStalenessWithinEta() throws Exception {
    R3Config c = Fixtures.config(tmp, "r3.experiment.total-steps=12", "r3.learner.staleness=1");
    assertThat(c.source().getBoolean("pekko.actor.serialize-messages")).isTrue();
    RunSummary s =
        Run.start(c, Fixtures.backends(), tmp.resolve("run")).await(Duration.ofSeconds(120));

    assertThat(s.ledger().closed()).as("ledger %s", s.ledger()).isTrue();
    assertThat(s.ledger().produced()).isEqualTo(s.ledger().trained() + s.ledger().droppedTotal());
    assertThat(s.ledger().trained()).isGreaterThan(0);
    assertThat(s.finalEval().accuracy())
        .as("final eval")
        .isGreaterThan(s.initialEval().accuracy() + 0.3);

    List<String> lines = Files.readAllLines(tmp.resolve("run/metrics.jsonl"));
    assertThat(lines).hasSize(12);
    for (String line : lines) {
      JsonObject o = JsonParser.parseString(line).getAsJsonObject();
      assertThat(o.get("staleness/max").getAsLong()).isLessThanOrEqualTo(1);
      for (String key :
          List.of(
              "step",
              "version",
              "reward/mean",
              "reward/accuracy",
              "mismatch/kl",
              "mismatch/extreme_2",
              "routing/disagreement",
              "losses/loss",
              "losses/pg_loss",
              "losses/clip_frac",
              "losses/grad_norm",
              "staleness/mean",
              "staleness/max",
              "throughput/rollout_tokens_per_s",
              "throughput/train_tokens_per_s",
              "throughput/learner_busy_frac",
              "ledger/produced",
              "ledger/trained",
              "ledger/dropped",
              "ledger/dropped/stale")) {
        assertThat(o.has(key)).as(key).isTrue();
      }
    }
    JsonObject summary =
        JsonParser.parseString(Files.readString(tmp.resolve("run/summary.json"))).getAsJsonObject();
    assertThat(summary.getAsJsonObject("ledger").get("balanced").getAsBoolean()).isTrue();
    assertThat(summary.has("config")).isTrue();
    assertThat(tmp.resolve("run/checkpoints/step-12/vocab.json")).exists();
  }
}
