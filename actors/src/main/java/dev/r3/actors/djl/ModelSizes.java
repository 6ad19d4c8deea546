package dev.r3.actors.djl;

import dev.r3.actors.config.R3Config;
import dev.r3.model.ModelConfig;

/** The model presets of {@code r3.model.size}. */
public final class ModelSizes {
  private ModelSizes() {}

  /**
   * @param size tiny (tests: hidden 32, 1 layer, 4 experts top-2), small (the default run: hidden
   *     64, 2 layers, 8 experts top-2) or default ({@link ModelConfig#defaultMoe}: hidden 128, 4
   *     layers, 16 experts top-4)
   */
  public static ModelConfig of(String size, int vocabSize) {
    return switch (size) {
      case "tiny" -> tiny(vocabSize);
      case "small" -> small(vocabSize);
      case "default" -> ModelConfig.defaultMoe(vocabSize);
      default ->
          throw new IllegalArgumentException(
              "r3.model.size must be tiny, small or default, got '" + size + "'");
    };
  }

  /**
   * The run's model: the preset of {@code r3.model.size} with {@code r3.model.layers}, {@code
   * experts} and {@code top-k} replacing the preset's where they are not 0 (the expert width stays
   * the preset's).
   *
   * @throws IllegalArgumentException when k exceeds E
   */
  public static ModelConfig of(R3Config.Model m, int vocabSize) {
    ModelConfig preset = of(m.size(), vocabSize);
    int experts = m.experts() > 0 ? m.experts() : preset.numExperts();
    int k = m.topK() > 0 ? m.topK() : preset.topK();
    if (k > experts) {
      throw new IllegalArgumentException(
          "r3.model.top-k (" + k + ") must not exceed r3.model.experts (" + experts + ")");
    }
    if (m.layers() == 0 && experts == preset.numExperts() && k == preset.topK()) {
      return preset;
    }
    return preset.toBuilder()
        .layers(m.layers() > 0 ? m.layers() : preset.numLayers())
        .experts(experts, k, preset.moeIntermediateSize())
        .build();
  }

  /** Tests: hidden 32, 1 layer, 2 heads, 4 experts of width 32, top-2, 64 positions. */
  public static ModelConfig tiny(int vocabSize) {
    return ModelConfig.builder(vocabSize)
        .hidden(32)
        .layers(1)
        .heads(2)
        .experts(4, 2, 32)
        .maxPositions(64)
        .build();
  }

  /** The default run: hidden 64, 2 layers, 4 heads, 8 experts of width 64, top-2, 64 positions. */
  public static ModelConfig small(int vocabSize) {
    return ModelConfig.builder(vocabSize)
        .hidden(64)
        .layers(2)
        .heads(4)
        .experts(8, 2, 64)
        .maxPositions(64)
        .build();
  }
}
