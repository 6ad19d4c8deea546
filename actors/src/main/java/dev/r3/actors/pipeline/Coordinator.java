package dev.r3.actors.pipeline;

import dev.r3.actors.chaos.Chaos;
import dev.r3.actors.chaos.ChaosLog;
import dev.r3.actors.config.R3Config;
import dev.r3.actors.learning.DropReason;
import dev.r3.actors.learning.Evaluator;
import dev.r3.actors.learning.LedgerCounts;
import dev.r3.actors.learning.StepReport;
import dev.r3.actors.learning.WeightsSnapshot;
import dev.r3.actors.monitor.Monitor;
import dev.r3.actors.monitor.Supervised;
import dev.r3.actors.ports.Backends;
import dev.r3.actors.run.ProgressBar;
import dev.r3.actors.run.Resume;
import dev.r3.actors.run.RunCheckpoints;
import dev.r3.actors.run.RunFiles;
import dev.r3.actors.run.RunFiles.RunSummary;
import dev.r3.actors.run.RunHistory;
import dev.r3.actors.run.StepRow;
import dev.r3.actors.run.TrainingState;
import dev.r3.actors.wire.WireMessage;
import dev.r3.model.OptimizerState;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
 *
 * <p>Resume and interrupt: a run resumed from a checkpoint ({@link Resume}) starts the learner and
 * the buffer where the checkpoint left them. {@link Interrupt} (SIGINT / SIGTERM) lets the step in
 * flight finish, writes a final checkpoint with the optimizer state, and ends the run as {@code
 * interrupted}; {@code ./r3 train --resume} continues it.
 */
public final class Coordinator {

  // ---- protocol ----
  public sealed interface Command extends WireMessage
      permits StepCompleted,
          LearnerFailed,
          LearnerStopped,
          Interrupt,
          EvalDone,
          CheckpointDone,
          GotDrained,
          ChildStopped {}

  /**
   * From the learner: a step finished and published {@code weights}.
   *
   * @param optimizer the AdamW state after the step, on checkpoint steps; null otherwise
   * @param nextGroupId the buffer's next group id when the step's batch left it
   */
  public record StepCompleted(
      StepReport report, WeightsSnapshot weights, OptimizerState optimizer, long nextGroupId)
      implements Command {}

  /** From the learner after {@link Learner.Interrupt}: its last weights and optimizer state. */
  public record LearnerStopped(
      WeightsSnapshot weights, OptimizerState optimizer, long nextGroupId, String error)
      implements Command {}

  /** Stop the run cleanly (a signal): finish or abandon the step, checkpoint, end interrupted. */
  public record Interrupt(String why) implements Command {}

  public record LearnerFailed(String reason) implements Command {}

  // ---- internal ----
  private record EvalDone(long step, Evaluator.Result result, Throwable error)
      implements Command, NoSerializationVerificationNeeded {}

  private record CheckpointDone(long step, Path dir, Throwable error)
      implements Command, NoSerializationVerificationNeeded {}

  private record GotDrained(ReplayBuffer.Drained drained)
      implements Command, NoSerializationVerificationNeeded {}

  private record ChildStopped(String who) implements Command, NoSerializationVerificationNeeded {}

  /**
   * @param topology where the rollout side comes from (this JVM, or a cluster)
   */
  public static Behavior<Command> create(
      R3Config config,
      Backends backends,
      RunFiles files,
      CompletableFuture<RunSummary> done,
      Resume resume,
      Topology topology) {
    return create(config, backends, files, done, resume, topology, new CompletableFuture<>());
  }

  /** {@code monitorUrl} completes with the monitor page's URL ("" when it has none). */
  public static Behavior<Command> create(
      R3Config config,
      Backends backends,
      RunFiles files,
      CompletableFuture<RunSummary> done,
      Resume resume,
      Topology topology,
      CompletableFuture<String> monitorUrl) {
    return create(
        config,
        backends,
        files,
        done,
        resume,
        topology,
        PipelineSpawner.spawning(config, backends, topology, monitorUrl));
  }

