package dev.r3.actors.djl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.r3.model.ModelConfig;
import org.junit.jupiter.api.Test;

class ModelSizesTest {

  @Test
  void presets_holdTheirDocumentedShapes() {
    assertThat(ModelSizes.of("tiny", 103))
        .isEqualTo(
            new ModelConfig(103, 32, 1, 2, 2, 16, 4, 2, 32, 0, true, 1e-6f, 10000f, 64, 0.02f));
    assertThat(ModelSizes.of("small", 103))
        .isEqualTo(
            new ModelConfig(103, 64, 2, 4, 4, 16, 8, 2, 64, 0, true, 1e-6f, 10000f, 64, 0.02f));
    assertThat(ModelSizes.of("default", 103)).isEqualTo(ModelConfig.defaultMoe(103));
  }

  @Test
  void of_unknownSize_namesTheKeyAndTheChoices() {
    assertThatThrownBy(() -> ModelSizes.of("huge", 103))
        .hasMessageContaining("r3.model.size")
        .hasMessageContaining("tiny, small or default");
  }
}
