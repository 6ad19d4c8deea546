package dev.r3.actors.djl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.ConfigFactory;
import dev.r3.actors.config.R3Config;
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

  @Test
  void shapeOverrides_replaceThePresetsLayersExpertsAndTopK() {
    R3Config c = config("r3.model { size = small, layers = 3, experts = 32, top-k = 1 }");
    ModelConfig mc = ModelSizes.of(c.model(), 103);
    assertThat(mc.numLayers()).isEqualTo(3);
    assertThat(mc.numExperts()).isEqualTo(32);
    assertThat(mc.topK()).isEqualTo(1);
    assertThat(mc.hiddenSize()).isEqualTo(64); // the rest stays the preset's
    assertThat(mc.moeIntermediateSize()).isEqualTo(64);
    assertThat(c.model().shape()).isEqualTo("small-l3-e32-k1");
    R3Config plain = config("r3.model.size = small");
    assertThat(ModelSizes.of(plain.model(), 103)).isEqualTo(ModelSizes.of("small", 103));
    assertThat(plain.model().shape()).isEqualTo("small");
  }

  @Test
  void shapeOverrides_withKAboveE_nameBothKeys() {
    R3Config c = config("r3.model { experts = 4, top-k = 6 }");
    assertThatThrownBy(() -> ModelSizes.of(c.model(), 103))
        .hasMessageContaining("r3.model.top-k (6)")
        .hasMessageContaining("r3.model.experts (4)");
  }

  private static R3Config config(String hocon) {
    return R3Config.from(ConfigFactory.parseString(hocon).withFallback(ConfigFactory.load()));
  }
}
