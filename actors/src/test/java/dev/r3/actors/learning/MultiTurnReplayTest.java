package dev.r3.actors.learning;

import static org.assertj.core.api.Assertions.assertThat;

import dev.r3.actors.djl.DjlGenerators;
import dev.r3.actors.djl.ModelSizes;
import dev.r3.actors.ports.Generator;
import dev.r3.actors.testkit.EchoTask;
import dev.r3.actors.testkit.RelayTask;
import dev.r3.env.Split;
import dev.r3.model.Generation;
import dev.r3.model.ModelWeights;
import dev.r3.model.RolloutPrecision;
import dev.r3.model.RoutingMode;
import dev.r3.model.RoutingRecord;
import dev.r3.model.SamplingParams;
import dev.r3.model.ScoreResult;
import dev.r3.model.Sequence;
import dev.r3.model.Trainer;
import dev.r3.model.TrainerOptions;
import dev.r3.model.TurnOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A three-turn episode on the real rollout engine (DJL, 2 MoE layers, prefix cache on) and the real
 * trainer: position by position, the routing the trainer replays is the routing the engine used
 * when it fed that position, at the prompt boundary and at every tool-result boundary; and under
 * that replay the trainer's log-probabilities of the model's tokens are the engine's.
 */
class MultiTurnReplayTest {
  private static final EchoTask.DigitTokenizer TOK = new EchoTask.DigitTokenizer();

  /** Records every turn call's completions, in order. */
  private static final class Recording implements Generator {
    final Generator inner;
    final List<List<Generation>> calls = new ArrayList<>();

    Recording(Generator inner) {
      this.inner = inner;
    }

    @Override
    public List<Generation> generate(List<int[]> prompts, SamplingParams params) {
      throw new AssertionError("episodes are played turn by turn");
    }

    @Override
    public List<Generation> generateTurn(
        List<int[]> prompts, SamplingParams params, TurnOptions turn) {
      List<Generation> out = inner.generateTurn(prompts, params, turn);
      calls.add(out);
      return out;
    }

    @Override
    public int maxContext() {
      return inner.maxContext();
    }

    @Override
    public void close() {
      inner.close();
    }
  }

  /** 8 MiB: turns continue from the cache; 0: every turn prefills the transcript again. */
  @ParameterizedTest(name = "prefix cache {0} bytes")
  @ValueSource(ints = {8 << 20, 0})
  void threeTurnEpisode_replayedRoutingIsTheEnginesAtEveryPosition_andScoresMatch(int cacheBytes) {
    ModelWeights w = ModelWeights.random(ModelSizes.of("small", EchoTask.VOCAB), 11);
    int layers = w.config().numLayers();
    SamplingParams params = new SamplingParams(1f, 1f, 2, -1, 5); // no EOS: full turns
    List<EpisodePlayer.Start> starts = new ArrayList<>();
    for (int j = 0; j < 3; j++) {
      starts.add(new EpisodePlayer.Start("e" + j, 4, Split.TRAIN, TOK.encodePrompt("4"), j));
    }
    List<EpisodePlayer.Played> played;
    DjlGenerators.Engine engine =
        (DjlGenerators.Engine) new DjlGenerators(RolloutPrecision.FP32, cacheBytes).open(w);
    try (Recording g = new Recording(engine)) {
      played =
          new EpisodePlayer(
                  new RelayTask(),
                  TOK,
                  new EpisodePlayer.Budgets(Duration.ofSeconds(5), Duration.ofSeconds(30)))
              .play(g, params, starts);
      assertThat(g.calls).hasSize(RelayTask.TURNS); // every turn of all three in one call
      assertThat(engine.prefixCacheStats().hits())
          .as("turns 2 and 3 continue from the cached KV and routing")
          .isGreaterThanOrEqualTo(cacheBytes > 0 ? 2L * starts.size() : 0);

      for (int e = 0; e < played.size(); e++) {
        EpisodePlayer.Played p = played.get(e);
        assertThat(p.turns()).isEqualTo(RelayTask.TURNS);
        RoutingRecord record = p.routing();
        assertThat(record.positions()).isEqualTo(p.tokens().length - 1);
        // Which call fed each position first: the engine's routing there is the record's.
        int from = 0;
        List<Integer> boundaries = new ArrayList<>();
        for (List<Generation> call : g.calls) {
          Generation c = call.get(e);
          int to = c.tokens().length - 1;
          boundaries.add(c.promptLength() - 1); // the prompt's / the observation's last token
          boundaries.add(to - 1); // the turn's last fed token
          for (int pos = from; pos < to; pos++) {
            for (int l = 0; l < layers; l++) {
              assertThat(record.experts(pos, l))
                  .as("episode %d position %d layer %d", e, pos, l)
                  .containsExactly(c.routing().experts(pos, l));
            }
          }
          from = to;
        }
        assertThat(boundaries).contains(p.promptLength() - 1);
      }

      // The trainer replays those records and scores the model tokens as the engine did.
      try (Trainer t = new Trainer(w, TrainerOptions.defaults())) {
        List<Sequence> seqs = new ArrayList<>();
        List<RoutingRecord> records = new ArrayList<>();
        for (int e = 0; e < played.size(); e++) {
          EpisodePlayer.Played p = played.get(e);
          seqs.add(new Sequence("e" + e, p.tokens(), p.promptLength(), p.lossMask()));
          records.add(p.routing());
        }
        ScoreResult replayed = t.score(seqs, RoutingMode.REPLAY, records);
        for (int e = 0; e < played.size(); e++) {
          EpisodePlayer.Played p = played.get(e);
          assertThat(replayed.routing().get(e)).isEqualTo(p.routing());
          float[] lp = replayed.logProbs()[e]; // tokens[1..T-1]
          int modelTokens = 0;
          for (int i = p.promptLength(); i < p.tokens().length; i++) {
            if (p.lossMask()[i] == 1) {
              modelTokens++;
              assertThat(lp[i - 1])
                  .as("episode %d token %d", e, i)
                  .isCloseTo(
                      p.logProbs()[i - p.promptLength()],
                      org.assertj.core.data.Offset.offset(2e-3f));
            }
          }
          assertThat(modelTokens).isEqualTo(2 * RelayTask.TURNS);
        }
        // Recomputed (not replayed) routing agrees with the record at the boundaries: a shifted
        // record would not.
        ScoreResult natural = t.score(seqs, RoutingMode.RECOMPUTE, null);
        int same = 0;
        int all = 0;
        for (int e = 0; e < played.size(); e++) {
          RoutingRecord r = played.get(e).routing();
          for (int pos = 0; pos < r.positions(); pos++) {
            for (int l = 0; l < layers; l++) {
              all++;
              same += r.sameSet(natural.routing().get(e), pos, l) ? 1 : 0;
            }
          }
        }
        assertThat((double) same / all).isGreaterThan(0.95);
      }
    }
  }
}
