package dev.r3.actors.djl;

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
