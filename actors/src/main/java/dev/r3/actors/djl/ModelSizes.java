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
      case "tiny" ->
          new ModelConfig(vocabSize, 32, 1, 2, 2, 16, 4, 2, 32, 0, true, 1e-6f, 10000f, 64, 0.02f);
      case "small" ->
          new ModelConfig(vocabSize, 64, 2, 4, 4, 16, 8, 2, 64, 0, true, 1e-6f, 10000f, 64, 0.02f);
      case "default" -> ModelConfig.defaultMoe(vocabSize);
      default ->
          throw new IllegalArgumentException(
              "r3.model.size must be tiny, small or default, got '" + size + "'");
    };
  }
}
