package dev.r3.actors.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonParser;
import dev.r3.actors.config.R3Config;
import dev.r3.actors.ports.Backends;
import dev.r3.actors.ports.PolicyTrainer;
import dev.r3.actors.run.Run;
import dev.r3.actors.run.RunFiles.RunSummary;
import dev.r3.actors.testkit.BigramPolicy;
import dev.r3.actors.testkit.EchoTask;
import dev.r3.actors.testkit.Fixtures;
import dev.r3.actors.testkit.RelayTask;
import dev.r3.model.ModelWeights;
import dev.r3.model.RoutingMode;
import dev.r3.model.RoutingRecord;
import dev.r3.model.ScoreResult;
import dev.r3.model.Sequence;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Whole multi-turn episodes through the actor pipeline (every message serialized): each trained
 * sequence is a three-turn transcript whose observations are masked out and whose routing record
 * covers every position, shipped turn by turn in pieces that the buffer assembles; the ledger
 * balances.
 */
class MultiTurnPipelineTest {

  @TempDir Path tmp;

  @Test
  void threeTurnEpisodes_areTrainedWhole_withMaskedObservations_andABalancedLedger()
      throws Exception {
    R3Config c = Fixtures.config(tmp, "r3.experiment.total-steps=4", "r3.eval.every=2");
    List<Sequence> trained = Collections.synchronizedList(new ArrayList<>());
    PolicyTrainer.Factory trainers =
        (init, config) -> {
          PolicyTrainer t = BigramPolicy.trainers().open(init, config);
          return new PolicyTrainer() {
            @Override
            public ScoreResult score(
                List<Sequence> s, RoutingMode mode, List<RoutingRecord> replay) {
              return t.score(s, mode, replay);
            }

            @Override
            public MiniStepResult step(MiniBatch b) {
              for (int i = 0; i < b.sequences().size(); i++) {
                Sequence q = b.sequences().get(i);
                if (b.replay() != null) {
                  b.replay().get(i).checkAligned(q.id(), q.length(), 1, BigramPolicy.TOP_K);
                }
                trained.add(q);
              }
              return t.step(b);
            }

            @Override
            public ModelWeights weights() {
              return t.weights();
            }
          };
        };
    Backends b =
        new Backends(
            RelayTask::new,
            new EchoTask.DigitTokenizer(),
            BigramPolicy.generators(),
            trainers,
            (dir, w, tokenizer, meta) -> Files.createDirectories(dir),
            BigramPolicy.initial());
    RunSummary s = Run.start(c, b, tmp.resolve("run")).await(Duration.ofSeconds(120));

    assertThat(s.ledger().closed()).as("ledger %s", s.ledger()).isTrue();
    assertThat(s.ledger().produced()).isEqualTo(s.ledger().trained() + s.ledger().droppedTotal());
    assertThat(trained).isNotEmpty();
    for (Sequence q : trained) {
      int observations = 0;
      for (int i = q.promptLength(); i < q.length(); i++) {
        observations += q.trained(i) ? 0 : 1;
      }
      assertThat(observations).as("sequence %s", q.id()).isEqualTo(RelayTask.TURNS - 1);
    }
    // Each turn shipped its new routing positions as one piece; the buffer assembled them.
    List<String> steps = Files.readAllLines(tmp.resolve("run/metrics.jsonl"));
    assertThat(steps).hasSize(4);
    for (String line : steps) {
      var row = JsonParser.parseString(line).getAsJsonObject();
      assertThat(row.get("routing/pieces_per_trajectory").getAsDouble())
          .as("%s", line)
          .isEqualTo(RelayTask.TURNS);
      assertThat(row.get("routing/bytes_per_trajectory").getAsDouble()).isPositive();
      assertThat(row.get("routing/bytes_per_piece").getAsDouble())
          .isCloseTo(
              row.get("routing/bytes_per_trajectory").getAsDouble() / RelayTask.TURNS,
              org.assertj.core.data.Offset.offset(1e-9));
    }
    List<String> evals = Files.readAllLines(tmp.resolve("run/eval.jsonl"));
    assertThat(evals).isNotEmpty();
    for (String line : evals) {
      assertThat(
              JsonParser.parseString(line).getAsJsonObject().get("eval/turns_mean").getAsDouble())
          .isEqualTo(RelayTask.TURNS);
    }
  }
}
