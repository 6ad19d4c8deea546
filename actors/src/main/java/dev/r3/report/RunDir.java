package dev.r3.report;

import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The folder layout of one (experiment, seed) of a suite, and the small record the runner leaves in
 * it.
 *
 * <p>The runner owns {@code <runs>/<suite>/<experiment>/seed-<s>/} (the "seed dir") and has {@code
 * train} write straight into it ({@code --out}). A run started by hand with {@code out-dir}
 * pointing there lands in a {@code <name>-<timestamp>/} folder inside it instead; {@link #locate}
 * finds the run either way, preferring a finished run (one with {@code summary.json}) and then the
 * newest. Beside it the runner writes {@code train.log} (the child's stdout and stderr) and {@code
 * exit.json} (exit code, seconds, log tail), so a report regenerated later still knows why a run
 * failed.
 */
final class RunDir {
  static final String METRICS = "metrics.jsonl";
  static final String EVALS = "eval.jsonl";
  static final String SUMMARY = "summary.json";
  static final String MISMATCH = "mismatch.json";
  static final String LOG = "train.log";
  static final String EXIT = "exit.json";

  private static final int TAIL_BYTES = 64 * 1024;

  private RunDir() {}

  static Path seedDir(Path runsRoot, String suite, String experiment, long seed) {
    return runsRoot.resolve(suite).resolve(experiment).resolve("seed-" + seed);
  }

  /**
   * The folder holding the run's metrics or summary; empty when the run has written nothing yet.
   */
  static Optional<Path> locate(Path seedDir) {
    if (has(seedDir, SUMMARY) || has(seedDir, METRICS)) {
      return Optional.of(seedDir);
    }
    if (!Files.isDirectory(seedDir)) {
      return Optional.empty();
    }
    try (Stream<Path> children = Files.list(seedDir)) {
      List<Path> runs =
          children
              .filter(Files::isDirectory)
              .filter(d -> has(d, SUMMARY) || has(d, METRICS))
              .toList();
      return runs.stream()
          .max(
              Comparator.<Path, Boolean>comparing(d -> has(d, SUMMARY))
                  .thenComparing(RunDir::modified));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + seedDir, e);
    }
  }

  /**
   * Moves what an earlier attempt left in {@code seedDir} (anything at all) to the first free
   * {@code seed-N.attempt-K} beside it, so a run started again never overwrites the evidence of the
   * one before. Returns where it went; null when there was nothing to keep.
   */
  static Path keepEarlierAttempt(Path seedDir) throws java.io.IOException {
    if (!Files.isDirectory(seedDir)) {
      return null;
    }
    try (Stream<Path> children = Files.list(seedDir)) {
      if (children.findAny().isEmpty()) {
        return null;
      }
    }
    for (int k = 1; ; k++) {
      Path to = seedDir.resolveSibling(seedDir.getFileName() + ".attempt-" + k);
      if (!Files.exists(to)) {
        return Files.move(seedDir, to);
      }
    }
  }

  /**
   * Whether the (experiment, seed) already finished: what resume skips. A run that failed also
   * writes summary.json, with {@code "status": "failed"}: that one is run again.
   */
  static boolean finished(Path seedDir) {
    return locate(seedDir)
        .map(d -> SummaryFile.read(d.resolve(SUMMARY)))
        .map(SummaryFile::finished)
        .orElse(false);
  }

  /**
   * The run's last checkpoint: the {@code checkpoints/step-N} folder with the largest N, else a
   * {@code checkpoint} folder; empty when there is none.
   */
  static Optional<Path> latestCheckpoint(Path runDir) {
    Path dir = runDir.resolve("checkpoints");
    if (Files.isDirectory(dir)) {
      try (Stream<Path> children = Files.list(dir)) {
        Optional<Path> last =
            children
                .filter(Files::isDirectory)
                .filter(p -> p.getFileName().toString().matches("step-\\d+"))
                .max(
                    Comparator.comparingLong(
                        p -> Long.parseLong(p.getFileName().toString().substring(5))));
        if (last.isPresent()) {
          return last;
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot list " + dir, e);
      }
    }
    Path single = runDir.resolve("checkpoint");
    return Files.isDirectory(single) ? Optional.of(single) : Optional.empty();
  }

  /**
   * What the runner recorded about the child process.
   *
   * @param why "finished", "timed out", "exit code 3", ...: the runner's reading of the exit
   */
  record Exit(int code, String why, double seconds, String logTail) {}

  static void writeExit(Path seedDir, Exit exit) {
    JsonObject o = new JsonObject();
    o.addProperty("exit_code", exit.code());
    o.addProperty("why", exit.why());
    o.addProperty("seconds", exit.seconds());
    o.addProperty("log_tail", exit.logTail());
    try {
      Files.writeString(seedDir.resolve(EXIT), o.toString(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + seedDir.resolve(EXIT), e);
    }
  }

  static Exit readExit(Path seedDir) {
    Path f = seedDir.resolve(EXIT);
    if (!Files.isRegularFile(f)) {
      return null;
    }
    try {
      JsonObject o =
          JsonParser.parseString(Files.readString(f, StandardCharsets.UTF_8)).getAsJsonObject();
      int code = o.get("exit_code").getAsInt();
      return new Exit(
          code,
          o.has("why") ? o.get("why").getAsString() : "exit code " + code,
          o.has("seconds") ? o.get("seconds").getAsDouble() : 0,
          o.has("log_tail") ? o.get("log_tail").getAsString() : "");
    } catch (IOException | JsonParseException | IllegalStateException | NullPointerException e) {
      return null;
    }
  }

  /**
   * The last {@code lines} lines of the child's log ("" when there is none); reads only its tail.
   */
  static String logTail(Path seedDir, int lines) {
    Path f = seedDir.resolve(LOG);
    if (!Files.isRegularFile(f)) {
      return "";
    }
    try (SeekableByteChannel ch = Files.newByteChannel(f)) {
      long start = Math.max(0, ch.size() - TAIL_BYTES);
      ByteBuffer buf = ByteBuffer.allocate((int) (ch.size() - start));
      ch.position(start);
      while (buf.hasRemaining() && ch.read(buf) > 0) {
        // keep reading
      }
      // Progress bars redraw with \r: keep what the terminal would show last on each line.
      String text = new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8);
      List<String> all =
          Arrays.stream(text.split("\n"))
              .map(l -> l.replaceAll("\r+$", ""))
              .map(l -> l.substring(l.lastIndexOf('\r') + 1))
              .filter(l -> !l.isBlank())
              .toList();
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(cannot read " + f + ": " + e.getMessage() + ")";
    }
  }

  private static boolean has(Path dir, String file) {
    return Files.isRegularFile(dir.resolve(file));
  }

  private static long modified(Path p) {
    try {
      return Files.getLastModifiedTime(p).toMillis();
    } catch (IOException e) {
      return 0;
    }
  }
}
