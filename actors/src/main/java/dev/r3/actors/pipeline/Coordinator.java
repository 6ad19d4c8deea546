package dev.r3.actors.pipeline;

import dev.r3.actors.config.R3Config;
import dev.r3.actors.learning.Evaluator;
import dev.r3.actors.learning.LedgerCounts;
import dev.r3.actors.learning.StepReport;
import dev.r3.actors.learning.WeightsSnapshot;
import dev.r3.actors.ports.Backends;
import dev.r3.actors.run.ProgressBar;
import dev.r3.actors.run.RunFiles;
import dev.r3.actors.run.RunFiles.RunSummary;
import dev.r3.actors.run.RunStatus;
import dev.r3.actors.wire.WireMessage;
import dev.r3.model.SamplingParams;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Runs the lifecycle of one experiment: spawns the pipeline (learner, rollout workers with their
 * watchdog, environment and reward actors, replay buffer), writes one metrics line per learner
 * step, evaluates on the held-out split at start, every K steps and at the end, writes checkpoints
 * every K steps and at the end, and at the last step drains the buffer, checks the ledger (produced
 * = trained + dropped), writes summary.json and stops. The outcome completes {@code done}.
 * Evaluation and checkpoints run off the actor's thread while training goes on.
 *
 * <p>Supervision: workers and environment actors restart with backoff; the learner and the buffer
 * are not restarted (they hold the weights and the ledger): if either stops, the run fails with the
 * reason.
 */
public final class Coordinator {

  // ---- protocol ----
  public sealed interface Command extends WireMessage
      permits StepCompleted, LearnerFailed, EvalDone, CheckpointDone, GotDrained, ChildStopped {}

  /** From the learner: a step finished and published {@code weights}. */
  public record StepCompleted(StepReport report, WeightsSnapshot weights) implements Command {}

  public record LearnerFailed(String reason) implements Command {}

  // ---- internal ----
  private record EvalDone(long step, Evaluator.Result result, Throwable error)
      implements Command, NoSerializationVerificationNeeded {}

  private record CheckpointDone(long step, Path dir, Throwable error)
      implements Command, NoSerializationVerificationNeeded {}

  private record GotDrained(ReplayBuffer.Drained drained)
      implements Command, NoSerializationVerificationNeeded {}

  private record ChildStopped(String who) implements Command, NoSerializationVerificationNeeded {}

  public static Behavior<Command> create(
      R3Config config, Backends backends, RunFiles files, CompletableFuture<RunSummary> done) {
    return create(config, backends, files, done, Topology.local());
  }

  /** A run whose rollout side comes from {@code topology} (this JVM, or a cluster). */
  public static Behavior<Command> create(
      R3Config config,
      Backends backends,
      RunFiles files,
      CompletableFuture<RunSummary> done,
      Topology topology) {
    return Behaviors.setup(
        ctx -> new Coordinator(ctx, config, backends, files, done, topology).behavior());
  }

  // ---- state ----
  private final ActorContext<Command> ctx;
  private final R3Config config;
  private final Backends backends;
  private final Topology topology;
  private final RunFiles files;
  private final CompletableFuture<RunSummary> done;
  private final Executor blocking;
  private final Evaluator evaluator;
  private final ProgressBar progress;
  private final ActorRef<Learner.Command> learner;
  private final ActorRef<ReplayBuffer.Command> buffer;
  private final long startNanos = System.nanoTime();
  private final List<Evaluator.Result> evals = new ArrayList<>();
  private final List<Path> checkpoints = new ArrayList<>();
  private Evaluator.Result initialEval;
  private Evaluator.Result finalEval;
  private int pending;
  private boolean lastStepDone;
  private boolean draining;
  private long steps;
  private LedgerCounts lastLedger;

  private Coordinator(
      ActorContext<Command> ctx,
      R3Config config,
      Backends backends,
      RunFiles files,
      CompletableFuture<RunSummary> done,
      Topology topology) {
    this.ctx = ctx;
    this.config = config;
    this.backends = backends;
    this.topology = topology;
    this.files = files;
    this.done = done;
    this.blocking =
        ctx.getSystem()
            .dispatchers()
            .lookup(DispatcherSelector.fromConfig("r3-rollout-dispatcher"));
    var r = config.rollout();
    int eos = backends.tokenizer().eosId();
    this.evaluator =
        new Evaluator(
            backends.tasks(),
            backends.tokenizer(),
            backends.generators(),
            config.experiment().seed(),
            config.eval().size(),
            new SamplingParams(config.eval().temperature(), 1f, r.maxNewTokens(), eos, 0));
    this.progress =
        new ProgressBar(
            System.err, config.experiment().totalSteps(), config.experiment().progressBar());
    ctx.getLog()
        .info(
            "experiment {} -> {}\n{}", config.experiment().name(), files.dir(), config.tableText());

    // ---- the pipeline ----
    learner =
        ctx.spawn(
            Learner.create(config, backends.trainers(), backends.initialWeights(), ctx.getSelf()),
            "learner");
    ctx.watchWith(learner, new ChildStopped("learner"));
    GroupRunner crew = topology.rollouts(ctx, config, backends, learner);
    buffer =
        ctx.spawn(ReplayBuffer.create(config, backends.initialWeights().config(), crew), "buffer");
    ctx.watchWith(buffer, new ChildStopped("buffer"));
    topology.bufferStarted(buffer);
    learner.tell(new Learner.Start(buffer));
    evaluate(0, new WeightsSnapshot(0, backends.initialWeights()));
  }

