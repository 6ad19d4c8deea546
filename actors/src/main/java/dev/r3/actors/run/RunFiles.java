package dev.r3.actors.run;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParser;
import dev.r3.actors.learning.Evaluator;
import dev.r3.actors.learning.LedgerCounts;
import dev.r3.actors.learning.StepReport;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The files of one run folder: {@code metrics.jsonl} (one line per learner step), {@code
 * eval.jsonl} (one line per evaluation), {@code summary.json}, and {@code checkpoints/step-N/}.
 * JSON has no NaN: a measure that does not apply is written as null.
 */
public final class RunFiles implements AutoCloseable {
  private static final Gson LINE = new GsonBuilder().serializeNulls().create();
  private static final Gson PRETTY =
      new GsonBuilder().serializeNulls().setPrettyPrinting().create();

  private final Path dir;
  private final BufferedWriter metrics;
  private final BufferedWriter evals;

  public RunFiles(Path dir) {
    this(dir, StandardOpenOption.TRUNCATE_EXISTING);
  }

  private RunFiles(Path dir, StandardOpenOption mode) {
    this.dir = dir;
    try {
      Files.createDirectories(dir);
      metrics =
          Files.newBufferedWriter(
              dir.resolve(METRICS), StandardCharsets.UTF_8, StandardOpenOption.CREATE, mode);
      evals =
          Files.newBufferedWriter(
              dir.resolve(EVALS), StandardCharsets.UTF_8, StandardOpenOption.CREATE, mode);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create run folder " + dir + ": " + e.getMessage(), e);
    }
  }

  static final String METRICS = "metrics.jsonl";
  static final String EVALS = "eval.jsonl";

  /**
   * The files of a run resumed at checkpoint {@code step}: metrics.jsonl and eval.jsonl keep their
   * lines up to that step and go on from there; lines of later steps (logged before the crash, by
   * work the resumed run redoes) move to metrics.superseded.jsonl / eval.superseded.jsonl, so the
   * main files describe one run and nothing is lost. Evaluations the checkpoint holds that
   * eval.jsonl lacks (the crash came between the two writes) are written back.
   */
  public static RunFiles resumed(Path dir, long step, List<Evaluator.Result> evals) {
    try {
      supersede(dir, METRICS, step);
      List<Long> logged = supersede(dir, EVALS, step);
      RunFiles f = new RunFiles(dir, StandardOpenOption.APPEND);
      for (Evaluator.Result e : evals) {
        if (!logged.contains(e.version())) {
          f.eval(e.version(), e);
        }
      }
      return f;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot resume the files of " + dir + ": " + e, e);
    }
  }

  /** Moves the lines of steps after {@code step} to NAME.superseded.jsonl; returns steps kept. */
  private static List<Long> supersede(Path dir, String name, long step) throws IOException {
    Path f = dir.resolve(name);
    List<Long> kept = new ArrayList<>();
    if (!Files.isRegularFile(f)) {
      return kept;
    }
    StringBuilder keep = new StringBuilder();
    StringBuilder later = new StringBuilder();
    for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
      if (line.isBlank()) {
        continue;
      }
      long s;
      try {
        s = JsonParser.parseString(line).getAsJsonObject().get("step").getAsLong();
      } catch (RuntimeException e) {
        later.append(line).append('\n'); // a line cut by the crash
        continue;
      }
      if (s <= step) {
        keep.append(line).append('\n');
        kept.add(s);
      } else {
        later.append(line).append('\n');
      }
    }
    if (later.length() > 0) {
      Files.writeString(
          dir.resolve(name.replace(".jsonl", ".superseded.jsonl")),
          later,
          StandardCharsets.UTF_8,
          StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
    }
    Path tmp = dir.resolve("." + name + ".tmp");
    Files.writeString(tmp, keep, StandardCharsets.UTF_8);
    Files.move(tmp, f, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    return kept;
  }

  public Path dir() {
    return dir;
  }

  public Path checkpointDir(long step) {
    return dir.resolve("checkpoints").resolve("step-" + step);
  }

  public void step(StepReport r) {
    writeLine(metrics, StepRow.of(r));
  }

  public void eval(long step, Evaluator.Result e) {
    writeLine(evals, evalLine(step, e));
  }

  /** The eval.jsonl record of one evaluation. */
  public static Map<String, Object> evalLine(long step, Evaluator.Result e) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put(MetricNames.STEP, step);
    m.put(MetricNames.VERSION, e.version());
    m.put(MetricNames.EVAL_ACCURACY, num(e.accuracy()));
    m.put(MetricNames.EVAL_REWARD_MEAN, num(e.rewardMean()));
    m.put(MetricNames.EVAL_EPISODES, e.episodes());
    m.put(MetricNames.EVAL_TURNS_MEAN, num(e.turnsMean()));
    m.put(MetricNames.EVAL_SECONDS, num(e.seconds()));
    return m;
  }

