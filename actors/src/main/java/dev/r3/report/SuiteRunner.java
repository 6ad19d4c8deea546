package dev.r3.report;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs a suite: every (experiment, seed) as its own child process, at most {@code jobs} at a time.
 *
 * <p>Why child processes: a run owns its JVM's one DJL gradient collector and its native memory, a
 * crash (even a JVM abort) takes down only that run, and a child's intra-op threads can be capped
 * with {@code OMP_NUM_THREADS = cores / jobs} so that parallel runs do not oversubscribe the CPU.
 *
 * <p>Resume: a run whose folder already holds a {@code summary.json} is skipped; any other is
 * started again from scratch, in a fresh folder: what the earlier attempt left (a failed or
 * interrupted run's log, metrics and checkpoints) moves to {@code seed-N.attempt-K} beside it and
 * is never overwritten. A failed run (non-zero exit, timeout, or no summary written) is recorded in
 * its folder ({@code exit.json}, with the log tail) and does not stop the others. Progress goes to
 * {@code progress}, one line per event. The command line of a child is injected ({@link
 * ChildCommand}), so tests run the scheduling with a fake child and never need {@code ./r3 train}.
 *
 * <p>When the suite asks for it ({@code mismatch.enabled}), a finished run without a {@code
 * mismatch.json} is then measured by {@code r3 mismatch} on its last checkpoint, at the run's own
 * rollout precision and on the environment and parameters the checkpoint records (unless the
 * suite's mismatch args give {@code --env} / {@code --env-param}), in the same worker slot; a
 * failed measurement is reported and leaves the run finished.
 */
final class SuiteRunner {
  /** The key the runner sets last on every run (the output folder goes by {@code train --out}). */
  static final String SEED_KEY = "r3.experiment.seed";

  /** Builds the command line of one run. */
  @FunctionalInterface
  interface ChildCommand {
    List<String> command(RunSpec spec);
  }

  /** Builds the command line that measures one checkpoint's mismatch into {@code json}. */
  @FunctionalInterface
  interface MeasureCommand {
    List<String> command(Path checkpoint, Path json, List<String> args);
  }

  /**
   * One run to make.
   *
   * @param sets every {@code --set key=value} of the run, the seed last
   */
  record RunSpec(Suite.Entry entry, long seed, Path seedDir, List<String> sets) {
    String label() {
      return entry.name() + " seed " + seed;
    }
  }

  enum Kind {
    SKIPPED,
    FINISHED,
    FAILED
  }

  record Outcome(RunSpec spec, Kind kind, int exitCode, double seconds, String logTail) {}

  /**
   * Exit code recorded for a run killed at the suite's run-timeout (as coreutils' timeout does).
   */
  static final int TIMEOUT_EXIT = 124;

  /**
   * Exit code recorded for a child that could not be started at all (as a shell's "not
   * executable").
   */
  static final int START_FAILED_EXIT = 126;

  /** Lines of a failed run's log shown on stderr (exit.json and the report keep more). */
  private static final int PROGRESS_TAIL_LINES = 6;

  private final Suite suite;
  private final ChildCommand command;
  private final MeasureCommand measure;
  private final int jobs;
  private final int threadsPerRun;
  private final PrintStream progress;
  private final Set<Process> live = ConcurrentHashMap.newKeySet();

  SuiteRunner(
      Suite suite,
      ChildCommand command,
      MeasureCommand measure,
      int jobs,
      int cores,
      PrintStream progress) {
    this.suite = suite;
    this.command = command;
    this.measure = measure;
    this.jobs = Math.max(1, jobs);
    this.threadsPerRun = Math.max(1, cores / this.jobs);
    this.progress = progress;
  }

  /** Every (experiment, seed) of the suite, in order: experiments outer, seeds inner. */
  List<RunSpec> plan() {
    List<RunSpec> plan = new ArrayList<>();
    for (Suite.Entry e : suite.experiments()) {
      for (long seed : suite.seeds()) {
        Path dir = suite.seedDir(e, seed);
        List<String> sets = new ArrayList<>(suite.setsFor(e));
        sets.add(SEED_KEY + "=" + seed);
        plan.add(new RunSpec(e, seed, dir, List.copyOf(sets)));
      }
    }
    return plan;
  }

  /** Runs what is not finished yet; returns one outcome per planned run, in plan order. */
  List<Outcome> run() {
    List<RunSpec> plan = plan();
    int todo = (int) plan.stream().filter(p -> !RunDir.finished(p.seedDir())).count();
    say(
        "suite %s: %d runs, %d already finished, %d to run, %d at a time, OMP_NUM_THREADS=%d per run",
        suite.name(), plan.size(), plan.size() - todo, todo, jobs, threadsPerRun);
    Thread hook = new Thread(this::killAll, "r3-compare-children");
    Runtime.getRuntime().addShutdownHook(hook);
    ExecutorService pool = Executors.newFixedThreadPool(jobs);
    AtomicInteger started = new AtomicInteger();
    try {
      List<Future<Outcome>> futures = new ArrayList<>();
      for (RunSpec spec : plan) {
        futures.add(pool.submit(() -> runOne(spec, started, todo)));
      }
      List<Outcome> outcomes = new ArrayList<>();
      for (Future<Outcome> f : futures) {
        outcomes.add(f.get());
      }
      long failed = outcomes.stream().filter(o -> o.kind() == Kind.FAILED).count();
      say("suite %s: done, %d failed", suite.name(), failed);
      return outcomes;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      killAll();
      throw new IllegalStateException("interrupted while running suite " + suite.name(), e);
    } catch (ExecutionException e) {
      killAll();
      throw new IllegalStateException("suite runner failed: " + e.getCause(), e.getCause());
    } finally {
      pool.shutdownNow();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // the JVM is exiting: the hook runs anyway
      }
    }
  }

  private Outcome runOne(RunSpec spec, AtomicInteger started, int todo)
      throws IOException, InterruptedException {
    if (RunDir.finished(spec.seedDir())) {
      say("skip %s: finished (%s)", spec.label(), spec.seedDir());
      measureMismatch(spec);
      return new Outcome(spec, Kind.SKIPPED, 0, 0, "");
    }
    int n = started.incrementAndGet();
    Path earlier = RunDir.keepEarlierAttempt(spec.seedDir());
    if (earlier != null) {
      say("%s: the earlier attempt is kept in %s", spec.label(), earlier);
    }
    Files.createDirectories(spec.seedDir());
    ProcessBuilder pb =
        new ProcessBuilder(command.command(spec))
            .redirectErrorStream(true)
            .redirectOutput(spec.seedDir().resolve(RunDir.LOG).toFile());
    say("[%d/%d] start %s -> %s", n, todo, spec.label(), spec.seedDir());
    long t0 = System.nanoTime();
    int code;
    String startError = null;
    try {
      code = execute(pb);
    } catch (IOException e) {
      code =
          START_FAILED_EXIT; // the command could not be started: this run fails, the others go on
      startError = "cannot start " + pb.command().get(0) + ": " + e.getMessage();
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    boolean finished = RunDir.finished(spec.seedDir());
    String tail =
        startError != null ? startError : RunDir.logTail(spec.seedDir(), RunResult.LOG_TAIL_LINES);
    String why =
        code == 0 && finished
            ? "finished"
            : startError != null
                ? "could not start"
                : code == TIMEOUT_EXIT && !suite.runTimeout().isZero()
                    ? "timed out after " + suite.runTimeout()
                    : code == 0 ? "exited 0 without writing summary.json" : "exit code " + code;
    RunDir.writeExit(spec.seedDir(), new RunDir.Exit(code, why, seconds, tail));
    if (code == 0 && finished) {
      say("[%d/%d] done %s in %s", n, todo, spec.label(), duration(seconds));
      measureMismatch(spec);
      return new Outcome(spec, Kind.FINISHED, code, seconds, tail);
    }
    say(
        "[%d/%d] FAILED %s after %s (%s); log: %s%n%s",
        n,
        todo,
        spec.label(),
        duration(seconds),
        why,
        spec.seedDir().resolve(RunDir.LOG),
        indent(lastLines(tail, PROGRESS_TAIL_LINES)));
    return new Outcome(spec, Kind.FAILED, code, seconds, tail);
  }

  /** Measures a finished run's mismatch when the suite asks for it and the run has none yet. */
  private void measureMismatch(RunSpec spec) throws InterruptedException {
    if (measure == null || !suite.mismatch().enabled()) {
      return;
    }
    Path runDir = RunDir.locate(spec.seedDir()).orElse(spec.seedDir());
    Path json = runDir.resolve(RunDir.MISMATCH);
    if (Files.exists(json)) {
      return;
    }
    Path checkpoint = RunDir.latestCheckpoint(runDir).orElse(null);
    if (checkpoint == null) {
      say("mismatch %s: no checkpoint in %s, not measured", spec.label(), runDir);
      return;
    }
    List<String> args = new ArrayList<>(suite.mismatch().args());
    SummaryFile summary = SummaryFile.read(runDir.resolve(RunDir.SUMMARY));
    addUnlessGiven(
        args,
        "--rollout-precision",
        summary == null ? null : summary.configString("rollout", "precision"));
    addUnlessGiven(args, "--seed", String.valueOf(spec.seed()));
    Path log = spec.seedDir().resolve("mismatch.log");
    ProcessBuilder pb =
        new ProcessBuilder(measure.command(checkpoint, json, args))
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    say("mismatch %s: measuring %s", spec.label(), checkpoint);
    int code;
    try {
      code = execute(pb);
    } catch (IOException e) {
      code = START_FAILED_EXIT;
    }
    if (code == 0 && Files.exists(json)) {
      say("mismatch %s: wrote %s", spec.label(), json);
    } else {
      say("mismatch %s: FAILED (exit %d), not measured; log: %s", spec.label(), code, log);
    }
  }

  private static void addUnlessGiven(List<String> args, String flag, String value) {
    if (value != null && !value.isEmpty() && !args.contains(flag)) {
      args.add(flag);
      args.add(value);
    }
  }

  /**
   * Starts a child with the per-run thread cap, waits for it within the run timeout; its exit code.
   */
  private int execute(ProcessBuilder pb) throws IOException, InterruptedException {
    pb.environment().put("OMP_NUM_THREADS", String.valueOf(threadsPerRun));
    pb.environment().put("MKL_NUM_THREADS", String.valueOf(threadsPerRun));
    Process p = pb.start();
    live.add(p);
    try {
      return waitFor(p, suite.runTimeout());
    } finally {
      live.remove(p);
    }
  }

  private static int waitFor(Process p, Duration timeout) throws InterruptedException {
    try {
      if (timeout.isZero()) {
        return p.waitFor();
      }
      if (p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        return p.exitValue();
      }
      kill(p);
      p.waitFor();
      return TIMEOUT_EXIT;
    } catch (InterruptedException e) {
      kill(p);
      throw e;
    }
  }

  /** Stops the children this runner started (and their own children), nothing else. */
  private void killAll() {
    for (Process p : live) {
      kill(p);
    }
  }

  private static void kill(Process p) {
    p.descendants().forEach(ProcessHandle::destroy);
    p.destroy();
    try {
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  private void say(String fmt, Object... args) {
    synchronized (progress) {
      progress.println("r3 compare: " + String.format(Locale.ROOT, fmt, args));
      progress.flush();
    }
  }

  private static String duration(double s) {
    long t = Math.round(s);
    return t >= 60 ? (t / 60) + "m" + String.format(Locale.ROOT, "%02d", t % 60) + "s" : t + "s";
  }

  private static String lastLines(String text, int n) {
    String[] lines = text.split("\n");
    return String.join(
        "\n", Arrays.copyOfRange(lines, Math.max(0, lines.length - n), lines.length));
  }

  private static String indent(String text) {
    return text.isEmpty() ? "    (empty log)" : "    " + text.replace("\n", "\n    ");
  }
}
