package dev.r3.model.io;

import java.io.IOException;

/**
 * A safetensors file or a checkpoint directory that cannot be read as one: truncated, corrupt,
 * inconsistent with its config, or of an unsupported dtype. The message names the file and, where
 * one is to blame, the tensor.
 */
public class SafetensorsException extends IOException {
  private static final long serialVersionUID = 1L;

  public SafetensorsException(String message) {
    super(message);
  }

  public SafetensorsException(String message, Throwable cause) {
    super(message, cause);
  }
}
