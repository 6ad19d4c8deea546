package dev.r3.actors.testkit;

import dev.r3.actors.ports.Task;
import dev.r3.actors.ports.Tokenizer;
import dev.r3.env.Split;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A trivially learnable task for pipeline tests: the prompt is one digit, the answer is that digit.
 * Reward 1 when the completion starts with it. Tokens: PAD 0, BOS 1, EOS 2, digits 3..12.
 */
public final class EchoTask implements Task {
  public static final int VOCAB = 13;
  public static final int EOS = 2;

  @Override
  public String prompt(long seed, Split split) {
    return Long.toString(Math.floorMod(seed, 10L));
  }

  @Override
  public Verdict score(long seed, Split split, String completion) {
    boolean ok = !completion.isEmpty() && completion.charAt(0) == prompt(seed, split).charAt(0);
    return new Verdict(ok ? 1f : 0f, ok, false, ok ? "correct" : "wrong");
  }

  /** Digits and the three special tokens. */
  public static final class DigitTokenizer implements Tokenizer {
    @Override
    public int[] encodePrompt(String text) {
      int[] t = new int[text.length() + 1];
      t[0] = 1;
      for (int i = 0; i < text.length(); i++) {
        t[i + 1] = 3 + (text.charAt(i) - '0');
      }
      return t;
    }

    @Override
    public int[] encode(String text) {
      int[] t = encodePrompt(text);
      return java.util.Arrays.copyOfRange(t, 1, t.length);
    }

    @Override
    public String decode(int[] tokens, int from, int to) {
      StringBuilder sb = new StringBuilder();
      for (int i = from; i < to; i++) {
        if (tokens[i] == EOS) {
          break;
        }
        if (tokens[i] >= 3) {
          sb.append((char) ('0' + tokens[i] - 3));
        }
      }
      return sb.toString();
    }

    @Override
    public int eosId() {
      return EOS;
    }

    @Override
    public int vocabSize() {
      return VOCAB;
    }

    @Override
    public void save(Path dir) throws IOException {
      Files.writeString(dir.resolve("vocab.json"), "{\"digits\": true}");
    }
  }
}
