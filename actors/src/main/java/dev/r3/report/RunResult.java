package dev.r3.report;

import java.nio.file.Path;
import java.util.Map;

/**
 * Everything the report knows about one (experiment, seed): whether it finished, its curves, the
 * numbers of the table and the collapse verdict. Built from the run's files alone, so a report can
 * be regenerated at any time, from finished, failed and still-running runs alike.
 *
 * <p>Conventions: final accuracy is the summary's final eval accuracy (else the last eval logged),
 * and only for a finished run; best accuracy is the highest eval accuracy seen, summary included;
 * the mismatch numbers are means over all steps that logged a finite value. Wall seconds are the
 * run's own (summary.json: the RL part); process seconds are the child process's as the runner
 * timed it (JVM start and warm start included).
 */
record RunResult(
    String experiment,
    long seed,
    Status status,
    Path seedDir,
    Path runDir,
    int exitCode,
    String exitWhy,
    String logTail,
    double initialAccuracy,
    double finalAccuracy,
    double bestAccuracy,
    double meanKl,
    double meanExtreme2,
    double meanDisagreement,
    double[] layerDisagreement,
    CollapseDetector.Collapse collapse,
    Metric collapseSignal,
    double lastStep,
    boolean truncated,
    double wallSeconds,
    double processSeconds,
    Map<String, Double> ledger,
    MismatchFile mismatch,
    MetricsLog log) {

  enum Status {
    /** summary.json says finished. */
    FINISHED,
    /**
     * summary.json says failed, or the child exited without a summary (non-zero code, or zero
     * without writing one).
     */
    FAILED,
    /** summary.json says interrupted (Ctrl-C, SIGTERM): not finished; the suite reruns it. */
    INTERRUPTED,
    /** Metrics but no summary and no exit record: running now, or killed with the runner. */
    INCOMPLETE,
    /** Nothing written. */
    MISSING
  }

  static final int LOG_TAIL_LINES = 20;

  static RunResult load(String experiment, long seed, Path seedDir, CollapseDetector detector) {
    Path runDir = RunDir.locate(seedDir).orElse(seedDir);
    MetricsLog log = MetricsLog.readRun(runDir);
    SummaryFile summary = SummaryFile.read(runDir.resolve(RunDir.SUMMARY));
    RunDir.Exit exit = RunDir.readExit(seedDir);
    Status status;
    if (summary != null && summary.finished()) {
      status = Status.FINISHED;
    } else if (summary != null && "interrupted".equals(summary.status())) {
      status = Status.INTERRUPTED;
    } else if (summary != null || exit != null) {
      status = Status.FAILED;
    } else {
      status = log.rows() > 0 ? Status.INCOMPLETE : Status.MISSING;
    }

    Series acc = log.series(Metric.EVAL_ACCURACY);
    double initial =
        summary != null && Double.isFinite(summary.initialAccuracy())
            ? summary.initialAccuracy()
            : acc.isEmpty() ? Double.NaN : acc.values()[0];
    double fin = Double.NaN;
    if (status == Status.FINISHED) {
      fin = Double.isFinite(summary.finalAccuracy()) ? summary.finalAccuracy() : acc.last();
    }
    double best = Stats.of(acc.max(), initial, fin).max();

    MismatchFile mismatch = MismatchFile.read(runDir.resolve(RunDir.MISMATCH));
    if (mismatch == null) {
      mismatch = MismatchFile.read(seedDir.resolve(RunDir.MISMATCH));
    }
    return new RunResult(
        experiment,
        seed,
        status,
        seedDir,
        runDir,
        exit == null ? 0 : exit.code(),
        exit != null
            ? exit.why()
            : summary != null && !summary.finished()
                ? summary.status() + ": " + summary.failure()
                : "",
        exit == null ? "" : exit.logTail(),
        initial,
        fin,
        best,
        log.series(Metric.MISMATCH_KL).mean(),
        log.series(Metric.EXTREME_2).mean(),
        log.series(Metric.ROUTER_DISAGREEMENT).mean(),
        log.layerDisagreement(),
        detector.detect(log),
        CollapseDetector.signal(log),
        log.lastStep(),
        log.truncated(),
        summary == null ? Double.NaN : summary.wallSeconds(),
        exit == null ? Double.NaN : exit.seconds(),
        summary == null ? Map.of() : summary.ledger(),
        mismatch,
        log);
  }

  boolean finished() {
    return status == Status.FINISHED;
  }
}
