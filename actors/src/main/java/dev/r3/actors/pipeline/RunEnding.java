package dev.r3.actors.pipeline;

import dev.r3.actors.chaos.Chaos;
import dev.r3.actors.config.R3Config;
import dev.r3.actors.learning.Evaluator;
import dev.r3.actors.learning.LedgerCounts;
import dev.r3.actors.monitor.Monitor;
import dev.r3.actors.run.RunCheckpoints;
import dev.r3.actors.run.RunFiles;
import dev.r3.actors.run.RunFiles.RunSummary;
import dev.r3.actors.run.RunStatus;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.typed.ActorRef;
import org.slf4j.Logger;

/**
 * How the {@link Coordinator}'s run ends, in one of three ways (finished, interrupted, failed):
 * summary.json (and the chaos fault table) written, the run files closed, the monitor told, and
 * {@code done} completed. Used from the coordinator's thread only.
 */
final class RunEnding {
  private final R3Config config;
  private final RunCheckpoints history;
  private final Topology topology;
  private final Chaos chaos;
  private final ActorRef<Monitor.Command> monitor;
  private final CompletableFuture<RunSummary> done;
  private final Logger log;

  RunEnding(
      R3Config config,
      RunCheckpoints history,
      Topology topology,
      Chaos chaos,
      ActorRef<Monitor.Command> monitor,
      CompletableFuture<RunSummary> done,
      Logger log) {
    this.config = config;
    this.history = history;
    this.topology = topology;
    this.chaos = chaos;
    this.monitor = monitor;
    this.done = done;
    this.log = log;
  }

  /** The last step is trained and the drained ledger balances. */
  void finished(RunFiles files, long steps, LedgerCounts ledger, List<Path> checkpoints) {
    RunSummary summary = summary(files, RunStatus.FINISHED, null, steps, ledger, checkpoints);
    files.summary(summary, config.json(), topology.summarySections());
    files.close();
    log.info("run finished in {} s: {}", String.format("%.1f", summary.wallSeconds()), ledger);
    monitor.tell(new Monitor.RunEnded(RunStatus.FINISHED.label(), null));
    done.complete(summary);
  }

  /**
   * Interrupted and checkpointed: the ledger is the last step's (what was buffered or in flight is
   * counted lost_in_crash when the run is resumed).
   */
  void interrupted(
      RunFiles files, long steps, String why, LedgerCounts ledger, List<Path> checkpoints) {
    RunSummary summary = summary(files, RunStatus.INTERRUPTED, why, steps, ledger, checkpoints);
    files.summary(summary, config.json(), topology.summarySections());
    files.close();
    log.warn("run interrupted at step {}; ./r3 train --resume {} continues it", steps, files.dir());
    monitor.tell(new Monitor.RunEnded(RunStatus.INTERRUPTED.label(), why));
    done.complete(summary);
  }

  /**
   * The run failed for {@code reason}; {@code ledger} is the last step's (the buffer may be gone).
   */
  void failed(
      RunFiles files, long steps, String reason, LedgerCounts ledger, List<Path> checkpoints) {
    log.error("run failed: {}", reason);
    try {
      files.summary(
          summary(files, RunStatus.FAILED, reason, steps, ledger, checkpoints),
          config.json(),
          topology.summarySections());
    } catch (RuntimeException e) {
      log.warn("could not write summary.json of the failed run: {}", e.toString());
    }
    try {
      files.close();
    } catch (RuntimeException ignored) {
      // closing is best effort on failure
    }
    monitor.tell(new Monitor.RunEnded(RunStatus.FAILED.label(), reason));
    done.completeExceptionally(new IllegalStateException(reason));
  }

  private RunSummary summary(
      RunFiles files,
      RunStatus status,
      String failure,
      long steps,
      LedgerCounts ledger,
      List<Path> checkpoints) {
    double wall = history.wallSeconds();
    List<Evaluator.Result> evals = history.evals();
    Evaluator.Result initialEval =
        evals.isEmpty() || evals.get(0).version() != 0 ? null : evals.get(0);
    Evaluator.Result finalEval =
        !evals.isEmpty()
                && evals.get(evals.size() - 1).version() >= config.experiment().totalSteps()
            ? evals.get(evals.size() - 1)
            : null;
    if (chaos.enabled()) {
      files.faults(chaos.log().table());
    }
    return new RunSummary(
        config.experiment().name(),
        files.dir(),
        status,
        failure,
        steps,
        initialEval,
        finalEval,
        List.copyOf(evals),
        ledger,
        wall,
        List.copyOf(checkpoints),
        history.resumes());
  }
}
