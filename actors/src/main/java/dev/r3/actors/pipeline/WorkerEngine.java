package dev.r3.actors.pipeline;

import dev.r3.actors.ports.Generator;
import org.slf4j.LoggerFactory;

/**
 * The rollout engine a {@link RolloutWorker} holds between batches, and the rule that no engine
 * outlives its use (engines hold native memory): a batch runs on the held engine when it is of the
 * batch's weights version, else on one it opens, which the worker then holds instead (the older one
 * is closed); when the worker stops, the held engine is closed, unless a batch still running uses
 * it, which closes it when it ends. Not thread-safe: the worker owns it; only {@link #closeQuietly}
 * is called from other threads.
 */
final class WorkerEngine {
  private final String worker;
  private Generator engine;
  private long version = -1;

  /**
   * @param worker the worker's name, for the logs
   */
  WorkerEngine(String worker) {
    this.worker = worker;
  }

  /** The held engine's weights version; -1 when none is held. */
  long version() {
    return version;
  }

  /** The held engine when it is of weights version {@code v}; null otherwise. */
  Generator of(long v) {
    return version == v ? engine : null;
  }

  /**
   * A batch ran on {@code g} (version {@code v}): when it is not the held one, it is from now on.
   */
  void adopt(Generator g, long v) {
    if (g == null || g == engine) {
      return;
    }
    if (engine != null) {
      engine.close();
    }
    engine = g;
    version = v;
  }

  /**
   * The worker stops: the held engine is closed, unless {@code inUse} (a batch still running on it
   * closes it when it ends).
   */
  void stop(boolean inUse) {
    if (!inUse) {
      closeQuietly(engine);
    }
    engine = null;
    version = -1;
  }

  /** Closes {@code g} (when not null); a failure is logged, not thrown. Any thread. */
  void closeQuietly(Generator g) {
    if (g == null) {
      return;
    }
    try {
      g.close();
    } catch (RuntimeException e) {
      LoggerFactory.getLogger(RolloutWorker.class)
          .warn("{}: closing a rollout engine failed: {}", worker, e.toString());
    }
  }
}