  private Behavior<Command> behavior() {
    return Behaviors.receive(Command.class)
        .onMessage(StepCompleted.class, this::onStep)
        .onMessage(LearnerFailed.class, m -> fail("learner failed: " + m.reason()))
        .onMessage(EvalDone.class, this::onEvalDone)
        .onMessage(CheckpointDone.class, this::onCheckpointDone)
        .onMessage(GotDrained.class, this::onDrained)
        .onMessage(
            ChildStopped.class,
            m -> draining ? Behaviors.same() : fail(m.who() + " stopped unexpectedly"))
        .build();
  }

  private Behavior<Command> onStep(StepCompleted m) {
    StepReport r = m.report();
    steps = r.step();
    lastLedger = r.ledger();
    files.step(r);
    progress.step(
        r.step(), r.stats().rewardMean(), r.stats().accuracy(), r.stats().stalenessMean());
    int total = config.experiment().totalSteps();
    boolean last = r.step() >= total;
    int k = config.eval().every();
    if (last || (k > 0 && r.step() % k == 0)) {
      evaluate(r.step(), m.weights());
    }
    int c = config.checkpoint().every();
    if (last || (c > 0 && r.step() % c == 0)) {
      checkpoint(r.step(), m.weights());
    }
    if (last) {
      lastStepDone = true;
      learner.tell(new Learner.Stop());
      maybeFinish();
    }
    return Behaviors.same();
  }

  private Behavior<Command> onEvalDone(EvalDone m) {
    pending--;
    if (m.error() != null) {
      return fail("evaluation at step " + m.step() + " failed: " + m.error());
    }
    Evaluator.Result e = m.result();
    evals.add(e);
    files.eval(m.step(), e);
    progress.eval(e.accuracy());
    if (m.step() == 0) {
      initialEval = e;
    }
    if (m.step() >= config.experiment().totalSteps()) {
      finalEval = e;
    }
    ctx.getLog()
        .info(
            "eval at step {}: accuracy {} reward {} ({} episodes, {} s)",
            m.step(),
            String.format("%.3f", e.accuracy()),
            String.format("%.3f", e.rewardMean()),
            e.episodes(),
            String.format("%.1f", e.seconds()));
    maybeFinish();
    return Behaviors.same();
  }

  private Behavior<Command> onCheckpointDone(CheckpointDone m) {
    pending--;
    if (m.error() != null) {
      return fail("checkpoint at step " + m.step() + " failed: " + m.error());
    }
    checkpoints.add(m.dir());
    maybeFinish();
    return Behaviors.same();
  }

  private Behavior<Command> onDrained(GotDrained m) {
    LedgerCounts ledger = m.drained().ledger();
    lastLedger = ledger;
    if (!ledger.closed()) {
      return fail("ledger does not balance at the end of the run: " + ledger);
    }
    RunSummary summary = summary(RunStatus.FINISHED, null, ledger);
    files.summary(summary, config.json(), topology.summarySections());
    files.close();
    ctx.getLog()
        .info("run finished in {} s: {}", String.format("%.1f", summary.wallSeconds()), ledger);
    done.complete(summary);
    return Behaviors.stopped();
  }

  private void evaluate(long step, WeightsSnapshot w) {
    pending++;
    CompletableFuture<Evaluator.Result> f =
        CompletableFuture.supplyAsync(() -> evaluator.evaluate(w.version(), w.weights()), blocking);
    ctx.pipeToSelf(f, (res, err) -> new EvalDone(step, res, err));
  }

  private void checkpoint(long step, WeightsSnapshot w) {
    pending++;
    Path dir = files.checkpointDir(step);
    CompletableFuture<Path> f =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                backends
                    .checkpointer()
                    .save(
                        dir,
                        w.weights(),
                        backends.tokenizer(),
                        Map.of(
                            "step",
                            Long.toString(step),
                            "version",
                            Long.toString(w.version()),
                            "experiment",
                            config.experiment().name()));
                return dir;
              } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
              }
            },
            blocking);
    ctx.pipeToSelf(f, (res, err) -> new CheckpointDone(step, dir, err));
  }

  /** After the last step, once evaluations and checkpoints are written: drain the buffer. */
  private void maybeFinish() {
    if (lastStepDone && pending == 0 && !draining) {
      draining = true;
      ActorRef<ReplayBuffer.Drained> adapter =
          ctx.messageAdapter(ReplayBuffer.Drained.class, GotDrained::new);
      buffer.tell(new ReplayBuffer.Drain(adapter));
    }
  }

  private RunSummary summary(RunStatus status, String failure, LedgerCounts ledger) {
    double wall = (System.nanoTime() - startNanos) / 1e9;
    evals.sort((a, b) -> Long.compare(a.version(), b.version()));
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
        List.copyOf(checkpoints));
  }

  private Behavior<Command> fail(String reason) {
    ctx.getLog().error("run failed: {}", reason);
    try {
      // What is known at the failure: the ledger as of the last step (the buffer may be gone).
      files.summary(
          summary(RunStatus.FAILED, reason, lastLedger), config.json(), topology.summarySections());
    } catch (RuntimeException e) {
      ctx.getLog().warn("could not write summary.json of the failed run: {}", e.toString());
    }
    try {
      files.close();
    } catch (RuntimeException ignored) {
      // closing is best effort on failure
    }
    done.completeExceptionally(new IllegalStateException(reason));
    return Behaviors.stopped();
  }

  /** How long a caller should wait for a run at most (used by tests and the CLI as a backstop). */
  public static Duration backstop(R3Config c) {
    return c.timeouts()
        .step()
        .multipliedBy(c.experiment().totalSteps() + 2L)
        .plus(c.timeouts().shutdown());
  }
}
