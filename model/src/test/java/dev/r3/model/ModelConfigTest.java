package dev.r3.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ModelConfigTest {

  @Test
  void builder_startsFromTheDefaultMoe() {
    assertThat(ModelConfig.builder(103).build())
        .isEqualTo(
            new ModelConfig(103, 128, 4, 4, 4, 32, 16, 4, 128, 0, true, 1e-6f, 10000f, 256, 0.02f))
        .isEqualTo(ModelConfig.defaultMoe(103));
  }

  @Test
  void toBuilder_keepsEveryValue() {
    ModelConfig c = new ModelConfig(7, 12, 3, 6, 2, 4, 5, 3, 9, 0, false, 1e-5f, 1e6f, 33, 0.5f);
    assertThat(c.toBuilder().build()).isEqualTo(c);
    assertThat(c.withVocabSize(8).vocabSize()).isEqualTo(8);
    assertThat(c.withVocabSize(8).withVocabSize(7)).isEqualTo(c);
  }

  @Test
  void denseTwin_hasOneMlpAsWideAsTheActiveExperts_andNoRouter() {
    ModelConfig twin = ModelConfig.defaultMoe(103).denseTwin();
    assertThat(twin.isMoe()).isFalse();
    assertThat(twin.intermediateSize()).isEqualTo(4 * 128);
    long routers = 4L * 128 * 16; // layers x hidden x experts
    assertThat(ModelConfig.defaultMoe(103).activeParameters() - twin.activeParameters())
        .isEqualTo(routers);
  }

  @Test
  void builder_checksLikeTheConstructor() {
    assertThatThrownBy(() -> ModelConfig.builder(10).heads(4).kvHeads(3).build())
        .hasMessageContaining("num_key_value_heads");
    assertThatThrownBy(() -> ModelConfig.builder(10).heads(0).build())
        .hasMessageContaining("num_attention_heads");
  }
}
