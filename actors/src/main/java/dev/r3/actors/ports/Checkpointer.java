package dev.r3.actors.ports;

import dev.r3.model.ModelWeights;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Writes one checkpoint folder: weights (safetensors + config.json), the vocabulary, run metadata.
 */
@FunctionalInterface
public interface Checkpointer {
  void save(Path dir, ModelWeights weights, Tokenizer tokenizer, Map<String, String> meta)
      throws IOException;
}
