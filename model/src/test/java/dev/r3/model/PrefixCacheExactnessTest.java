package dev.r3.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

/**
 * A prefix-cache hit against a cold run of the same engine settings (the cache off): a GRPO group
 * whose prompt was seen in an earlier call, and a multi-turn continuation (turn 1, a tool result,
 * turn 2). With bf16 activations (the production rollout) the tokens, routing ids and
 * log-probabilities are bit-identical, also under a budget so small that entries are evicted; in
 * fp32 the tokens and routing ids are identical and the log-probabilities differ in the last bits
 * (the cached prefix's KV was computed in a window of another width).
 */
class PrefixCacheExactnessTest {
  static final int[] P = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13};

  static SamplingParams sp(long seed) {
    return new SamplingParams(1f, 1f, 6, -1, seed);
  }

  /** The group call and the continuation call of one engine, after a first call that fills it. */
  static List<Generation> run(RolloutEngine e) {
    List<int[]> group = List.of(P, P, P, P);
    e.generate(group, sp(1));
    List<Generation> out = new ArrayList<>(e.generate(group, sp(2)));
    Generation t1 = e.generate(List.of(P), sp(3)).get(0);
    int[] t2 = Arrays.copyOf(t1.tokens(), t1.length() + 2);
    t2[t1.length()] = 4; // a tool result
    t2[t1.length() + 1] = 6;
    out.addAll(e.generate(List.of(t2), sp(4)));
    return out;
  }

  static List<Generation> run(ModelWeights w, RolloutOptions o, PrefixCache.Stats[] stats) {
    try (RolloutEngine e = new RolloutEngine(w, o)) {
      List<Generation> out = run(e);
      stats[0] = e.prefixCacheStats();
      return out;
    }
  }

  @Test
  void bf16_hitAndEvictionGiveTheColdRunsBits() {
    ModelWeights w = ModelWeights.random(Tiny.moe(0.1f), 31);
    RolloutOptions on = RolloutOptions.defaults().withBf16Activations(true);
    PrefixCache.Stats[] hot = new PrefixCache.Stats[1];
    PrefixCache.Stats[] tiny = new PrefixCache.Stats[1];
    PrefixCache.Stats[] none = new PrefixCache.Stats[1];
    List<Generation> cached = run(w, on, hot);
    List<Generation> evicting = run(w, on.withPrefixCacheBytes(6_000), tiny);
    List<Generation> cold = run(w, on.withPrefixCacheBytes(0), none);
    assertThat(hot[0].hits()).isGreaterThanOrEqualTo(2);
    assertThat(hot[0].computedTokens()).isLessThan(none[0].computedTokens());
    assertThat(tiny[0].evictions()).isPositive();
    for (int i = 0; i < cold.size(); i++) {
      for (List<Generation> other : List.of(cached, evicting)) {
        Generation a = other.get(i);
        Generation b = cold.get(i);
        assertThat(a.tokens()).isEqualTo(b.tokens());
        assertThat(a.routing()).isEqualTo(b.routing());
        for (int j = 0; j < b.logProbs().length; j++) {
          assertThat(Float.floatToIntBits(a.logProbs()[j]))
              .as("sequence %d token %d", i, j)
              .isEqualTo(Float.floatToIntBits(b.logProbs()[j]));
        }
      }
    }
  }

  @Test
  void fp32_hitGivesTheColdRunsTokensAndRouting_andLogProbsToTheLastBits() {
    ModelWeights w = ModelWeights.random(Tiny.moe(0.1f), 31);
    PrefixCache.Stats[] s = new PrefixCache.Stats[1];
    List<Generation> cached = run(w, RolloutOptions.defaults(), s);
    List<Generation> cold = run(w, RolloutOptions.defaults().withPrefixCacheBytes(0), s);
    for (int i = 0; i < cold.size(); i++) {
      assertThat(cached.get(i).tokens()).isEqualTo(cold.get(i).tokens());
      assertThat(cached.get(i).routing()).isEqualTo(cold.get(i).routing());
      for (int j = 0; j < cold.get(i).logProbs().length; j++) {
        assertThat(cached.get(i).logProbs()[j])
            .isCloseTo(cold.get(i).logProbs()[j], Offset.offset(1e-5f));
      }
    }
  }
}
