package dev.r3.actors.djl;

import dev.r3.actors.ports.Tokenizer;
import dev.r3.env.CharTokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

/** The env module's character tokenizer as the pipeline's {@link Tokenizer}. */
public final class EnvTokenizer implements Tokenizer {
  private final CharTokenizer tokenizer;

  public EnvTokenizer(CharTokenizer tokenizer) {
    this.tokenizer = tokenizer;
  }

  public CharTokenizer tokenizer() {
    return tokenizer;
  }

  @Override
  public int[] encodePrompt(String text) {
    return tokenizer.encodePrompt(text);
  }

  @Override
  public int[] encode(String text) {
    return tokenizer.encode(text);
  }

  @Override
  public String decode(int[] tokens, int from, int to) {
    return tokenizer.decode(Arrays.copyOfRange(tokens, from, to));
  }

  @Override
  public int eosId() {
    return tokenizer.eos();
  }

  @Override
  public int vocabSize() {
    return tokenizer.vocabSize();
  }

  @Override
  public void save(Path dir) throws IOException {
    tokenizer.save(dir);
  }
}
