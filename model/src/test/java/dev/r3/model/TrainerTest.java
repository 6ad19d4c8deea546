package dev.r3.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

class TrainerTest {

  @Test
  void replayOfOwnRecord_givesRecomputeLogProbs() {
    ModelConfig c = Tiny.moe();
    List<Sequence> seqs = Tiny.randomSequences(5, 4, 12, 1);
    try (Trainer t = new Trainer(ModelWeights.random(c, 7), TrainerOptions.defaults())) {
      ScoreResult own = t.score(seqs, RoutingMode.RECOMPUTE, null);
      ScoreResult replayed = t.score(seqs, RoutingMode.REPLAY, own.routing());
      assertThat(Tiny.maxAbsDiff(own.logProbs(), replayed.logProbs())).isLessThanOrEqualTo(1e-6f);
      assertThat(replayed.routing()).isEqualTo(own.routing());
      for (int i = 0; i < seqs.size(); i++) {
        assertThat(own.logProbs()[i]).hasSize(seqs.get(i).length() - 1);
        assertThat(own.routing().get(i).positions()).isEqualTo(seqs.get(i).length() - 1);
      }
    }
  }

  @Test
  void weights_roundTripBitExactly_andChangeAfterAStep() {
    ModelConfig c = Tiny.moe();
    ModelWeights w = ModelWeights.random(c, 9);
    try (Trainer t = new Trainer(w, TrainerOptions.defaults())) {
      assertThat(t.weights().sameAs(w)).isTrue();
      StepResult r =
          t.trainStep(
              Tiny.randomSequences(2, 5, 9, 1),
              RoutingMode.RECOMPUTE,
              null,
              PolicyLoss.negativeLogLikelihood());
      assertThat(r.step()).isEqualTo(1);
      assertThat(r.gradNorm()).isPositive();
      ModelWeights after = t.weights();
      assertThat(after.sameAs(w)).isFalse();
      for (String name :
          List.of(
              TensorNames.router(0), TensorNames.expert(1, 3, "down_proj"), TensorNames.kProj(1))) {
        assertThat(after.get(name).sameAs(w.get(name))).as(name).isFalse();
      }
      try (Trainer copy = new Trainer(after, TrainerOptions.defaults())) {
        List<Sequence> seqs = Tiny.randomSequences(3, 4, 10, 2);
        assertThat(
                Tiny.maxAbsDiff(
                    copy.score(seqs, RoutingMode.RECOMPUTE, null).logProbs(),
                    t.score(seqs, RoutingMode.RECOMPUTE, null).logProbs()))
            .isZero();
      }
    }
  }

  @Test
  void firstStep_isAdamWWithGlobalNormAndDecoupledDecay() {
    ModelConfig c = Tiny.moe(0.1f);
    ModelWeights w = ModelWeights.random(c, 12);
    List<Sequence> seqs = Tiny.randomSequences(3, 5, 10, 3);
    float lr = 0.01f;
    float wd = 0.1f;
    TrainerOptions o = TrainerOptions.defaults().withLr(lr).withWeightDecay(wd).withGradClip(0f);
    List<String> names =
        List.of(
            TensorNames.router(1),
            TensorNames.postAttnNorm(0),
            TensorNames.EMBED,
            "model.layers.0.self_attn.qkv_fused",
            "model.layers.0.mlp.gate_up_stacked",
            "model.layers.1.mlp.down_stacked",
            TensorNames.oProj(0),
            TensorNames.qNorm(0),
            TensorNames.kNorm(0),
            TensorNames.inputNorm(0),
            TensorNames.router(0),
            TensorNames.postAttnNorm(1),
            TensorNames.oProj(1),
            TensorNames.qNorm(1),
            TensorNames.kNorm(1),
            TensorNames.inputNorm(1),
            "model.layers.1.self_attn.qkv_fused",
            "model.layers.1.mlp.gate_up_stacked",
            "model.layers.0.mlp.down_stacked",
            TensorNames.FINAL_NORM,
            TensorNames.LM_HEAD);
    Map<String, float[]> grads;
    try (Trainer t = new Trainer(w, o)) {
      grads =
          t.gradients(seqs, RoutingMode.RECOMPUTE, null, PolicyLoss.negativeLogLikelihood(), names);
    }
    double sq = 0;
    for (float[] g : grads.values()) {
      for (float x : g) {
        sq += (double) x * x;
      }
    }
    try (Trainer t = new Trainer(w, o)) {
      StepResult r =
          t.trainStep(seqs, RoutingMode.RECOMPUTE, null, PolicyLoss.negativeLogLikelihood());
      assertThat((double) r.gradNorm())
          .isCloseTo(Math.sqrt(sq), Offset.offset(1e-4 * Math.sqrt(sq)));
      ModelWeights after = t.weights();
      // step 1: m^ = g, v^ = g^2, so p' = p (1 - lr wd) - lr g / (|g| + eps); norms are not decayed
      checkAdamW(
          w.get(TensorNames.router(1)).data(),
          after.get(TensorNames.router(1)).data(),
          grads.get(TensorNames.router(1)),
          lr,
          wd);
      checkAdamW(
          w.get(TensorNames.postAttnNorm(0)).data(),
          after.get(TensorNames.postAttnNorm(0)).data(),
          grads.get(TensorNames.postAttnNorm(0)),
          lr,
          0f);
    }
  }

