package dev.r3.env;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Character-level tokenizer with a few special tokens; one vocabulary for all built-in tasks.
 *
 * <p>Why characters: the model is tiny and the tasks are arithmetic, where sub-word merges ("46" as
 * one token) would hide the digit structure the model has to learn. Why fixed special ids: {@code
 * PAD=0, BOS=1, EOS=2} and the four tool tokens at 3..6 are the same in every vocabulary, so code
 * that masks padding or stops at EOS never has to ask.
 *
 * <p>The tool tokens are single tokens whose text forms ({@code <calc>}, {@code </calc>}, {@code
 * <result>}, {@code </result>}) {@link #encode} recognises in text; so are {@code <pad>}, {@code
 * <bos>}, {@code <eos>}, so that {@link #decodeWithSpecials} round-trips. Every other character
 * must be in the vocabulary: an unknown one is an error naming it, never a silent UNK.
 *
 * <p>The vocabulary is saved next to a checkpoint as {@code vocab.json} and loaded with it, so a
 * checkpoint is never read with another vocabulary. Immutable and thread-safe.
 */
public final class CharTokenizer {
  public static final int PAD = 0;
  public static final int BOS = 1;
  public static final int EOS = 2;
  public static final int CALL_OPEN = 3;
  public static final int CALL_CLOSE = 4;
  public static final int RESULT_OPEN = 5;
  public static final int RESULT_CLOSE = 6;

  /** Text forms of the special tokens, indexed by id. */
  public static final List<String> SPECIALS =
      List.of("<pad>", "<bos>", "<eos>", "<calc>", "</calc>", "<result>", "</result>");

  /** File name of the saved vocabulary inside a checkpoint directory. */
  public static final String VOCAB_FILE = "vocab.json";

  private static final String TYPE = "char";
  private static final int FORMAT_VERSION = 1;

  /** Characters of the default vocabulary: newline and printable ASCII. */
  private static final String DEFAULT_CHARS = defaultChars();

  private static final CharTokenizer STANDARD = of(DEFAULT_CHARS);

  private final String[] tokens; // id -> text
  private final Map<Character, Integer> charIds;

  private CharTokenizer(String[] tokens) {
    this.tokens = tokens;
    this.charIds = new HashMap<>();
    for (int id = SPECIALS.size(); id < tokens.length; id++) {
      charIds.put(tokens[id].charAt(0), id);
    }
  }

  /**
   * The shared vocabulary of the built-in tasks: specials, newline, printable ASCII (103 tokens).
   */
  public static CharTokenizer standard() {
    return STANDARD;
  }

  /**
   * A vocabulary of the specials followed by {@code chars} in order (ids 7, 8, ...).
   *
   * @throws IllegalArgumentException for a duplicate character or one outside the BMP
   */
  public static CharTokenizer of(String chars) {
    List<String> list = new ArrayList<>(SPECIALS);
    for (int i = 0; i < chars.length(); i++) {
      list.add(String.valueOf(chars.charAt(i)));
    }
    return fromTokens(list, "vocabulary");
  }

  private static CharTokenizer fromTokens(List<String> list, String source) {
    if (list.size() < SPECIALS.size() || !list.subList(0, SPECIALS.size()).equals(SPECIALS)) {
      throw new IllegalArgumentException(source + ": the first tokens must be " + SPECIALS);
    }
    Map<String, Integer> seen = new HashMap<>();
    for (int id = SPECIALS.size(); id < list.size(); id++) {
      String t = list.get(id);
      if (t.length() != 1 || Character.isSurrogate(t.charAt(0))) {
        throw new IllegalArgumentException(
            source + ": token " + id + " (" + quote(t) + ") is not a single BMP character");
      }
      Integer prev = seen.put(t, id);
      if (prev != null) {
        throw new IllegalArgumentException(
            source
                + ": character "
                + quote(t)
                + " appears twice (ids "
                + prev
                + " and "
                + id
                + ")");
      }
    }
    return new CharTokenizer(list.toArray(String[]::new));
  }

  public int vocabSize() {
    return tokens.length;
  }

  public int pad() {
    return PAD;
  }

  public int bos() {
    return BOS;
  }

  public int eos() {
    return EOS;
  }

  /** True for ids 0..6. */
  public boolean isSpecial(int id) {
    return id >= 0 && id < SPECIALS.size();
  }

  /** The text of a token. */
  public String token(int id) {
    checkId(id, -1);
    return tokens[id];
  }

  /** The id of a token given by its text: a special's text form or one character. */
  public int id(String token) {
    int s = SPECIALS.indexOf(token);
    if (s >= 0) {
      return s;
    }
    Integer id = token.length() == 1 ? charIds.get(token.charAt(0)) : null;
    if (id == null) {
      throw new IllegalArgumentException("no token " + quote(token) + " in the vocabulary");
    }
    return id;
  }

  /** All characters of the vocabulary (ids 7..), in id order. */
  public String chars() {
    StringBuilder sb = new StringBuilder();
    for (int id = SPECIALS.size(); id < tokens.length; id++) {
      sb.append(tokens[id]);
    }
    return sb.toString();
  }

  /**
   * Encodes text without adding BOS or EOS.
   *
   * @throws IllegalArgumentException naming the first unknown character and its position
   */
  public int[] encode(String text) {
    int[] out = new int[text.length()];
    int n = 0;
    for (int i = 0; i < text.length(); ) {
      int special = specialAt(text, i);
      if (special >= 0) {
        out[n++] = special;
        i += SPECIALS.get(special).length();
        continue;
      }
      Integer id = charIds.get(text.charAt(i));
      if (id == null) {
        throw unknown(text, i);
      }
      out[n++] = id;
      i++;
    }
    return Arrays.copyOf(out, n);
  }

  /** BOS followed by the encoded prompt: what a model is fed before it generates. */
  public int[] encodePrompt(String prompt) {
    int[] body = encode(prompt);
    int[] out = new int[body.length + 1];
    out[0] = BOS;
    System.arraycopy(body, 0, out, 1, body.length);
    return out;
  }

  /** The number of tokens {@code text} encodes to; never throws (unknown characters count 1). */
  public int length(String text) {
    int n = 0;
    for (int i = 0; i < text.length(); n++) {
      int special = specialAt(text, i);
      i += special >= 0 ? SPECIALS.get(special).length() : 1;
    }
    return n;
  }

  /**
   * Decodes model output: skips PAD and BOS, stops at the first EOS, writes tool tokens as their
   * text forms (an environment needs them to find tool calls).
   */
  public String decode(int[] ids) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < ids.length; i++) {
      int id = ids[i];
      checkId(id, i);
      if (id == EOS) {
        break;
      }
      if (id != PAD && id != BOS) {
        sb.append(tokens[id]);
      }
    }
    return sb.toString();
  }

  /** Decodes every id, specials included as their text forms; inverse of {@link #encode}. */
  public String decodeWithSpecials(int[] ids) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < ids.length; i++) {
      checkId(ids[i], i);
      sb.append(tokens[ids[i]]);
    }
    return sb.toString();
  }

  /** Writes {@value #VOCAB_FILE} into {@code dir} (created if missing). */
  public void save(Path dir) throws IOException {
    Files.createDirectories(dir);
    Files.writeString(
        dir.resolve(VOCAB_FILE),
        VocabFile.format(TYPE, FORMAT_VERSION, List.of(tokens)),
        StandardCharsets.UTF_8);
  }

  /**
   * Reads {@value #VOCAB_FILE} from {@code dir}.
   *
   * @throws IOException if the file is missing, unreadable or not a valid vocabulary
   */
  public static CharTokenizer load(Path dir) throws IOException {
    Path file = dir.resolve(VOCAB_FILE);
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new IOException(
          "no vocabulary at " + file + " (was the checkpoint saved with its tokenizer?)", e);
    }
    try {
      List<String> toks = VocabFile.parse(text, TYPE, FORMAT_VERSION);
      return fromTokens(toks, file.toString());
    } catch (IllegalArgumentException e) {
      throw new IOException("bad vocabulary " + file + ": " + e.getMessage(), e);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CharTokenizer t && Arrays.equals(tokens, t.tokens);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(tokens);
  }

  @Override
  public String toString() {
    return "CharTokenizer[" + tokens.length + " tokens]";
  }

  private static int specialAt(String text, int i) {
    if (text.charAt(i) != '<') { // fast path: every special starts with '<'
      return -1;
    }
    for (int s = 0; s < SPECIALS.size(); s++) {
      if (text.startsWith(SPECIALS.get(s), i)) {
        return s;
      }
    }
    return -1;
  }

  private void checkId(int id, int position) {
    if (id < 0 || id >= tokens.length) {
      throw new IllegalArgumentException(
          "token id "
              + id
              + (position >= 0 ? " at position " + position : "")
              + " is outside the vocabulary [0, "
              + tokens.length
              + ")");
    }
  }

  private static IllegalArgumentException unknown(String text, int i) {
    int cp = text.codePointAt(i);
    String shown = text.length() <= 60 ? text : text.substring(0, 60) + "...";
    return new IllegalArgumentException(
        String.format(
            "unknown character '%s' (U+%04X) at position %d of \"%s\"",
            new String(Character.toChars(cp)), cp, i, shown));
  }

  private static String quote(String s) {
    return VocabFile.quote(s);
  }

  private static String defaultChars() {
    StringBuilder sb = new StringBuilder("\n");
    for (char c = ' '; c <= '~'; c++) {
      sb.append(c);
    }
    return sb.toString();
  }
}
