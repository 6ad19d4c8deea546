package dev.r3.report;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reading the JSON files a run leaves behind, where a missing or broken file means "not there". */
final class JsonFiles {
  private JsonFiles() {}

  /**
   * The JSON object in {@code file}; null when the file is missing, unreadable or not a JSON
   * object.
   */
  static JsonObject readObject(Path file) {
    if (!Files.isRegularFile(file)) {
      return null;
    }
    try {
      JsonElement e = JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8));
      return e.isJsonObject() ? e.getAsJsonObject() : null;
    } catch (IOException | JsonParseException ex) {
      return null;
    }
  }
}