  /** With {@code pipeline}: what the coordinator spawns (a test gives it probes). */
  static Behavior<Command> create(
      R3Config config,
      Backends backends,
      RunFiles files,
      CompletableFuture<RunSummary> done,
      Resume resume,
      Topology topology,
      PipelineSpawner pipeline) {
    return Behaviors.setup(
        ctx ->
            new Coordinator(ctx, config, backends, files, done, resume, topology, pipeline)
                .behavior());
  }

  // ---- state ----
  private final ActorContext<Command> ctx;
  private final R3Config config;
  private final Backends backends;
  private final Topology topology;
  private final PipelineSpawner pipeline;
  private RunFiles files; // reopened when a learner restart rewinds the run
  private final ProgressBar progress;
  // Read by the workers' subscription callback on their threads; replaced by a learner restart.
  private volatile ActorRef<Learner.Command> learner;
  private String learnerName;
  private int learnerRestarts;
  private String restarting; // why the learner failed, while its restart waits for pending writes
  private final Chaos chaos;
  private final ActorRef<ReplayBuffer.Command> buffer;
  private final ActorRef<Monitor.Command> monitor;
  private final RunEnding ending;
  private final RunCheckpoints history;
  private final List<Path> checkpoints = new ArrayList<>();
  private final java.util.Set<Long> checkpointed = new java.util.HashSet<>(); // steps written
  private int pending;
  private boolean lastStepDone;
  private boolean draining;
  private long steps;
  private LedgerCounts lastLedger;
  private String interrupted;

  private Coordinator(
      ActorContext<Command> ctx,
      R3Config config,
      Backends backends,
      RunFiles files,
      CompletableFuture<RunSummary> done,
      Resume resume,
      Topology topology,
      PipelineSpawner pipeline) {
    this.ctx = ctx;
    this.topology = topology;
    this.pipeline = pipeline;
    this.config = config;
    this.backends = backends;
    this.files = files;
    Executor blocking =
        ctx.getSystem()
            .dispatchers()
            .lookup(DispatcherSelector.fromConfig("r3-background-dispatcher"));
    this.history = new RunCheckpoints(config, backends, files, blocking, resume);
    this.chaos =
        backends.chaos().enabled() || !config.chaos().enabled()
            ? backends.chaos()
            : new Chaos(config.chaos(), new ChaosLog());
    this.progress =
        new ProgressBar(
            System.err, config.experiment().totalSteps(), config.experiment().progressBar());
    ctx.getLog()
        .info(
            "experiment {} -> {}\n{}", config.experiment().name(), files.dir(), config.tableText());

    // ---- the monitor: every actor below reports its life to it (Supervised.report) ----
    monitor = pipeline.monitor(ctx);
    monitor.tell(
        new Monitor.RunStarted(
            config.experiment().name(),
            files.dir().toString(),
            config.experiment().totalSteps(),
            config.table()));
    if (resume != null) {
      RunHistory before = RunHistory.read(files.dir());
      monitor.tell(new Monitor.History(resume.state().step(), before.steps(), before.evals()));
    }
    Supervised.self(monitor, ctx, "coordinator");
    ending = new RunEnding(config, history, topology, chaos, monitor, done, ctx.getLog());

    // ---- the pipeline ----
    TrainingState from = resume == null ? null : resume.state();
    spawnLearner(RunOrigins.learner(resume, backends.initialWeights()));
    buffer = pipeline.buffer(ctx, RunOrigins.buffer(resume), () -> learner, chaos);
    ctx.watchWith(buffer, new ChildStopped("buffer"));
    learner.tell(new Learner.Start(buffer));
    if (from == null) {
      evaluate(0, new WeightsSnapshot(0, backends.initialWeights()));
    } else {
      steps = from.step();
      lastLedger = from.ledger();
      ctx.getLog()
          .info(
              "resumed at step {} from {}{}",
              from.step(),
              resume.checkpoint(),
              resume.forced().isEmpty() ? "" : " with changed settings " + resume.forced());
    }
  }

