package dev.r3.actors.djl;

import dev.r3.actors.ports.Checkpointer;
import dev.r3.model.io.Checkpoint;

/** Checkpoints as the model module writes them (safetensors + config.json), plus the vocabulary. */
public final class CheckpointFiles {
  private CheckpointFiles() {}

  public static Checkpointer writer() {
    return (dir, weights, tokenizer, meta) -> {
      Checkpoint.save(dir, weights, meta);
      tokenizer.save(dir);
    };
  }
}
