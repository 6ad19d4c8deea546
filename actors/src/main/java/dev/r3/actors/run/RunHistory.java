package dev.r3.actors.run;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;
import com.google.gson.ToNumberPolicy;
import com.google.gson.reflect.TypeToken;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What a run folder already logged: the rows of {@code metrics.jsonl} and {@code eval.jsonl}, as
 * the monitor of a resumed run shows them before its own first step. A line that does not parse
 * (cut off by a crash) or has no step is skipped; integers stay integers.
 *
 * @param steps metrics.jsonl rows in file order
 * @param evals eval.jsonl rows in file order
 */
public record RunHistory(List<Map<String, Object>> steps, List<Map<String, Object>> evals) {
  private static final Gson GSON =
      new GsonBuilder().setObjectToNumberStrategy(ToNumberPolicy.LONG_OR_DOUBLE).create();
  private static final Type ROW = new TypeToken<Map<String, Object>>() {}.getType();

  /** Reads {@code dir}'s metrics.jsonl and eval.jsonl; a missing file is no rows. */
  public static RunHistory read(Path dir) {
    return new RunHistory(rows(dir.resolve(RunFiles.METRICS)), rows(dir.resolve(RunFiles.EVALS)));
  }

  private static List<Map<String, Object>> rows(Path file) {
    List<Map<String, Object>> out = new ArrayList<>();
    if (!Files.isRegularFile(file)) {
      return out;
    }
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
    }
    for (String line : lines) {
      if (line.isBlank()) {
        continue;
      }
      try {
        Map<String, Object> row = GSON.fromJson(line, ROW);
        if (row != null && row.get(MetricNames.STEP) instanceof Number) {
          out.add(row);
        }
      } catch (JsonParseException e) {
        // a line cut off by a crash: the resumed run redoes that step
      }
    }
    return out;
  }
}
