package dev.r3.actors.run;

import dev.r3.actors.config.EnvMetadata;
import dev.r3.actors.config.R3Config;
import dev.r3.actors.learning.EpisodePlayer;
import dev.r3.actors.learning.Evaluator;
import dev.r3.actors.learning.LedgerCounts;
import dev.r3.actors.learning.WeightsSnapshot;
import dev.r3.actors.ports.Backends;
import dev.r3.model.OptimizerState;
import dev.r3.model.SamplingParams;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * The coordinator's record of what a checkpoint must hold: evaluations (run here, off the
 * coordinator's thread) done and in flight, groups trained, wall time and resumes over the whole
 * run (a resumed run starts from the checkpoint's). A checkpoint waits for the evaluations started
 * before it, so that its eval history is complete up to its step. Used from the coordinator's
 * thread only; the writing runs on {@code blocking}.
 */
public final class RunCheckpoints {
  private final R3Config config;
  private final Backends backends;
  private final RunFiles files;
  private final Executor blocking;
  private final Map<String, String> settings;
  private final String referenceSha256;
  private final Evaluator evaluator;
  private final List<TrainingState.ResumeRecord> resumes = new ArrayList<>();
  private final List<Evaluator.Result> evals = new ArrayList<>();
  private final Map<Long, CompletableFuture<Evaluator.Result>> evalsInFlight =
      new LinkedHashMap<>();
  private final double wallSecondsBefore;
  private final long startNanos = System.nanoTime();
  private long trainedGroups;

  /**
   * @param resume the checkpoint this process continues from; null for a new run
   */
  public RunCheckpoints(
      R3Config config, Backends backends, RunFiles files, Executor blocking, Resume resume) {
    this.config = config;
    this.backends = backends;
    this.files = files;
    this.blocking = blocking;
    this.settings = Resume.settings(config);
    this.referenceSha256 = TrainingState.digest(backends.initialWeights());
    this.evaluator =
        new Evaluator(
            backends.tasks(),
            backends.tokenizer(),
            backends.generators(),
            config.experiment().seed(),
            config.eval().size(),
            new SamplingParams(
                config.eval().temperature(),
                1f,
                config.rollout().maxNewTokens(),
                backends.tokenizer().eosId(),
                0),
            EpisodePlayer.Budgets.of(config));
    if (resume != null) {
      TrainingState s = resume.state();
      resumes.addAll(s.resumes());
      resumes.add(resume.record(files.dir()));
      evals.addAll(s.evals());
      trainedGroups = s.acceptedGroups();
      wallSecondsBefore = s.wallSeconds();
    } else {
      wallSecondsBefore = 0;
    }
  }

  /** A learner restarted in this process from checkpoint {@code r}: back to its history. */
  public void rewind(Resume r) {
    TrainingState s = r.state();
    evals.clear();
    evals.addAll(s.evals());
    evalsInFlight.clear();
    trainedGroups = s.acceptedGroups();
    resumes.add(r.record(files.dir()));
  }

  /**
   * Starts the held-out evaluation of {@code w} for step {@code step} on the blocking executor; a
   * checkpoint written meanwhile waits for it.
   */
  public CompletableFuture<Evaluator.Result> evaluate(long step, WeightsSnapshot w) {
    CompletableFuture<Evaluator.Result> f =
        CompletableFuture.supplyAsync(() -> evaluator.evaluate(w.version(), w.weights()), blocking);
    evalsInFlight.put(step, f);
    return f;
  }

  public void evalDone(long step, Evaluator.Result r) {
    evalsInFlight.remove(step);
    if (r != null) {
      evals.add(r);
    }
  }

  public void trained(long groups) {
    trainedGroups += groups;
  }

  /** Evaluations so far, by version. */
  public List<Evaluator.Result> evals() {
    List<Evaluator.Result> l = new ArrayList<>(evals);
    l.sort(Comparator.comparingLong(Evaluator.Result::version));
    return l;
  }

  public List<TrainingState.ResumeRecord> resumes() {
    return List.copyOf(resumes);
  }

  /** Wall time of the run over all its processes. */
  public double wallSeconds() {
    return wallSecondsBefore + (System.nanoTime() - startNanos) / 1e9;
  }

  /**
   * Writes checkpoints/step-N once the evaluations started so far are done.
   *
   * @param ledger the ledger after the step
   * @param nextGroupId the buffer's next group id when the step's batch left
   */
  public CompletableFuture<Path> write(
      long step,
      WeightsSnapshot w,
      OptimizerState optimizer,
      long nextGroupId,
      LedgerCounts ledger) {
    Path dir = files.checkpointDir(step);
    List<Evaluator.Result> done = new ArrayList<>(evals);
    List<CompletableFuture<Evaluator.Result>> pending = new ArrayList<>(evalsInFlight.values());
    long groups = trainedGroups;
    double wall = wallSeconds();
    List<TrainingState.ResumeRecord> history = resumes();
    return CompletableFuture.allOf(pending.toArray(new CompletableFuture<?>[0]))
        .handle((ok, err) -> null)
        .thenApplyAsync(
            ignored -> {
              List<Evaluator.Result> all = new ArrayList<>(done);
              for (var f : pending) {
                if (!f.isCompletedExceptionally()) {
                  all.add(f.join());
                }
              }
              all.removeIf(e -> e.version() > step);
              all.sort(Comparator.comparingLong(Evaluator.Result::version));
              TrainingState state =
                  new TrainingState(
                      step,
                      w.version(),
                      nextGroupId,
                      groups,
                      ledger,
                      all,
                      settings,
                      referenceSha256,
                      history,
                      wall);
              try {
                CheckpointWriter.write(
                    dir,
                    backends.checkpointer(),
                    backends.tokenizer(),
                    w,
                    optimizer,
                    state,
                    EnvMetadata.with(
                        Map.of(
                            "step",
                            Long.toString(step),
                            "version",
                            Long.toString(w.version()),
                            "experiment",
                            config.experiment().name()),
                        config.env()));
                return dir;
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
            },
            blocking);
  }
}
