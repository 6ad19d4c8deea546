package dev.r3.env;

import com.google.gson.FormattingStyle;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import com.google.gson.stream.JsonWriter;
import java.io.FilterWriter;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code vocab.json} format of {@link CharTokenizer}, read and written with Gson:
 *
 * <pre>
 * {
 *   "type": "char",
 *   "version": 1,
 *   "tokens": ["&lt;pad&gt;", "&lt;bos&gt;", ...]
 * }
 * </pre>
 *
 * The file is ASCII: characters beyond {@code ~} are written as {@code \\uXXXX} escapes, so it
 * survives any tool that mangles encodings.
 */
final class VocabFile {
  private VocabFile() {}

  private static final FormattingStyle ONE_LINE =
      FormattingStyle.COMPACT.withSpaceAfterSeparators(true);

  /** The file's text: the object pretty-printed, the token list on one line. */
  static String format(String type, int version, List<String> tokens) {
    StringWriter out = new StringWriter();
    try (JsonWriter w = new JsonWriter(new AsciiOnly(out))) {
      w.setFormattingStyle(FormattingStyle.PRETTY);
      w.beginObject();
      w.name("type").value(type);
      w.name("version").value(version);
      w.name("tokens").beginArray();
      w.setFormattingStyle(ONE_LINE);
      for (String t : tokens) {
        w.value(t);
      }
      w.endArray();
      w.setFormattingStyle(FormattingStyle.PRETTY);
      w.endObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a StringWriter does not fail
    }
    return out + "\n";
  }

  /**
   * The tokens of a vocabulary file of the given type and version.
   *
   * @throws IllegalArgumentException naming what is wrong: malformed JSON, another type or version,
   *     a missing token list or a token that is not a string
   */
  static List<String> parse(String text, String type, int version) {
    JsonElement parsed;
    try {
      JsonReader reader = new JsonReader(new StringReader(text));
      reader.setStrictness(Strictness.STRICT);
      parsed = JsonParser.parseReader(reader);
      if (reader.peek() != JsonToken.END_DOCUMENT) {
        throw new IllegalArgumentException("trailing characters after the JSON object");
      }
    } catch (JsonParseException | IOException e) {
      Throwable cause = e instanceof JsonParseException && e.getCause() != null ? e.getCause() : e;
      String why = String.valueOf(cause.getMessage()).lines().findFirst().orElse("");
      throw new IllegalArgumentException("malformed JSON: " + why, e);
    }
    if (!(parsed instanceof JsonObject root)) {
      throw new IllegalArgumentException("not a JSON object");
    }
    if (!new JsonPrimitive(type).equals(root.get("type"))) {
      throw new IllegalArgumentException(
          "type is " + root.get("type") + ", expected \"" + type + "\"");
    }
    JsonElement v = root.get("version");
    if (!(v instanceof JsonPrimitive p && p.isNumber() && p.getAsInt() == version)) {
      throw new IllegalArgumentException("unsupported version " + v);
    }
    if (!(root.get("tokens") instanceof JsonArray list)) {
      throw new IllegalArgumentException("missing \"tokens\" array");
    }
    List<String> tokens = new ArrayList<>(list.size());
    for (JsonElement e : list) {
      if (!(e instanceof JsonPrimitive s && s.isString())) {
        throw new IllegalArgumentException("token " + tokens.size() + " is not a string: " + e);
      }
      tokens.add(s.getAsString());
    }
    return tokens;
  }

  /** {@code s} as a JSON string literal, ASCII only (for error messages). */
  static String quote(String s) {
    StringWriter out = new StringWriter();
    try (JsonWriter w = new JsonWriter(new AsciiOnly(out))) {
      w.value(s);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }

  /**
   * Escapes every character beyond {@code ~} as {@code \\uXXXX}. Valid on JSON text: such
   * characters only occur inside strings, where the escape means the same character.
   */
  private static final class AsciiOnly extends FilterWriter {
    AsciiOnly(Writer out) {
      super(out);
    }

    @Override
    public void write(int c) throws IOException {
      if (c > 0x7e) {
        out.write(String.format("\\u%04x", c));
      } else {
        out.write(c);
      }
    }

    @Override
    public void write(char[] buf, int off, int len) throws IOException {
      for (int i = off; i < off + len; i++) {
        write(buf[i]);
      }
    }

    @Override
    public void write(String s, int off, int len) throws IOException {
      for (int i = off; i < off + len; i++) {
        write(s.charAt(i));
      }
    }
  }
}
