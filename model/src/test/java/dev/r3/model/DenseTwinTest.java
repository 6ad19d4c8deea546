package dev.r3.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

/** The dense baseline goes through the same trainer and engine API. */
class DenseTwinTest {

  @Test
  void denseTwin_trainsAndGenerates() {
    ModelConfig c = Tiny.moe().denseTwin();
    assertThat(c.isMoe()).isFalse();
    ModelWeights w = ModelWeights.random(c, 3);
    List<Sequence> corpus = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      int[] t = new int[10];
      for (int j = 0; j < t.length; j++) {
        t[j] = (i + 2 * j) % Tiny.VOCAB;
      }
      corpus.add(new Sequence("d" + i, t, 1));
    }
    try (Trainer t = new Trainer(w, TrainerOptions.defaults().withLr(1e-2f));
        RolloutEngine e = new RolloutEngine(w, RolloutOptions.defaults())) {
      List<Generation> gens =
          e.generate(
              List.of(new int[] {1, 2, 3}, new int[] {7}), new SamplingParams(1f, 1f, 6, -1, 1));
      List<Sequence> seqs = new ArrayList<>();
      for (Generation g : gens) {
        assertThat(g.routing().layers()).isZero();
        assertThat(g.routing().positions()).isEqualTo(g.length() - 1);
        seqs.add(g.toSequence("g"));
      }
      ScoreResult s = t.score(seqs, RoutingMode.REPLAY, null); // mode is ignored without experts
      for (int i = 0; i < gens.size(); i++) {
        Generation g = gens.get(i);
        for (int j = 0; j < g.responseLength(); j++) {
          assertThat(s.logProbs()[i][g.promptLength() - 1 + j])
              .isCloseTo(g.logProbs()[j], Offset.offset(1e-4f));
        }
      }
      float first = 0;
      float last = 0;
      for (int step = 0; step < 40; step++) {
        StepResult r =
            t.trainStep(corpus, RoutingMode.R2, null, PolicyLoss.negativeLogLikelihood());
        first = step == 0 ? r.loss() : first;
        last = r.loss();
        assertThat(r.routing().get(0).layers()).isZero();
      }
      assertThat(last).isLessThan(first * 0.5f);
      assertThat(t.weights().sameAs(w)).isFalse();
      assertThat(t.weights().tensors().keySet()).isEqualTo(w.tensors().keySet());
    }
  }
}