  private static void checkAdamW(float[] before, float[] after, float[] g, float lr, float wd) {
    for (int i = 0; i < before.length; i++) {
      double expected = before[i] * (1 - (double) lr * wd) - lr * g[i] / (Math.abs(g[i]) + 1e-8);
      assertThat((double) after[i]).as("entry %d", i).isCloseTo(expected, Offset.offset(2e-5));
    }
  }

  @Test
  void misalignedRecord_isRefusedNamingTheSequence() {
    ModelConfig c = Tiny.moe();
    List<Sequence> seqs = Tiny.randomSequences(3, 6, 6, 2);
    try (Trainer t = new Trainer(ModelWeights.random(c, 7), TrainerOptions.defaults())) {
      List<RoutingRecord> good = t.score(seqs, RoutingMode.RECOMPUTE, null).routing();
      List<RoutingRecord> shortRecord = new ArrayList<>(good);
      shortRecord.set(1, good.get(1).prefix(4)); // T - 2 positions: the off-by-one
      assertThatThrownBy(() -> t.score(seqs, RoutingMode.REPLAY, shortRecord))
          .isInstanceOf(RoutingMismatchException.class)
          .hasMessageContaining("seq-1")
          .hasMessageContaining("positions 4");
      RoutingRecord wrongLayers = RoutingRecord.of(5, 1, 2, 8, new int[10]);
      List<RoutingRecord> layers = new ArrayList<>(good);
      layers.set(2, wrongLayers);
      assertThatThrownBy(
              () ->
                  t.trainStep(seqs, RoutingMode.REPLAY, layers, PolicyLoss.negativeLogLikelihood()))
          .isInstanceOf(RoutingMismatchException.class)
          .hasMessageContaining("seq-2")
          .hasMessageContaining("layers");
      RoutingRecord wrongK = RoutingRecord.of(5, 2, 3, 8, new int[30]);
      List<RoutingRecord> ks = new ArrayList<>(good);
      ks.set(0, wrongK);
      assertThatThrownBy(() -> t.score(seqs, RoutingMode.R2, ks))
          .isInstanceOf(RoutingMismatchException.class)
          .hasMessageContaining("seq-0")
          .hasMessageContaining("k 3");
      assertThat(t.steps()).isZero();
    }
  }

  @Test
  void replay_keepsRouterGradient() {
    ModelConfig c = Tiny.moe(0.3f);
    List<Sequence> seqs = Tiny.randomSequences(2, 6, 8, 3);
    ModelWeights w = ModelWeights.random(c, 11);
    // A record unlike the trainer's own top-k: gates over non-top ids must still train the router.
    List<RoutingRecord> replay =
        List.of(
            Tiny.randomRecord(c, seqs.get(0).length(), 5),
            Tiny.randomRecord(c, seqs.get(1).length(), 6));
    // Sum of log-probabilities over real (unpadded) positions, as score() returns them.
    PolicyLoss sumLogProb =
        (b, scope) -> {
          float[][] ones = new float[b.batchSize()][];
          for (int i = 0; i < ones.length; i++) {
            ones[i] = new float[b.sequences().get(i).length() - 1];
            Arrays.fill(ones[i], 1f);
          }
          return b.logProbs().mul(b.perToken(ones)).sum();
        };
    String name = TensorNames.router(0);
    float[] grad;
    try (Trainer t = new Trainer(w, TrainerOptions.defaults())) {
      grad = t.gradients(seqs, RoutingMode.REPLAY, replay, sumLogProb, List.of(name)).get(name);
    }
    // Check the largest entries against central differences of the replayed score.
    Integer[] order = new Integer[grad.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> Float.compare(Math.abs(grad[b]), Math.abs(grad[a])));
    assertThat(Math.abs(grad[order[0]])).isGreaterThan(1e-3f);
    float eps = 0.005f;
    for (int r = 0; r < 4; r++) {
      int i = order[r];
      double up = sumScore(perturb(w, name, i, eps), seqs, replay);
      double down = sumScore(perturb(w, name, i, -eps), seqs, replay);
      double numeric = (up - down) / (2 * eps);
      assertThat(numeric)
          .as("d loss / d router[%d]", i)
          .isCloseTo(grad[i], Offset.offset(0.02 * Math.abs(grad[i]) + 1e-3));
    }
  }

