package dev.r3.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

class RolloutEngineTest {

  static final int[] SHORT = {3, 1};
  static final int[] MID = {5, 9, 2, 7, 7};
  static final int[] LONG = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};

  static SamplingParams sampling(int maxNew, long seed) {
    return new SamplingParams(1.0f, 1.0f, maxNew, -1, seed);
  }

  /**
   * Trainer log-probabilities of the generated tokens, and how many routing (position, layer) pairs
   * differ.
   */
  static float[] trainerView(Trainer t, List<Generation> gens, float[] diff) {
    List<Sequence> seqs = new ArrayList<>();
    for (int i = 0; i < gens.size(); i++) {
      seqs.add(gens.get(i).toSequence("g" + i));
    }
    ScoreResult s = t.score(seqs, RoutingMode.RECOMPUTE, null);
    float maxDiff = 0;
    int pairs = 0;
    int differing = 0;
    for (int i = 0; i < gens.size(); i++) {
      Generation g = gens.get(i);
      for (int j = 0; j < g.responseLength(); j++) {
        maxDiff =
            Math.max(
                maxDiff, Math.abs(g.logProbs()[j] - s.logProbs()[i][g.promptLength() - 1 + j]));
      }
      RoutingRecord mine = g.routing();
      RoutingRecord theirs = s.routing().get(i);
      assertThat(mine.positions()).isEqualTo(g.length() - 1).isEqualTo(theirs.positions());
      for (int p = 0; p < mine.positions(); p++) {
        for (int l = 0; l < mine.layers(); l++) {
          pairs++;
          differing += mine.sameSet(theirs, p, l) ? 0 : 1;
        }
      }
    }
    diff[0] = maxDiff;
    diff[1] = pairs == 0 ? 0 : differing / (float) pairs;
    return diff;
  }

  @Test
  void fp32Engine_matchesTrainerRecompute() {
    ModelConfig c = Tiny.moe(0.1f);
    ModelWeights w = ModelWeights.random(c, 21);
    try (RolloutEngine e = new RolloutEngine(w, RolloutOptions.defaults());
        Trainer t = new Trainer(w, TrainerOptions.defaults())) {
      List<Generation> gens = e.generate(List.of(MID, SHORT, LONG, MID), sampling(12, 1));
      float[] d = trainerView(t, gens, new float[2]);
      assertThat(d[0]).as("max |logprob diff|").isLessThan(1e-4f);
      assertThat(d[1]).as("router disagreement").isLessThanOrEqualTo(0.01f);
    }
  }

  @Test
  void fp32Engine_matchesTrainerAtTemperature() {
    ModelConfig c = Tiny.moe(0.1f);
    ModelWeights w = ModelWeights.random(c, 22);
    try (RolloutEngine e = new RolloutEngine(w, RolloutOptions.defaults());
        Trainer t = new Trainer(w, TrainerOptions.defaults().withTemperature(0.7f))) {
      List<Generation> gens =
          e.generate(List.of(LONG, SHORT), new SamplingParams(0.7f, 1f, 10, -1, 3));
      assertThat(trainerView(t, gens, new float[2])[0]).isLessThan(1e-4f);
    }
  }

  @Test
  void rolloutRecords_replayInTheTrainerAcrossThePromptBoundary() {
    ModelConfig c = Tiny.moe(0.1f);
    ModelWeights w = ModelWeights.random(c, 30);
    try (RolloutEngine e =
            new RolloutEngine(w, RolloutOptions.defaults().withBf16Activations(true));
        Trainer t = new Trainer(w, TrainerOptions.defaults())) {
      List<Generation> gens = e.generate(List.of(LONG, SHORT, MID), sampling(9, 7));
      List<Sequence> seqs = new ArrayList<>();
      List<RoutingRecord> records = new ArrayList<>();
      for (int i = 0; i < gens.size(); i++) {
        seqs.add(gens.get(i).toSequence("g" + i));
        records.add(gens.get(i).routing());
      }
      ScoreResult r3 = t.score(seqs, RoutingMode.REPLAY, records);
      assertThat(r3.routing()).isEqualTo(records); // the trainer used exactly the rollout's experts
      StepResult step =
          t.trainStep(seqs, RoutingMode.REPLAY, records, PolicyLoss.negativeLogLikelihood());
      assertThat(step.updated()).isTrue();
      assertThat(step.routing()).isEqualTo(records);
    }
  }

  /**
   * The record's position p must be the routing of token p (the input that predicts token p + 1),
   * prompt and response alike. The fp32 engine and the trainer replaying its record give the same
   * log-probabilities; the same record shifted by one position (one early, one late) routes tokens
   * through their neighbours' experts and does not.
   */
  @Test
  void replayedRecord_reproducesRolloutLogProbs_andTheRecordShiftedByOne_doesNot() {
    ModelConfig c = Tiny.moe(0.1f);
    ModelWeights w = ModelWeights.random(c, 31);
    try (RolloutEngine e = new RolloutEngine(w, RolloutOptions.defaults());
        Trainer t = new Trainer(w, TrainerOptions.defaults())) {
      List<Generation> gens = e.generate(List.of(LONG, SHORT, MID), sampling(9, 7));
      List<Sequence> seqs = new ArrayList<>();
      List<RoutingRecord> aligned = new ArrayList<>();
      List<RoutingRecord> early = new ArrayList<>();
      List<RoutingRecord> late = new ArrayList<>();
      for (int i = 0; i < gens.size(); i++) {
        seqs.add(gens.get(i).toSequence("g" + i));
        RoutingRecord r = gens.get(i).routing();
        aligned.add(r);
        early.add(shifted(r, 1));
        late.add(shifted(r, -1));
      }
      assertThat(maxResponseGap(gens, t.score(seqs, RoutingMode.REPLAY, aligned)))
          .as("aligned record: trainer vs rollout log-probs")
          .isLessThan(1e-5f);
      assertThat(maxResponseGap(gens, t.score(seqs, RoutingMode.REPLAY, early)))
          .as("record one position early")
          .isGreaterThan(1e-3f);
      assertThat(maxResponseGap(gens, t.score(seqs, RoutingMode.REPLAY, late)))
          .as("record one position late")
          .isGreaterThan(1e-3f);
    }
  }

  /** The record with position p holding what position p + by held (wrapping at the ends). */
  private static RoutingRecord shifted(RoutingRecord r, int by) {
    int n = r.positions();
    int per = r.layers() * r.k();
    int[] ids = r.toIntArray();
    int[] out = new int[ids.length];
    for (int p = 0; p < n; p++) {
      System.arraycopy(ids, Math.floorMod(p + by, n) * per, out, p * per, per);
    }
    return RoutingRecord.of(n, r.layers(), r.k(), r.numExperts(), out);
  }

  /** Largest |trainer - rollout| log-probability over the response tokens of every sequence. */
  private static float maxResponseGap(List<Generation> gens, ScoreResult s) {
    float max = 0;
    for (int i = 0; i < gens.size(); i++) {
      Generation g = gens.get(i);
      for (int j = 0; j < g.responseLength(); j++) {
        max = Math.max(max, Math.abs(g.logProbs()[j] - s.logProbs()[i][g.promptLength() - 1 + j]));
      }
    }
    return max;
  }

  @Test
  void bf16Activations_differALittle() {
    ModelConfig c = Tiny.moe(0.1f);
    ModelWeights w = ModelWeights.random(c, 23);
    try (RolloutEngine e =
            new RolloutEngine(w, RolloutOptions.defaults().withBf16Activations(true));
        Trainer t = new Trainer(w, TrainerOptions.defaults())) {
      List<Generation> gens = e.generate(List.of(MID, SHORT, LONG), sampling(12, 1));
      float[] d = trainerView(t, gens, new float[2]);
      assertThat(d[0]).isGreaterThan(1e-4f).isLessThan(0.2f);
    }
  }

  @Test
  void sameSeed_sameTokens_otherSeed_otherTokens() {
    ModelWeights w = ModelWeights.random(Tiny.moe(), 24);
    try (RolloutEngine e =
        new RolloutEngine(w, RolloutOptions.defaults().withPrefixCacheBytes(0))) {
      List<Generation> a = e.generate(List.of(MID, LONG), sampling(10, 5));
      List<Generation> b = e.generate(List.of(MID, LONG), sampling(10, 5));
      List<Generation> other = e.generate(List.of(MID, LONG), sampling(10, 6));
      for (int i = 0; i < a.size(); i++) {
        assertThat(b.get(i).tokens()).isEqualTo(a.get(i).tokens());
        assertThat(b.get(i).logProbs()).isEqualTo(a.get(i).logProbs());
        assertThat(b.get(i).routing()).isEqualTo(a.get(i).routing());
      }
      assertThat(
              Arrays.equals(other.get(0).tokens(), a.get(0).tokens())
                  && Arrays.equals(other.get(1).tokens(), a.get(1).tokens()))
          .isFalse();
    }
  }

  @Test
  void promptAlone_equalsPromptInsideMixedBatch() {
    ModelWeights w = ModelWeights.random(Tiny.moe(0.1f), 25);
    try (RolloutEngine e =
        new RolloutEngine(w, RolloutOptions.defaults().withPrefixCacheBytes(0))) {
      Generation alone = e.generate(List.of(MID), sampling(10, 9)).get(0);
      Generation inBatch = e.generate(List.of(MID, LONG, SHORT, LONG), sampling(10, 9)).get(0);
      assertThat(inBatch.tokens()).isEqualTo(alone.tokens());
      assertThat(inBatch.routing()).isEqualTo(alone.routing());
      for (int j = 0; j < alone.logProbs().length; j++) {
        assertThat(inBatch.logProbs()[j]).isCloseTo(alone.logProbs()[j], Offset.offset(1e-5f));
      }
    }
  }

  @Test
  void tokenLimit_endsEverySequence() {
    ModelWeights w = ModelWeights.random(Tiny.moe(), 26);
    try (RolloutEngine e = new RolloutEngine(w, RolloutOptions.defaults())) {
      List<Generation> gens = e.generate(List.of(SHORT, LONG, MID), sampling(5, 1));
      for (Generation g : gens) {
        assertThat(g.responseLength()).isEqualTo(5);
        assertThat(g.logProbs()).hasSize(5);
        assertThat(g.stoppedAtEos()).isFalse();
        assertThat(g.routing().positions()).isEqualTo(g.length() - 1);
        for (float lp : g.logProbs()) {
          assertThat(lp).isLessThanOrEqualTo(0f).isGreaterThan(-20f);
        }
      }
      Generation one = e.generate(List.of(MID), sampling(1, 1)).get(0);
      assertThat(one.responseLength()).isEqualTo(1);
      assertThat(one.routing().positions()).isEqualTo(MID.length);
    }
  }

  @Test
  void eos_stopsOnlyThatSequence() {
    ModelWeights w = ModelWeights.random(Tiny.moe(), 27);
    try (RolloutEngine e =
        new RolloutEngine(w, RolloutOptions.defaults().withPrefixCacheBytes(0))) {
      List<Generation> free = e.generate(List.of(MID, LONG), sampling(10, 4));
      int eosId = free.get(0).response()[3];
      int firstAt = 0;
      while (free.get(0).response()[firstAt] != eosId) {
        firstAt++;
      }
      List<Generation> stopped =
          e.generate(List.of(MID, LONG), new SamplingParams(1f, 1f, 10, eosId, 4));
      Generation g = stopped.get(0);
      assertThat(g.stoppedAtEos()).isTrue();
      assertThat(g.responseLength()).isEqualTo(firstAt + 1);
      assertThat(g.response()[firstAt]).isEqualTo(eosId);
      assertThat(g.tokens()).isEqualTo(Arrays.copyOf(free.get(0).tokens(), g.length()));
      assertThat(g.routing().positions()).isEqualTo(g.length() - 1);
      // the other sequence runs on unless it samples the id too
      Generation other = stopped.get(1);
      int[] r = free.get(1).response();
      int expected = r.length;
      for (int i = 0; i < r.length; i++) {
        if (r[i] == eosId) {
          expected = i + 1;
          break;
        }
      }
      assertThat(other.responseLength()).isEqualTo(expected);
      assertThat(other.tokens()).isEqualTo(Arrays.copyOf(free.get(1).tokens(), other.length()));
    }
  }

  @Test
  void identicalPrompts_sharePrefill_andMatchTheTrainer() {
    ModelConfig c = Tiny.moe(0.1f);
    ModelWeights w = ModelWeights.random(c, 28);
    try (RolloutEngine e = new RolloutEngine(w, RolloutOptions.defaults().withPrefixCacheBytes(0));
        Trainer t = new Trainer(w, TrainerOptions.defaults())) {
      List<Generation> gens = e.generate(List.of(LONG, LONG, SHORT, LONG, LONG), sampling(8, 2));
      float[] d = trainerView(t, gens, new float[2]);
      assertThat(d[0]).isLessThan(1e-4f);
      assertThat(d[1]).isLessThanOrEqualTo(0.01f);
      RoutingRecord p0 = gens.get(0).routing().prefix(LONG.length);
      for (int i : new int[] {1, 3, 4}) {
        assertThat(gens.get(i).routing().prefix(LONG.length)).isEqualTo(p0);
      }
      assertThat(gens.get(0).tokens()).isNotEqualTo(gens.get(1).tokens()); // own sampling streams
    }
  }

  @Test
  void multiTurnContinuation_reusesCachedKvAndRouting() {
    ModelConfig c = Tiny.moe(0.1f);
    ModelWeights w = ModelWeights.random(c, 29);
    try (RolloutEngine cached = new RolloutEngine(w, RolloutOptions.defaults());
        RolloutEngine fresh =
            new RolloutEngine(w, RolloutOptions.defaults().withPrefixCacheBytes(0))) {
      Generation turn1 = cached.generate(List.of(MID), sampling(6, 1)).get(0);
      int[] turn2Prompt = Arrays.copyOf(turn1.tokens(), turn1.length() + 2);
      turn2Prompt[turn1.length()] = 4; // a tool result
      turn2Prompt[turn1.length() + 1] = 6;
      Generation viaCache = cached.generate(List.of(turn2Prompt), sampling(6, 2)).get(0);
      Generation recomputed = fresh.generate(List.of(turn2Prompt), sampling(6, 2)).get(0);
      PrefixCache.Stats stats = cached.prefixCacheStats();
      assertThat(stats.hits()).isEqualTo(1);
      assertThat(stats.reusedTokens()).isEqualTo(turn1.length() - 1);
      assertThat(viaCache.tokens()).isEqualTo(recomputed.tokens());
      assertThat(viaCache.routing().positions()).isEqualTo(viaCache.length() - 1);
      assertThat(viaCache.routing().prefix(turn1.length() - 1)).isEqualTo(turn1.routing());
      for (int j = 0; j < viaCache.logProbs().length; j++) {
        assertThat(viaCache.logProbs()[j])
            .isCloseTo(recomputed.logProbs()[j], Offset.offset(1e-4f));
      }
      int differing = 0;
      for (int p = 0; p < viaCache.routing().positions(); p++) {
        for (int l = 0; l < c.numLayers(); l++) {
          differing += viaCache.routing().sameSet(recomputed.routing(), p, l) ? 0 : 1;
        }
      }
      assertThat(differing).isLessThanOrEqualTo(1);
    }
  }

  @Test
  void decodeArrayCount_isKeptOnlyWhileCounting_andCountsEveryOpOfAStep() {
    ModelWeights w = ModelWeights.random(Tiny.moe(0.1f), 25);
    try (RolloutEngine e =
        new RolloutEngine(w, RolloutOptions.defaults().withPrefixCacheBytes(0))) {
      e.generate(List.of(MID, LONG), sampling(6, 3));
      assertThat(e.decodeArraysPerStep()).isNaN();
      e.countDecodeArrays(true);
      e.generate(List.of(MID, LONG), sampling(6, 3));
      // at least a few ops per layer (norms, projections, attention, router, experts)
      assertThat(e.decodeArraysPerStep()).isGreaterThan(20.0 * w.config().numLayers());
      e.countDecodeArrays(false);
      assertThat(e.decodeArraysPerStep()).isNaN();
      assertThat(e.liveArrays()).isEqualTo(liveAfterLoad(w)); // counting keeps no array alive
    }
  }

  private static int liveAfterLoad(ModelWeights w) {
    try (RolloutEngine fresh =
        new RolloutEngine(w, RolloutOptions.defaults().withPrefixCacheBytes(0))) {
      return fresh.liveArrays();
    }
  }
}
