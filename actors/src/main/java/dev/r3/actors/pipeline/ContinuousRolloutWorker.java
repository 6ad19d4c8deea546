package dev.r3.actors.pipeline;

import dev.r3.actors.learning.BatchedGroups;
import dev.r3.actors.learning.WeightsSnapshot;
import dev.r3.actors.pipeline.RolloutWorker.Cancel;
import dev.r3.actors.pipeline.RolloutWorker.Command;
import dev.r3.actors.pipeline.RolloutWorker.Generate;
import dev.r3.actors.pipeline.RolloutWorker.Generated;
import dev.r3.actors.pipeline.RolloutWorker.GenerationFailed;
import dev.r3.actors.pipeline.RolloutWorker.Ping;
import dev.r3.actors.pipeline.RolloutWorker.Pong;
import dev.r3.actors.pipeline.RolloutWorker.Restart;
import dev.r3.actors.pipeline.RolloutWorker.RewindWeights;
import dev.r3.actors.pipeline.RolloutWorker.Started;
import dev.r3.actors.pipeline.RolloutWorker.UseWeights;
import dev.r3.actors.pipeline.RolloutWorker.WorkerFailed;
import dev.r3.actors.ports.Generator;
import dev.r3.model.CoreShare;
import dev.r3.model.SamplingParams;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.PreRestart;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.slf4j.LoggerFactory;

/**
 * A rollout worker with continuous batching ({@code r3.rollout.max-batch-rows}), speaking {@link
 * RolloutWorker}'s protocol: it keeps one running decode batch ({@link BatchedGroups}) of up to
 * {@code maxRows} sequences on one engine; queued groups join as soon as their G rows are free (a
 * sequence leaves the batch at end-of-sequence or its token limit), each with a prefill call
 * between decode steps, and a group is answered when its last sample has left. The batch runs in
 * slices of a few decode steps on the rollout dispatcher, so the actor stays responsive (weights,
 * pings, cancels) and admits new groups between slices.
 *
 * <p>Weights: a batch is bound to one version. When newer weights arrive, the batch admits no more
 * groups; its sequences finish under the version they started with (never mixing versions inside a
 * sequence), and once it has drained the next batch opens an engine with the newest weights. Every
 * trajectory is stamped with its batch's version. Single-turn tasks only: multi-turn episodes use
 * {@link RolloutWorker}.
 *
 * <p>On restart (a failed slice, or the watchdog's {@link Restart}) the worker loses its engine,
 * its batch and its queue: every request in the batch or queued is answered {@link
 * GenerationFailed} first (started or not), so the requesters re-issue them.
 */
public final class ContinuousRolloutWorker {

  // ---- internal ----
  /** A slice of decode steps ended (on the rollout dispatcher). */
  record SliceDone(
      long token, BatchedGroups batch, List<BatchedGroups.Completed> completed, Throwable error)
      implements Command, NoSerializationVerificationNeeded {}

  /** Decode steps per slice at most: bounds how long new weights, cancels and groups wait. */
  static final int SLICE_STEPS = 16;

  private static final AtomicLong TOKENS = new AtomicLong();

  // ---- create ----
  /**
   * @param maxRows sequences in the running batch at most (a group larger than that runs alone)
   * @param sampling temperature, top-p, max tokens and eos; the seed comes with each request
   * @param subscribe called once at (re)start with the worker's ref: subscribes it to the learner's
   *     weights
   */
  public static Behavior<Command> create(
      String name,
      Generator.Factory generators,
      SamplingParams sampling,
      int maxRows,
      Consumer<ActorRef<Command>> subscribe) {
    if (maxRows < 1) {
      throw new IllegalArgumentException("max-batch-rows must be >= 1, got " + maxRows);
    }
    return Behaviors.setup(
        ctx -> {
          subscribe.accept(ctx.getSelf());
          return new ContinuousRolloutWorker(ctx, name, generators, sampling, maxRows).behavior();
        });
  }

  // ---- state ----
  private record Member(Generate request, long admittedNanos) {}

  private final ActorContext<Command> ctx;
  private final String name;
  private final long startedAtMillis = System.currentTimeMillis();
  private final Generator.Factory generators;
  private final SamplingParams sampling;
  private final int maxRows;
  private final Executor executor;
  private final WaitingRequests queue;
  private final Map<BatchedGroups.Key, Member> members = new HashMap<>(); // groups in the batch
  private final List<BatchedGroups.Key> cancelled = new ArrayList<>(); // to drop at next slice
  private WeightsSnapshot weights; // the newest version received
  private BatchedGroups batch; // null between batches
  private Generator generator; // the engine of the last batch (reused for the same version)
  private long generatorVersion = -1;
  private CompletableFuture<SliceDone> slice; // the slice running now, or null
  private Generator sliceGenerator; // the engine that slice runs on, when already open
  private long sliceToken;
  private long sliceSince;
  private int rowsInBatch; // sequences live after the last slice, plus those admitted since
  private long completedGroups;

