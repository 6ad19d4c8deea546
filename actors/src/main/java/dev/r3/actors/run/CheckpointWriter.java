package dev.r3.actors.run;

import dev.r3.actors.learning.WeightsSnapshot;
import dev.r3.actors.ports.Checkpointer;
import dev.r3.actors.ports.Tokenizer;
import dev.r3.model.OptimizerState;
import dev.r3.model.io.Manifest;
import dev.r3.model.io.OptimizerStateFile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Writes one training checkpoint folder as a unit ({@link Manifest#writeAtomically}): the Hugging
 * Face files the {@link Checkpointer} writes ({@code model.safetensors}, {@code config.json},
 * {@code vocab.json}), the AdamW state ({@code optimizer.safetensors}, when the trainer gives one)
 * and {@code training-state.json}, with a SHA-256 manifest. A crash while writing leaves the
 * previous checkpoint as it was.
 */
final class CheckpointWriter {
  private CheckpointWriter() {}

  public static void write(
      Path dir,
      Checkpointer checkpointer,
      Tokenizer tokenizer,
      WeightsSnapshot weights,
      OptimizerState optimizer,
      TrainingState state,
      Map<String, String> meta)
      throws IOException {
    Manifest.writeAtomically(
        dir,
        staging -> {
          checkpointer.save(staging, weights.weights(), tokenizer, meta);
          if (optimizer != null) {
            OptimizerStateFile.write(staging.resolve(OptimizerStateFile.FILE), optimizer);
          }
          state.write(staging);
        });
  }
}
