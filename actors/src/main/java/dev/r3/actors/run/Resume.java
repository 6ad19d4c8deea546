package dev.r3.actors.run;

import dev.r3.actors.config.R3Config;
import dev.r3.model.ModelWeights;
import dev.r3.model.OptimizerState;
import dev.r3.model.io.Checkpoint;
import dev.r3.model.io.Manifest;
import dev.r3.model.io.OptimizerStateFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Where a resumed run continues: the newest complete checkpoint of a run folder, checked against
 * the settings and the warm-start reference of the run that resumes it.
 *
 * @param checkpoint the folder it continues from
 * @param weights the policy at {@code state.step()}
 * @param optimizer the AdamW state then; null when the checkpoint has none (a test trainer)
 * @param forced settings that differ from the checkpoint's and were accepted with --force
 */
public record Resume(
    Path checkpoint,
    ModelWeights weights,
    OptimizerState optimizer,
    TrainingState state,
    Map<String, String> forced) {

  /**
   * Settings that do not change what is trained: where files go, how progress is shown, how long to
   * wait, how often to checkpoint, where the monitor listens. Any other difference needs --force.
   */
  static final List<String> NOT_THE_EXPERIMENT =
      List.of(
          "r3.experiment.name",
          "r3.experiment.out-dir",
          "r3.experiment.progress-bar",
          "r3.warm-start.cache-dir",
          "r3.checkpoint.",
          "r3.timeouts.",
          "r3.watchdog.",
          "r3.faults.backoff-",
          "r3.metrics.prometheus-port",
          "r3.monitor.");

  private static final Pattern STEP = Pattern.compile("step-(\\d+)");

  /** The checkpoints folder of a run. */
  public static Path checkpointsOf(Path runDir) {
    return runDir.resolve("checkpoints");
  }

  /**
   * Loads the newest checkpoint of {@code runDir}.
   *
   * @param reference the version-0 weights this process built (warm start or init checkpoint)
   * @param force accept settings (and a warm-start reference) that differ from the checkpoint's
   * @throws IllegalArgumentException naming the folder and what is wrong: no checkpoint, a damaged
   *     or half-written newest checkpoint, differing settings without --force
   */
  public static Resume load(Path runDir, R3Config config, ModelWeights reference, boolean force) {
    Path dir = newest(runDir);
    try {
      Manifest.verify(dir);
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "cannot resume from "
              + dir
              + ": "
              + e.getMessage()
              + " (remove that folder to resume from the checkpoint before it)",
          e);
    }
    try {
      TrainingState state = TrainingState.read(dir);
      if (state.step() >= config.experiment().totalSteps()) {
        throw new IllegalArgumentException(
            "cannot resume "
                + runDir
                + ": its newest checkpoint is at step "
                + state.step()
                + " and r3.experiment.total-steps = "
                + config.experiment().totalSteps()
                + " (the run is finished; raise total-steps with --set and --force to train on)");
      }
      Map<String, String> diff = differences(state.settings(), settings(config));
      String ref = TrainingState.digest(reference);
      if (!ref.equals(state.referenceSha256())) {
        diff.put(
            "warm-start reference (version-0 weights)",
            "sha256 " + abbrev(state.referenceSha256()) + " -> " + abbrev(ref));
      }
      if (!diff.isEmpty() && !force) {
        StringBuilder sb = new StringBuilder();
        diff.forEach((k, v) -> sb.append("\n  ").append(k).append(": ").append(v));
        throw new IllegalArgumentException(
            "cannot resume "
                + runDir
                + ": the settings differ from the run's in what changes the experiment"
                + sb
                + "\n(--force resumes anyway and records the differences in summary.json)");
      }
      ModelWeights weights = Checkpoint.load(dir);
      if (!weights.config().equals(reference.config())) {
        throw new IllegalArgumentException(
            "cannot resume from "
                + dir
                + ": its model "
                + weights.config()
                + " is not the run's "
                + reference.config());
      }
      Path opt = dir.resolve(OptimizerStateFile.FILE);
      OptimizerState optimizer =
          Files.isRegularFile(opt) ? OptimizerStateFile.read(opt, weights.config()) : null;
      return new Resume(dir, weights, optimizer, state, diff);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot resume from " + dir + ": " + e.getMessage(), e);
    }
  }

  /** The run's settings as a checkpoint stores them. */
  public static Map<String, String> settings(R3Config c) {
    Map<String, String> m = new LinkedHashMap<>();
    for (String[] row : c.table()) {
      m.put(row[0], row[1]);
    }
    return m;
  }

  /** The record of this resume in the run's history. */
  public TrainingState.ResumeRecord record(Path runDir) {
    var l = state.ledger();
    return new TrainingState.ResumeRecord(
        state.step(),
        runDir.relativize(checkpoint).toString(),
        l.buffered() + l.inTraining(),
        forced);
  }

  /**
   * The newest step-N folder under checkpoints/ (staging folders of an interrupted write aside).
   */
  static Path newest(Path runDir) {
    Path cps = checkpointsOf(runDir);
    if (!Files.isDirectory(runDir)) {
      throw new IllegalArgumentException("cannot resume: no run folder " + runDir);
    }
    List<Path> steps = new ArrayList<>();
    if (Files.isDirectory(cps)) {
      try (Stream<Path> s = Files.list(cps)) {
        s.filter(p -> STEP.matcher(p.getFileName().toString()).matches()).forEach(steps::add);
      } catch (IOException e) {
        throw new IllegalArgumentException("cannot list " + cps + ": " + e.getMessage(), e);
      }
    }
    if (steps.isEmpty()) {
      throw new IllegalArgumentException(
          "cannot resume "
              + runDir
              + ": it has no checkpoint (no "
              + cps
              + "/step-N; the run stopped before its first one)");
    }
    return steps.stream().max(Comparator.comparingLong(Resume::stepOf)).orElseThrow();
  }

  static long stepOf(Path p) {
    Matcher m = STEP.matcher(p.getFileName().toString());
    return m.matches() ? Long.parseLong(m.group(1)) : -1;
  }

  static Map<String, String> differences(Map<String, String> before, Map<String, String> now) {
    Set<String> keys = new TreeSet<>(before.keySet());
    keys.addAll(now.keySet());
    Map<String, String> diff = new LinkedHashMap<>();
    for (String k : keys) {
      if (NOT_THE_EXPERIMENT.stream().anyMatch(k::startsWith)) {
        continue;
      }
      String a = before.get(k);
      String b = now.get(k);
      if (a == null || !a.equals(b)) {
        diff.put(k, (a == null ? "(absent)" : a) + " -> " + (b == null ? "(absent)" : b));
      }
    }
    return diff;
  }

  private static String abbrev(String sha) {
    return sha.length() > 12 ? sha.substring(0, 12) : sha;
  }
}
