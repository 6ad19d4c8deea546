package dev.r3.actors.backend;

import dev.r3.actors.engine.Checkpointer;
import dev.r3.model.io.Checkpoint;

/** Checkpoints as the model module writes them (safetensors + config.json), plus the vocabulary. */
public final class CheckpointFiles {
  private CheckpointFiles() {}

  public static Checkpointer writer() {
    return (dir, weights, codec, meta) -> {
      Checkpoint.save(dir, weights, meta);
      codec.save(dir);
    };
  }
}
