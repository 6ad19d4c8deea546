package dev.r3.model;

import static dev.r3.model.RolloutEngineTest.LONG;
import static dev.r3.model.RolloutEngineTest.MID;
import static dev.r3.model.RolloutEngineTest.SHORT;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ContinuousBatchTest {

  /** A request: {@code copies} samples of one prompt (a GRPO group), its own seed. */
  private record Request(String key, int[] prompt, int copies, SamplingParams params) {
    List<int[]> prompts() {
      return Collections.nCopies(copies, prompt);
    }
  }

  private static SamplingParams sampling(int maxNew, int eos, long seed) {
    return new SamplingParams(1.0f, 1.0f, maxNew, eos, seed);
  }

  /**
   * Runs the requests through one continuous batch, request i joining after {@code joinAfter[i]}
   * decode steps (those joining at the same step in one prefill call); the finished sequences by
   * key and index, each with the step it left at.
   */
  private static Map<String, Generation> runJoined(
      ContinuousBatch batch, List<Request> requests, int[] joinAfter, Map<String, Long> leftAt) {
    Map<String, Generation> out = new HashMap<>();
    int next = 0;
    while (next < requests.size() || batch.liveRows() > 0) {
      List<ContinuousBatch.Join> joins = new ArrayList<>(); // joining at one step: one prefill
      while (next < requests.size() && batch.steps() >= joinAfter[next]) {
        Request r = requests.get(next++);
        joins.add(new ContinuousBatch.Join(r.key(), r.prompts(), r.params(), null));
      }
      for (ContinuousBatch.Finished f : batch.admit(joins)) {
        put(out, leftAt, f, batch.steps());
      }
      for (ContinuousBatch.Finished f : batch.step()) {
        put(out, leftAt, f, batch.steps());
      }
    }
    return out;
  }

  private static void put(
      Map<String, Generation> out, Map<String, Long> leftAt, ContinuousBatch.Finished f, long at) {
    String id = f.key() + "/" + f.index();
    assertThat(out.put(id, f.generation())).as("%s returned twice", id).isNull();
    leftAt.put(id, at);
  }

  /** The largest log-probability difference; tokens and routing must be equal. */
  private static float compareAlone(
      RolloutEngine e, List<Request> requests, Map<String, Generation> joined) {
    float max = 0;
    for (Request r : requests) {
      List<Generation> alone = e.generate(r.prompts(), r.params());
      for (int j = 0; j < r.copies(); j++) {
        Generation a = alone.get(j);
        Generation b = joined.get(r.key() + "/" + j);
        assertThat(b).as("%s/%d", r.key(), j).isNotNull();
        assertThat(b.tokens()).as("tokens of %s/%d", r.key(), j).isEqualTo(a.tokens());
        assertThat(b.routing()).as("routing of %s/%d", r.key(), j).isEqualTo(a.routing());
        assertThat(b.stoppedAtEos()).isEqualTo(a.stoppedAtEos());
        for (int t = 0; t < a.logProbs().length; t++) {
          max = Math.max(max, Math.abs(a.logProbs()[t] - b.logProbs()[t]));
        }
      }
    }
    return max;
  }

  private static List<Request> mixedRequests(int eos) {
    return List.of(
        new Request("a", MID, 3, sampling(12, eos, 1)),
        new Request("b", LONG, 2, sampling(10, eos, 2)), // longer prompt: the columns shift right
        new Request("c", SHORT, 4, sampling(12, eos, 3)),
        new Request("d", MID, 1, sampling(2, eos, 4)), // leaves early
        new Request("e", LONG, 2, sampling(6, eos, 5))); // joins once rows have left
  }

  @Test
  void aSequenceJoiningARunningBatch_getsTheTokensRoutingAndLogProbsItGetsAlone_fp32() {
    ModelWeights w = ModelWeights.random(Tiny.moe(0.1f), 41);
    try (RolloutEngine e = new RolloutEngine(w, RolloutOptions.defaults().withPrefixCacheBytes(0));
        ContinuousBatch batch = e.openBatch()) {
      List<Request> requests = mixedRequests(-1);
      Map<String, Long> leftAt = new HashMap<>();
      Map<String, Generation> joined =
          runJoined(batch, requests, new int[] {0, 3, 3, 5, 8}, leftAt);
      assertThat(joined).hasSize(12);
      // fp32: equal tokens and routing; log-probabilities within the rounding of the masked key
      // columns and the batch's expert GEMMs (measured: at most 3.6e-7, two or three ulps)
      assertThat(compareAlone(e, requests, joined)).isLessThanOrEqualTo(1e-6f);
      assertThat(batch.liveRows()).isZero();
    }
  }

  @Test
  void aSequenceThatSamplesEos_leavesTheBatchInThatStep_andTheOthersRunOn() {
    ModelWeights w = ModelWeights.random(Tiny.moe(0.1f), 42);
    try (RolloutEngine e =
        new RolloutEngine(w, RolloutOptions.defaults().withPrefixCacheBytes(0))) {
      // an id the first request samples as its 4th token, made end-of-sequence
      int eos = e.generate(List.of(MID, MID, MID), sampling(12, -1, 1)).get(0).response()[3];
      try (ContinuousBatch batch = e.openBatch()) {
        List<Request> requests = mixedRequests(eos);
        Map<String, Long> leftAt = new HashMap<>();
        Map<String, Generation> joined =
            runJoined(batch, requests, new int[] {0, 3, 3, 5, 8}, leftAt);
        assertThat(compareAlone(e, requests, joined)).isLessThanOrEqualTo(1e-6f);
        int[] joinAfter = {0, 3, 3, 5, 8};
        int stopped = 0;
        for (int i = 0; i < requests.size(); i++) {
          for (int j = 0; j < requests.get(i).copies(); j++) {
            String id = requests.get(i).key() + "/" + j;
            Generation g = joined.get(id);
            // admitted at step joinAfter (first token from the prefill), one token per step after
            assertThat(leftAt.get(id))
                .as("the step %s left at", id)
                .isEqualTo(joinAfter[i] + g.responseLength() - 1L);
            stopped += g.stoppedAtEos() ? 1 : 0;
          }
        }
        assertThat(stopped).isPositive();
      }
    }
  }

  @Test
  void bf16Engine_joinedSequencesStayWithinTheEnginesOwnRounding() {
    ModelWeights w = ModelWeights.random(Tiny.moe(0.1f), 43);
    try (RolloutEngine e =
            new RolloutEngine(
                w, RolloutOptions.defaults().withPrefixCacheBytes(0).withBf16Activations(true));
        ContinuousBatch batch = e.openBatch()) {
      List<Request> requests = mixedRequests(-1);
      Map<String, Generation> joined =
          runJoined(batch, requests, new int[] {0, 3, 3, 5, 8}, new HashMap<>());
      // bf16 activations: one bf16 ulp of a log-probability near -3 is 2^-6
      assertThat(compareAlone(e, requests, joined)).isLessThanOrEqualTo(0.016f);
    }
  }

  @Test
  void aDroppedRequest_isNeverReturned_andTheOthersAreUnchanged() {
    ModelWeights w = ModelWeights.random(Tiny.moe(0.1f), 44);
    try (RolloutEngine e = new RolloutEngine(w, RolloutOptions.defaults().withPrefixCacheBytes(0));
        ContinuousBatch batch = e.openBatch()) {
      Request keep = new Request("keep", MID, 2, sampling(10, -1, 7));
      Request gone = new Request("gone", LONG, 3, sampling(10, -1, 8));
      batch.admit(keep.key(), keep.prompts(), keep.params(), null);
      batch.admit(gone.key(), gone.prompts(), gone.params(), null);
      List<ContinuousBatch.Finished> out = new ArrayList<>();
      for (int s = 0; s < 3; s++) {
        out.addAll(batch.step());
      }
      batch.drop("gone");
      assertThat(batch.liveRows()).isEqualTo(2);
      while (batch.liveRows() > 0) {
        out.addAll(batch.step());
      }
      assertThat(out).extracting(ContinuousBatch.Finished::key).containsOnly("keep").hasSize(2);
      Map<String, Generation> joined = new HashMap<>();
      out.forEach(f -> joined.put(f.key() + "/" + f.index(), f.generation()));
      assertThat(compareAlone(e, List.of(keep), joined)).isLessThanOrEqualTo(1e-6f);
      assertThat(batch.cacheRows()).isLessThanOrEqualTo(2); // finished rows were dropped
    }
  }
}
