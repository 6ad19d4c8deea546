package dev.r3.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

/**
 * Routing and log-probabilities stay paired through a re-prefill: a turn whose prompt holds earlier
 * turns comes with the routing record of those turns, and the engine replays that record wherever
 * it computes those positions again (after an eviction, in a fresh engine after a worker restart)
 * and reuses cached KV only as far as the cached routing equals it. The record here is altered on
 * purpose (other experts than the engine would pick at two positions): a re-prefill that routed by
 * itself would build the KV from other experts than the record the trainer replays.
 */
class RecordedRoutingReplayTest {
  static final int[] P = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13};
  static final ModelWeights W = ModelWeights.random(Tiny.moe(0.1f), 31);

  static SamplingParams sp(long seed) {
    return new SamplingParams(1f, 1f, 6, -1, seed);
  }

  /** Turn 1 of an episode, and the prompt of turn 2: turn 1 plus a two-token tool result. */
  record Episode(Generation turn1, int[] turn2Prompt) {}

  static Episode turn1(RolloutEngine e) {
    Generation t1 = e.generate(List.of(P), sp(3)).get(0);
    int[] t2 = Arrays.copyOf(t1.tokens(), t1.length() + 2);
    t2[t1.length()] = 4;
    t2[t1.length() + 1] = 6;
    return new Episode(t1, t2);
  }

  /** The record with another expert in slot 0 of layer 0 at the given positions. */
  static RoutingRecord altered(RoutingRecord r, int... positions) {
    int[] ids = r.toIntArray();
    int layers = r.layers();
    int k = r.k();
    for (int p : positions) {
      int[] used = r.experts(p, 0);
      int other = 0;
      while (other == used[0] || other == used[1]) {
        other++;
      }
      ids[(p * layers) * k] = other;
    }
    return RoutingRecord.of(r.positions(), layers, k, r.numExperts(), ids);
  }

  static Generation turn2(RolloutEngine e, int[] prompt, RoutingRecord recorded) {
    return e.generate(
            List.of(prompt),
            sp(4),
            new TurnOptions(new int[0], null, new RoutingRecord[] {recorded}))
        .get(0);
  }

  @Test
  void aRePrefillReplaysTheRecordSoTheTrainerScoresTheTurnAsTheEngineSampledIt() {
    RoutingRecord recorded;
    Episode ep;
    try (RolloutEngine first = new RolloutEngine(W, RolloutOptions.defaults())) {
      ep = turn1(first);
      recorded = altered(ep.turn1().routing(), 2, 9);
    }
    // A fresh engine (a worker restart; an evicted prefix is the same case): nothing cached.
    Generation out;
    try (RolloutEngine fresh =
        new RolloutEngine(W, RolloutOptions.defaults().withPrefixCacheBytes(0))) {
      out = turn2(fresh, ep.turn2Prompt(), recorded);
    }
    assertThat(out.routing().prefix(recorded.positions())).isEqualTo(recorded);

    int p = ep.turn2Prompt().length;
    try (Trainer t = new Trainer(W, TrainerOptions.defaults())) {
      Sequence s = new Sequence("ep", out.tokens(), p);
      float[] replayed =
          t.score(List.of(s), RoutingMode.REPLAY, List.of(out.routing())).logProbs()[0];
      for (int i = p; i < out.length(); i++) {
        assertThat(replayed[i - 1])
            .as("token %d", i)
            .isCloseTo(out.logProbs()[i - p], Offset.offset(2e-3f));
      }
      // The check can tell: KV built from the engine's own experts scores the turn otherwise.
      RoutingRecord unaltered =
          ep.turn1()
              .routing()
              .concat(out.routing().slice(recorded.positions(), out.routing().positions()));
      float[] own = t.score(List.of(s), RoutingMode.REPLAY, List.of(unaltered)).logProbs()[0];
      float worst = 0;
      for (int i = p; i < out.length(); i++) {
        worst = Math.max(worst, Math.abs(own[i - 1] - out.logProbs()[i - p]));
      }
      assertThat(worst).isGreaterThan(2e-3f);
    }
  }

  @Test
  void aCachedPrefixServesOnlyAsFarAsItsRoutingEqualsTheRecord() {
    RolloutOptions bf16 = RolloutOptions.defaults().withBf16Activations(true);
    Generation hot;
    long reused;
    Episode ep;
    RoutingRecord recorded;
    try (RolloutEngine e = new RolloutEngine(W, bf16)) {
      ep = turn1(e);
      recorded = altered(ep.turn1().routing(), 5, 9);
      long before = e.prefixCacheStats().reusedTokens();
      hot = turn2(e, ep.turn2Prompt(), recorded);
      reused = e.prefixCacheStats().reusedTokens() - before;
      // The unaltered record reuses the whole previous turn.
      long again = e.prefixCacheStats().reusedTokens();
      turn2(e, ep.turn2Prompt(), ep.turn1().routing());
      assertThat(e.prefixCacheStats().reusedTokens() - again).isEqualTo(ep.turn1().length() - 1);
    }
    assertThat(reused).as("up to the first altered position").isEqualTo(5);
    Generation cold;
    try (RolloutEngine e = new RolloutEngine(W, bf16.withPrefixCacheBytes(0))) {
      cold = turn2(e, ep.turn2Prompt(), recorded);
    }
    assertThat(hot.tokens()).containsExactly(cold.tokens());
    assertThat(hot.routing()).isEqualTo(cold.routing());
    assertThat(hot.logProbs()).containsExactly(cold.logProbs());
    assertThat(hot.routing().prefix(recorded.positions())).isEqualTo(recorded);
  }

  @Test
  void aRecordThatDoesNotFitThePromptIsRefusedNamingIt() {
    try (RolloutEngine e = new RolloutEngine(W, RolloutOptions.defaults())) {
      RoutingRecord tooLong = RoutingRecord.of(P.length + 1, 2, 2, 8, new int[(P.length + 1) * 4]);
      assertThatThrownBy(() -> turn2(e, P, tooLong))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("prompt 0")
          .hasMessageContaining("does not fit a prompt of 13 tokens");
    }
  }
}