  private ContinuousRolloutWorker(
      ActorContext<Command> ctx,
      String name,
      Generator.Factory generators,
      SamplingParams sampling,
      int maxRows) {
    this.ctx = ctx;
    this.name = name;
    this.generators = generators;
    this.sampling = sampling;
    this.maxRows = maxRows;
    this.queue = new WaitingRequests(name);
    this.executor =
        ctx.getSystem()
            .dispatchers()
            .lookup(DispatcherSelector.fromConfig("r3-rollout-dispatcher"));
  }

  // ---- receive ----
  private Behavior<Command> behavior() {
    return Behaviors.receive(Command.class)
        .onMessage(Generate.class, this::onGenerate)
        .onMessage(Cancel.class, this::onCancel)
        .onMessage(UseWeights.class, this::onUseWeights)
        .onMessage(RewindWeights.class, this::onRewindWeights)
        .onMessage(Ping.class, this::onPing)
        .onMessage(Restart.class, this::onRestart)
        .onMessage(SliceDone.class, this::onSliceDone)
        .onSignal(PreRestart.class, s -> onStopping("worker " + name + " restarting"))
        .onSignal(PostStop.class, s -> onStopping("worker " + name + " stopped"))
        .build();
  }

  private Behavior<Command> onGenerate(Generate m) {
    queue.add(m);
    pump();
    return Behaviors.same();
  }

  private Behavior<Command> onCancel(Cancel m) {
    BatchedGroups.Key key = new BatchedGroups.Key(m.groupId(), m.attempt());
    Member in = members.remove(key);
    if (in != null) {
      cancelled.add(key); // its rows are dropped before the next slice's steps
      reply(in.request(), "cancelled", true);
      return Behaviors.same();
    }
    queue.cancel(m);
    return Behaviors.same();
  }

  private Behavior<Command> onUseWeights(UseWeights m) {
    if (weights == null || m.snapshot().version() > weights.version()) {
      weights = m.snapshot();
      pump();
    }
    return Behaviors.same();
  }

  private Behavior<Command> onRewindWeights(RewindWeights m) {
    long v = m.snapshot().version();
    ctx.getLog().info("{}: rewound to weights v{}", name, v);
    weights = m.snapshot();
    queue.rewind(v);
    pump();
    return Behaviors.same();
  }

  private Behavior<Command> onPing(Ping m) {
    long busy = slice == null ? 0 : (System.nanoTime() - sliceSince) / 1_000_000;
    long version = batch != null ? batch.version() : generatorVersion;
    m.replyTo()
        .tell(
            new Pong(
                name,
                version,
                slice != null || !members.isEmpty(),
                busy,
                completedGroups,
                queue.size()));
    return Behaviors.same();
  }

  private Behavior<Command> onRestart(Restart m) {
    return RolloutWorker.onRestart(ctx, name, startedAtMillis, m);
  }

  private Behavior<Command> onSliceDone(SliceDone m) {
    if (slice == null || m.token() != sliceToken) {
      return Behaviors.same(); // from before a restart: already closed by onStopping's hook
    }
    slice = null;
    if (m.batch() != null && m.batch().generator() != generator) {
      closeQuietly(generator);
      generator = m.batch().generator();
      generatorVersion = m.batch().version();
    }
    batch = m.batch();
    if (m.error() != null) {
      for (Member in : members.values()) {
        reply(in.request(), "generation failed: " + m.error(), true);
      }
      members.clear();
      throw new WorkerFailed("worker " + name + " failed a batch slice: " + m.error(), m.error());
    }
    for (BatchedGroups.Completed c : m.completed()) {
      Member in = members.remove(c.key());
      if (in == null) {
        continue; // cancelled meanwhile: already answered
      }
      completedGroups++;
      RolloutMetrics.afterBatch(batch.generator(), c.trajectories());
      Generate req = in.request();
      double seconds = (System.nanoTime() - in.admittedNanos()) / 1e9;
      req.replyTo()
          .tell(
              new Generated(
                  req.groupId(), req.attempt(), name, batch.version(), c.trajectories(), seconds));
    }
    rowsInBatch = batch.liveRows();
    pump();
    return Behaviors.same();
  }