  private static ModelWeights perturb(ModelWeights w, String name, int index, float delta) {
    Map<String, HostTensor> m = new LinkedHashMap<>(w.tensors());
    HostTensor t = m.get(name);
    float[] d = t.data().clone();
    d[index] += delta;
    m.put(name, new HostTensor(t.shape(), d));
    return new ModelWeights(w.config(), m);
  }

  private static double sumScore(ModelWeights w, List<Sequence> seqs, List<RoutingRecord> replay) {
    try (Trainer t = new Trainer(w, TrainerOptions.defaults())) {
      double s = 0;
      for (float[] row : t.score(seqs, RoutingMode.REPLAY, replay).logProbs()) {
        for (float v : row) {
          s += v;
        }
      }
      return s;
    }
  }

  @Test
  void gatherGroupedAndDenseDispatch_agreeInValuesAndGradients() {
    ModelConfig c = Tiny.moe(0.1f);
    List<Sequence> seqs = Tiny.randomSequences(6, 5, 16, 4);
    List<String> names =
        List.of(
            TensorNames.router(1),
            TensorNames.router(0),
            "model.layers.1.mlp.gate_up_stacked",
            "model.layers.0.mlp.down_stacked",
            TensorNames.EMBED);
    try (Trainer t = new Trainer(ModelWeights.random(c, 3), TrainerOptions.defaults())) {
      t.setDispatch(ExpertDispatch.Mode.DENSE);
      ScoreResult dense = t.score(seqs, RoutingMode.RECOMPUTE, null);
      var gDense =
          t.gradients(
              seqs, RoutingMode.REPLAY, dense.routing(), PolicyLoss.negativeLogLikelihood(), names);
      for (ExpertDispatch.Mode d :
          new ExpertDispatch.Mode[] {ExpertDispatch.Mode.GATHER, ExpertDispatch.Mode.GROUPED}) {
        t.setDispatch(d);
        ScoreResult other = t.score(seqs, RoutingMode.RECOMPUTE, null);
        var gOther =
            t.gradients(
                seqs,
                RoutingMode.REPLAY,
                dense.routing(),
                PolicyLoss.negativeLogLikelihood(),
                names);
        assertThat(other.routing()).isEqualTo(dense.routing());
        assertThat(Tiny.maxAbsDiff(dense.logProbs(), other.logProbs()))
            .as(d.name())
            .isLessThanOrEqualTo(1e-6f);
        for (String n : gDense.keySet()) {
          float[] a = gDense.get(n);
          float[] b = gOther.get(n);
          float max = 0;
          for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
          }
          assertThat(max).as(d + " " + n).isLessThanOrEqualTo(1e-6f);
        }
      }
    }
  }

  @Test
  void nll_dropsOnATinyCorpus() {
    ModelConfig c = Tiny.moe();
    List<Sequence> corpus = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      int[] t = new int[12];
      for (int j = 0; j < t.length; j++) {
        t[j] = (i * 3 + j * (i + 1)) % Tiny.VOCAB;
      }
      corpus.add(new Sequence("c" + i, t, 1));
    }
    try (Trainer t =
        new Trainer(ModelWeights.random(c, 5), TrainerOptions.defaults().withLr(1e-2f))) {
      float first = 0;
      float last = 0;
      for (int s = 0; s < 50; s++) {
        StepResult r =
            t.trainStep(corpus, RoutingMode.RECOMPUTE, null, PolicyLoss.negativeLogLikelihood());
        if (s == 0) {
          first = r.loss();
        }
        last = r.loss();
        assertThat(r.updated()).isTrue();
      }
      assertThat(first).isGreaterThan(2.5f);
      assertThat(last).isLessThan(first * 0.5f);
      assertThat(t.steps()).isEqualTo(50);
    }
  }
}