  private Behavior<Command> behavior() {
    return Behaviors.receive(Command.class)
        .onMessage(StepCompleted.class, this::onStep)
        .onMessage(LearnerFailed.class, this::onLearnerFailed)
        .onMessage(Interrupt.class, this::onInterrupt)
        .onMessage(LearnerStopped.class, this::onLearnerStopped)
        .onMessage(EvalDone.class, this::onEvalDone)
        .onMessage(CheckpointDone.class, this::onCheckpointDone)
        .onMessage(GotDrained.class, this::onDrained)
        .onMessage(ChildStopped.class, this::onChildStopped)
        .build();
  }

  private Behavior<Command> onStep(StepCompleted m) {
    StepReport r = m.report();
    steps = r.step();
    lastLedger = r.ledger();
    history.trained(r.stats().groups());
    topology.stepDone();
    files.step(r);
    monitor.tell(new Monitor.StepLogged(StepRow.of(r)));
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
      checkpoint(r.step(), m.weights(), m.optimizer(), m.nextGroupId(), r.ledger());
    }
    if (last && interrupted == null) {
      lastStepDone = true;
      learner.tell(new Learner.Stop());
      maybeFinish();
    }
    return Behaviors.same();
  }

  /** Expected while draining, or of a learner being replaced; otherwise the run fails. */
  private Behavior<Command> onChildStopped(ChildStopped m) {
    boolean replacedLearner =
        m.who().startsWith("learner") && (restarting != null || !m.who().equals(learnerName));
    return draining || replacedLearner ? Behaviors.same() : fail(m.who() + " stopped unexpectedly");
  }

  private Behavior<Command> onEvalDone(EvalDone m) {
    pending--;
    if (m.error() != null) {
      history.evalDone(m.step(), null);
      return fail("evaluation at step " + m.step() + " failed: " + m.error());
    }
    Evaluator.Result e = m.result();
    history.evalDone(m.step(), e);
    files.eval(m.step(), e);
    monitor.tell(new Monitor.EvalLogged(RunFiles.evalLine(m.step(), e)));
    progress.eval(e.accuracy());
    ctx.getLog()
        .info(
            "eval at step {}: accuracy {} reward {} ({} distinct held-out problems{}, {} turns"
                + " each, {} s)",
            m.step(),
            String.format("%.3f", e.accuracy()),
            String.format("%.3f", e.rewardMean()),
            e.episodes(),
            e.episodes() < config.eval().size()
                ? " of r3.eval.size " + config.eval().size() + ": the held-out split has no more"
                : "",
            String.format("%.2f", e.turnsMean()),
            String.format("%.1f", e.seconds()));
    return restartOrFinish();
  }

  private Behavior<Command> onCheckpointDone(CheckpointDone m) {
    pending--;
    if (m.error() != null) {
      return fail("checkpoint at step " + m.step() + " failed: " + m.error());
    }
    checkpoints.add(m.dir());
    return restartOrFinish();
  }

  private Behavior<Command> restartOrFinish() {
    if (restarting != null && pending == 0) {
      return restartLearner();
    }
    maybeFinish();
    return Behaviors.same();
  }

  /**
   * A failed learner is replaced (up to r3.faults.learner-restarts times) by one started from the
   * last checkpoint, once the evaluations and checkpoints in flight are written.
   */
  private Behavior<Command> onLearnerFailed(LearnerFailed m) {
    if (learnerRestarts >= config.faults().learnerRestarts()
        || lastStepDone
        || interrupted != null) {
      return fail("learner failed: " + m.reason());
    }
    learnerRestarts++;
    restarting = m.reason();
    ctx.getLog().warn("learner failed ({}); restarting it from the last checkpoint", m.reason());
    return restartOrFinish();
  }

  private Behavior<Command> restartLearner() {
    String why = restarting;
    restarting = null;
    Resume r;
    try {
      r = Resume.load(files.dir(), config, backends.initialWeights(), true);
    } catch (IllegalArgumentException e) {
      return fail("learner failed (" + why + ") and cannot be restarted: " + e.getMessage());
    }
    TrainingState st = r.state();
    files.close();
    files = RunFiles.resumed(files.dir(), st.step(), st.evals());
    history.rewind(r);
    steps = st.step();
    spawnLearner(RunOrigins.restartedLearner(r));
    topology.learnerChanged(learner);
    learner.tell(new Learner.Start(buffer));
    chaos.log().handled(ChaosLog.LEARNER_FAILURE, "restarted_from_checkpoint_step_" + st.step());
    ctx.getLog().warn("learner restarted from {} (step {})", r.checkpoint(), st.step());
    return Behaviors.same();
  }

  private void spawnLearner(Learner.Origin origin) {
    learnerName = learnerRestarts == 0 ? "learner" : "learner-" + learnerRestarts;
    learner = pipeline.learner(ctx, learnerName, origin, chaos);
    ctx.watchWith(learner, new ChildStopped(learnerName));
  }

  private Behavior<Command> onDrained(GotDrained m) {
    LedgerCounts ledger = m.drained().ledger();
    lastLedger = ledger;
    if (!ledger.closed()) {
      return fail("ledger does not balance at the end of the run: " + ledger);
    }
    ending.finished(files, steps, ledger, checkpoints);
    return Behaviors.stopped();
  }

  /** Signal: stop after the step in flight, write a final checkpoint, end as interrupted. */
  private Behavior<Command> onInterrupt(Interrupt m) {
    if (interrupted != null || lastStepDone) {
      return Behaviors.same(); // already stopping
    }
    if (restarting != null) {
      return fail(m.why() + " while the learner was being restarted (--resume continues the run)");
    }
    interrupted = m.why();
    ctx.getLog().warn("interrupted ({}): finishing the step in flight, then a checkpoint", m.why());
    learner.tell(new Learner.Interrupt());
    return Behaviors.same();
  }

  private Behavior<Command> onLearnerStopped(LearnerStopped m) {
    if (m.error() != null) {
      return fail("interrupted, and the learner could not give its state: " + m.error());
    }
    long step = m.weights().version();
    if (checkpointed.contains(step)) { // the step was a checkpoint step: written already, or being
      lastStepDone = true;
      maybeFinish();
      return Behaviors.same();
    }
    LedgerCounts ledger =
        lastLedger != null
            ? lastLedger
            : new LedgerCounts(0, 0, 0, 0, new long[DropReason.values().length]);
    checkpoint(step, m.weights(), m.optimizer(), m.nextGroupId(), ledger);
    lastStepDone = true;
    maybeFinish();
    return Behaviors.same();
  }

  private void evaluate(long step, WeightsSnapshot w) {
    pending++;
    CompletableFuture<Evaluator.Result> f = history.evaluate(step, w);
    ctx.pipeToSelf(f, (res, err) -> new EvalDone(step, res, err));
  }

  private void checkpoint(
      long step,
      WeightsSnapshot w,
      OptimizerState optimizer,
      long nextGroupId,
      LedgerCounts ledger) {
    pending++;
    checkpointed.add(step);
    Path dir = files.checkpointDir(step);
    CompletableFuture<Path> f = history.write(step, w, optimizer, nextGroupId, ledger);
    ctx.pipeToSelf(f, (res, err) -> new CheckpointDone(step, dir, err));
  }

  /** After the last step, once evaluations and checkpoints are written: drain the buffer. */
  private void maybeFinish() {
    if (lastStepDone && pending == 0 && !draining) {
      draining = true;
      if (interrupted != null) {
        ending.interrupted(files, steps, interrupted, lastLedger, checkpoints);
        return;
      }
      ActorRef<ReplayBuffer.Drained> adapter =
          ctx.messageAdapter(ReplayBuffer.Drained.class, GotDrained::new);
      buffer.tell(new ReplayBuffer.Drain(adapter));
    }
  }

  private Behavior<Command> fail(String reason) {
    ending.failed(files, steps, reason, lastLedger, checkpoints);
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
