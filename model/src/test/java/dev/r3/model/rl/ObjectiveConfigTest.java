package dev.r3.model.rl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.r3.model.rl.ObjectiveConfig.Algorithm;
import dev.r3.model.rl.ObjectiveConfig.Correction;
import org.junit.jupiter.api.Test;

class ObjectiveConfigTest {
  @Test
  void defaults_followThePapers() {
    ObjectiveConfig grpo = ObjectiveConfig.grpo();
    assertThat(grpo.clipLow()).isEqualTo(0.2f);
    assertThat(grpo.clipHigh()).isEqualTo(0.2f);
    assertThat(grpo.klCoef()).isZero();
    assertThat(grpo.usesBehaviour()).isFalse();
    ObjectiveConfig gspo = ObjectiveConfig.gspo();
    assertThat(gspo.clipLow()).isEqualTo(3e-4f);
    assertThat(gspo.clipHigh()).isEqualTo(4e-4f);
    assertThat(gspo.withCorrection(Correction.MIS).usesBehaviour()).isTrue();
    assertThat(gspo.withDecoupled(true).usesBehaviour()).isTrue();
  }

  @Test
  void nonsense_isRejected() {
    assertThatThrownBy(() -> ObjectiveConfig.grpo().withClip(1f, 0.2f))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ObjectiveConfig.grpo().withClip(0.2f, -0.1f))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ObjectiveConfig.grpo().withKlCoef(-1f))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () ->
                new ObjectiveConfig(
                    Algorithm.GRPO, 0.2f, 0.2f, Correction.TIS, 0f, 0.5f, 5f, false, 0f))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () ->
                new ObjectiveConfig(
                    Algorithm.GRPO, 0.2f, 0.2f, Correction.MIS, 2f, 1.5f, 5f, false, 0f))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () -> new ObjectiveConfig(null, 0.2f, 0.2f, Correction.NONE, 2f, 0.5f, 5f, false, 0f))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
