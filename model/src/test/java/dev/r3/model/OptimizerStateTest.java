package dev.r3.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.r3.model.io.Checkpoint;
import dev.r3.model.io.OptimizerStateFile;
import dev.r3.model.io.Safetensors;
import dev.r3.model.io.SafetensorsException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** AdamW state leaves a trainer and comes back exactly, so a resumed trainer steps as before. */
class OptimizerStateTest {
  @TempDir Path tmp;

  static final TrainerOptions OPTS = TrainerOptions.defaults().withLr(3e-3f).withWeightDecay(0.01f);

  private static void steps(Trainer t, int n, long seed) {
    for (int i = 0; i < n; i++) {
      t.trainStep(
          Tiny.randomSequences(3, 5, 9, seed + i),
          RoutingMode.RECOMPUTE,
          null,
          PolicyLoss.negativeLogLikelihood());
    }
  }

  @Test
  void resumedTrainer_takesTheSameNextSteps_bitForBit() throws Exception {
    ModelConfig c = Tiny.moe();
    try (Trainer a = new Trainer(ModelWeights.random(c, 4), OPTS)) {
      steps(a, 3, 10);
      a.setLearningRate(2e-3f);
      Checkpoint.save(tmp.resolve("ckpt"), a.weights());
      OptimizerStateFile.write(tmp.resolve("ckpt/" + OptimizerStateFile.FILE), a.optimizerState());

      ModelWeights w = Checkpoint.load(tmp.resolve("ckpt"));
      OptimizerState s = OptimizerStateFile.read(tmp.resolve("ckpt/" + OptimizerStateFile.FILE), c);
      assertThat(s.sameAs(a.optimizerState())).isTrue();
      assertThat(s.steps()).isEqualTo(3);
      assertThat(s.lr()).isEqualTo(2e-3f);
      try (Trainer b = new Trainer(w, OPTS)) {
        b.restoreOptimizerState(s);
        assertThat(b.steps()).isEqualTo(3);
        assertThat(b.learningRate()).isEqualTo(2e-3f);
        steps(a, 2, 20);
        steps(b, 2, 20);
        assertThat(b.weights().sameAs(a.weights())).isTrue();
        assertThat(b.optimizerState().sameAs(a.optimizerState())).isTrue();
      }
      // Without the moments the same weights take a different step: the state matters.
      try (Trainer fresh = new Trainer(w, OPTS.withLr(2e-3f))) {
        steps(fresh, 1, 20);
        try (Trainer b = new Trainer(w, OPTS)) {
          b.restoreOptimizerState(s);
          steps(b, 1, 20);
          assertThat(fresh.weights().sameAs(b.weights())).isFalse();
        }
      }
    }
  }

  @Test
  void freshTrainer_hasZeroState_andRestoringItChangesNothing() {
    ModelConfig c = Tiny.moe();
    ModelWeights w = ModelWeights.random(c, 4);
    try (Trainer a = new Trainer(w, OPTS);
        Trainer b = new Trainer(w, OPTS)) {
      assertThat(a.optimizerState().sameAs(OptimizerState.fresh(c, OPTS.lr()))).isTrue();
      b.restoreOptimizerState(OptimizerState.fresh(c, OPTS.lr()));
      steps(a, 2, 1);
      steps(b, 2, 1);
      assertThat(a.weights().sameAs(b.weights())).isTrue();
    }
  }

  @Test
  void stateOfAnotherModel_isRefused() throws Exception {
    ModelConfig c = Tiny.moe();
    ModelConfig other = Tiny.moe(0.05f);
    try (Trainer t = new Trainer(ModelWeights.random(c, 4), OPTS)) {
      assertThatThrownBy(() -> t.restoreOptimizerState(OptimizerState.fresh(other, 1e-3f)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("another model");
      Path f = tmp.resolve(OptimizerStateFile.FILE);
      OptimizerStateFile.write(f, t.optimizerState());
      assertThatThrownBy(() -> OptimizerStateFile.read(f, other))
          .isInstanceOf(SafetensorsException.class)
          .hasMessageContaining("optimizer state is for model");
    }
  }

  @Test
  void damagedStateFile_givesAnErrorNamingIt() throws Exception {
    ModelConfig c = Tiny.moe();
    OptimizerState s = OptimizerState.fresh(c, 1e-3f);
    Path f = tmp.resolve(OptimizerStateFile.FILE);
    OptimizerStateFile.write(f, s);
    // A tensor missing: rewrite without one of the second moments.
    Safetensors.Contents contents = Safetensors.read(f);
    Map<String, HostTensor> fewer = new LinkedHashMap<>(contents.tensors());
    fewer.remove("exp_avg_sq." + TensorNames.LM_HEAD);
    Safetensors.write(f, fewer, contents.metadata());
    assertThatThrownBy(() -> OptimizerStateFile.read(f, c))
        .isInstanceOf(SafetensorsException.class)
        .hasMessageContaining(f.toString())
        .hasMessageContaining(TensorNames.LM_HEAD);
    // Not an optimizer file at all: a weights file.
    Path weights = tmp.resolve("w.safetensors");
    Safetensors.write(weights, ModelWeights.random(c, 1).tensors(), Map.of());
    assertThatThrownBy(() -> OptimizerStateFile.read(weights, c))
        .hasMessageContaining("not an R3 optimizer state");
    // Bad metadata values.
    Map<String, String> meta = new LinkedHashMap<>(contents.metadata());
    meta.put("steps", "-x");
    Safetensors.write(f, contents.tensors(), meta);
    assertThatThrownBy(() -> OptimizerStateFile.read(f, c)).hasMessageContaining("bad metadata");
    assertThat(List.of(s.steps())).containsExactly(0L);
  }
}