  /** The chaos experiment's fault table, written into summary.json as {@code faults}. */
  public void faults(Map<String, Object> table) {
    this.faults = table;
  }

  private Map<String, Object> faults;

  public void summary(RunSummary s, String configJson) {
    summary(s, configJson, Map.of());
  }

  /**
   * @param sections more top-level sections (the cluster's), written before the config
   */
  public void summary(RunSummary s, String configJson, Map<String, Object> sections) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", s.name());
    m.put("status", s.status().label());
    m.put("failure", s.failure());
    m.put("steps", s.steps());
    m.put(
        "initial_eval_accuracy",
        num(s.initialEval() == null ? Double.NaN : s.initialEval().accuracy()));
    m.put(
        "final_eval_accuracy", num(s.finalEval() == null ? Double.NaN : s.finalEval().accuracy()));
    m.put("wall_seconds", num(s.wallSeconds()));
    m.put("ledger", s.ledger() == null ? null : ledger(s.ledger()));
    m.put(
        "evals",
        s.evals().stream()
            .map(
                e -> {
                  Map<String, Object> x = new LinkedHashMap<>();
                  x.put("version", e.version());
                  x.put("accuracy", num(e.accuracy()));
                  x.put("reward_mean", num(e.rewardMean()));
                  return x;
                })
            .toList());
    m.put("checkpoints", s.checkpoints().stream().map(p -> dir.relativize(p).toString()).toList());
    m.put(
        "resumes",
        s.resumes().stream()
            .map(
                r -> {
                  Map<String, Object> x = new LinkedHashMap<>();
                  x.put("from_step", r.fromStep());
                  x.put("checkpoint", r.checkpoint());
                  x.put("lost_in_crash", r.lostInCrash());
                  x.put("forced", r.forced());
                  return x;
                })
            .toList());
    if (faults != null) {
      m.put("faults", faults);
    }
    m.putAll(sections);
    m.put("config", JsonParser.parseString(configJson));
    try {
      Files.writeString(
          dir.resolve("summary.json"), PRETTY.toJson(m) + "\n", StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@code produced} = trajectories workers delivered; each is trained once or dropped. */
  private static Map<String, Object> ledger(LedgerCounts l) {
    Map<String, Object> ledger = new LinkedHashMap<>();
    ledger.put("produced", l.produced());
    ledger.put("trained", l.trained());
    ledger.put("dropped", l.droppedTotal());
    ledger.put("dropped_by_reason", l.droppedByReason());
    ledger.put("groups_abandoned_before_delivery", l.abandonedGroupsByReason());
    ledger.put("in_training", l.inTraining());
    ledger.put("buffered", l.buffered());
    ledger.put("balanced", l.closed());
    return ledger;
  }

  private static void writeLine(BufferedWriter w, Map<String, Object> m) {
    try {
      w.write(LINE.toJson(m));
      w.newLine();
      w.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Double num(double v) {
    return Double.isFinite(v) ? v : null;
  }

  @Override
  public void close() {
    try {
      metrics.close();
      evals.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The outcome of a run, as returned to the caller and written to summary.json.
   *
   * @param failure why the run failed; null unless {@code status} is FAILED
   * @param ledger at the end; for a failed run the last known one (null before the first step)
   * @param wallSeconds over all the processes of the run (a resumed run adds its earlier time)
   * @param resumes every resume of the run, oldest first
   */
  public record RunSummary(
      String name,
      Path dir,
      RunStatus status,
      String failure,
      long steps,
      Evaluator.Result initialEval,
      Evaluator.Result finalEval,
      List<Evaluator.Result> evals,
      LedgerCounts ledger,
      double wallSeconds,
      List<Path> checkpoints,
      List<TrainingState.ResumeRecord> resumes) {}
}