  private Behavior<Command> onStopping(String why) {
    for (Member in : members.values()) {
      reply(in.request(), why, true);
    }
    members.clear();
    queue.failAll(why);
    if (slice != null) {
      // This incarnation never sees the slice's end: its batch and engine (in use on the rollout
      // dispatcher) are closed when it ends, or their native memory would leak.
      slice.whenComplete(
          (done, err) -> {
            if (done != null && done.batch() != null) {
              closeQuietly(done.batch());
              closeQuietly(done.batch().generator());
            }
          });
      slice = null;
      if (generator != sliceGenerator) {
        closeQuietly(generator); // an older engine the slice does not use
      }
    } else {
      closeQuietly(batch);
      closeQuietly(generator);
    }
    batch = null;
    generator = null;
    generatorVersion = -1;
    return Behaviors.same();
  }

  // ---- the batch ----

  /**
   * Between slices: closes a drained batch whose version is not the newest, admits queued groups
   * whose rows fit (in order; the head blocks until its version is there), and starts the next
   * slice when the batch has work.
   */
  private void pump() {
    if (slice != null || weights == null) {
      return;
    }
    WeightsSnapshot w = weights;
    if (batch != null && batch.version() != w.version() && members.isEmpty()) {
      closeQuietly(batch); // drained: the next batch takes the newest weights
      batch = null;
      rowsInBatch = 0;
    }
    boolean admitting = batch == null || batch.version() == w.version();
    List<Generate> joining = new ArrayList<>();
    int rows = rowsInBatch;
    while (admitting
        && !queue.isEmpty()
        && queue.peek().minVersion() <= w.version()
        && (rows == 0 || rows + queue.peek().samples() <= maxRows)) {
      Generate g = queue.poll();
      joining.add(g);
      rows += g.samples();
      members.put(
          new BatchedGroups.Key(g.groupId(), g.attempt()), new Member(g, System.nanoTime()));
      g.replyTo().tell(new Started(g.groupId(), g.attempt(), name));
    }
    if (members.isEmpty() && cancelled.isEmpty()) {
      return; // idle
    }
    rowsInBatch = rows;
    boolean moreWaiting = admitting && !queue.isEmpty() && queue.peek().minVersion() <= w.version();
    startSlice(w, joining, List.copyOf(cancelled), moreWaiting);
    cancelled.clear();
  }

  private void startSlice(
      WeightsSnapshot w,
      List<Generate> joining,
      List<BatchedGroups.Key> drops,
      boolean moreWaiting) {
    BatchedGroups current = batch;
    Generator reuse = generatorVersion == w.version() ? generator : null;
    sliceGenerator = current != null ? current.generator() : reuse;
    long token = TOKENS.incrementAndGet();
    sliceToken = token;
    sliceSince = System.nanoTime();
    slice =
        CompletableFuture.supplyAsync(
            () -> {
              BatchedGroups b = current;
              try (CoreShare.Section cores = generators.cores().enter(CoreShare.Role.ROLLOUT)) {
                if (b == null) {
                  Generator g = reuse != null ? reuse : generators.open(w.weights());
                  b = new BatchedGroups(g, w.version(), sampling);
                }
                drops.forEach(b::drop);
                List<BatchedGroups.Admission> groups = new ArrayList<>();
                for (Generate g : joining) {
                  groups.add(
                      new BatchedGroups.Admission(
                          new BatchedGroups.Key(g.groupId(), g.attempt()),
                          g.episodeSeed(),
                          g.prompt(),
                          g.samples(),
                          g.samplingSeed()));
                }
                b.admit(groups);
                b.run(SLICE_STEPS, moreWaiting);
                return new SliceDone(token, b, b.takeCompleted(), null);
              } catch (RuntimeException | Error e) {
                return new SliceDone(token, b, List.of(), e);
              }
            },
            executor);
    ctx.pipeToSelf(
        slice, (done, err) -> done != null ? done : new SliceDone(token, current, List.of(), err));
  }

  private void reply(Generate g, String why, boolean started) {
    g.replyTo().tell(new GenerationFailed(g.groupId(), g.attempt(), name, why, started));
  }

  /** Also called off the actor's thread (the end of an orphaned slice): logs without ctx. */
  private void closeQuietly(AutoCloseable c) {
    if (c == null) {
      return;
    }
    try {
      c.close();
    } catch (Exception e) {
      LoggerFactory.getLogger(ContinuousRolloutWorker.class)
          .warn("{}: closing {} failed: {}", name, c.getClass().getSimpleName(), e.toString());
    }
  }
}
