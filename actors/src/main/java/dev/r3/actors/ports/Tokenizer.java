package dev.r3.actors.ports;

import java.io.IOException;
import java.nio.file.Path;

/** The tokenizer as the pipeline sees it. Thread-safe. */
public interface Tokenizer {

  /** Prompt tokens, beginning-of-sequence included. */
  int[] encodePrompt(String text);

  /** Text of generated tokens, stopping at end-of-sequence, special tokens dropped. */
  String decode(int[] tokens, int from, int to);

  /**
   * Tokens of an observation appended inside a transcript (no beginning-of-sequence; special
   * tokens' text forms as one token each).
   */
  default int[] encode(String text) {
    throw new UnsupportedOperationException(getClass().getSimpleName() + " encodes prompts only");
  }

  int eosId();

  int vocabSize();

  /** Writes the vocabulary next to a checkpoint. */
  void save(Path dir) throws IOException;
}
