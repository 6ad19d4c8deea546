package dev.r3.env;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Wraps any environment so that it cannot take the caller down: an exception, a call that runs past
 * its time budget, or a protocol breach (a null turn, more turns than {@link #maxTurns()}) ends the
 * episode as {@link Outcome#failed() failed} with the reason, and the caller goes on with the next
 * episode.
 *
 * <p>Why: environments are plugins, verifiers may call out to slow code, and one bad episode must
 * not stall a rollout worker (the most common complaint about RL systems is a silent stall). Each
 * call runs on an executor and is waited for at most the budget; on timeout the call is interrupted
 * and abandoned. A call that ignores interrupts keeps its thread busy, which is why the default
 * executor is an unbounded pool of daemon threads.
 *
 * <p>Every outcome this wrapper hands out (from episodes and from {@link #reward()}) is counted
 * once in {@link #stats()}.
 */
public final class GuardedEnvironment extends ForwardingEnvironment {
  /** Budget per call when none is given. */
  public static final Duration DEFAULT_BUDGET = Duration.ofSeconds(5);

  private static final ExecutorService SHARED = Executors.newCachedThreadPool(daemonThreads());

  private final Duration budget;
  private final ExecutorService executor;
  private final OutcomeStats stats;

  private GuardedEnvironment(
      Environment inner, Duration budget, ExecutorService executor, OutcomeStats stats) {
    super(inner);
    this.budget = Objects.requireNonNull(budget, "budget");
    this.executor = Objects.requireNonNull(executor, "executor");
    this.stats = Objects.requireNonNull(stats, "stats");
    if (budget.isNegative() || budget.isZero()) {
      throw new IllegalArgumentException("budget must be positive, got " + budget);
    }
  }

  /** Guards with {@link #DEFAULT_BUDGET} per call on a shared daemon pool. */
  public static GuardedEnvironment wrap(Environment inner) {
    return wrap(inner, DEFAULT_BUDGET);
  }

  public static GuardedEnvironment wrap(Environment inner, Duration budgetPerCall) {
    return new GuardedEnvironment(inner, budgetPerCall, SHARED, new OutcomeStats());
  }

  /** Full control: the executor runs the calls, {@code stats} receives every outcome. */
  public static GuardedEnvironment wrap(
      Environment inner, Duration budgetPerCall, ExecutorService executor, OutcomeStats stats) {
    return new GuardedEnvironment(inner, budgetPerCall, executor, stats);
  }

  public OutcomeStats stats() {
    return stats;
  }

  public Duration budget() {
    return budget;
  }

  // Plain properties (name, turns, stop tokens, oracle, SFT corpus) are read directly through
  // ForwardingEnvironment: they are fixed at creation and cannot hang.

  /**
   * The inner task, under the budget.
   *
   * @throws EnvironmentFailure if the inner environment throws or times out; prefer {@link
   *     #start(long, Split)}, which never throws
   */
  @Override
  public TaskSpec task(long seed, Split split) {
    Result<TaskSpec> r =
        call(() -> Objects.requireNonNull(inner.task(seed, split), "task() returned null"));
    if (r.failure != null) {
      throw new EnvironmentFailure(r.failure);
    }
    return r.value;
  }

  /** Never throws: a failure to make the task gives an episode that is already over. */
  @Override
  public Episode start(long seed, Split split) {
    Result<TaskSpec> r =
        call(() -> Objects.requireNonNull(inner.task(seed, split), "task() returned null"));
    if (r.failure != null) {
      TaskSpec placeholder = new TaskSpec(inner.name(), split, seed, "", "", "");
      return failedEpisode(placeholder, r.failure);
    }
    return start(r.value);
  }

  /**
   * Never throws: a failure to start gives an episode that is already over ({@link
   * Episode#outcome()} is present, the first observation is empty, and its first step answers the
   * failure).
   */
  @Override
  public Episode start(TaskSpec task) {
    Result<Started> r =
        call(
            () -> {
              Episode e = Objects.requireNonNull(inner.start(task), "start() returned null");
              return new Started(
                  e,
                  Objects.requireNonNull(e.firstObservation(), "firstObservation() returned null"));
            });
    if (r.failure != null) {
      return failedEpisode(task, r.failure);
    }
    return new Guarded(task, r.value.episode, r.value.firstObservation);
  }

  @Override
  public RewardFunction reward() {
    RewardFunction f = inner.reward();
    return (task, completion) -> {
      Result<Outcome> r =
          call(() -> Objects.requireNonNull(f.score(task, completion), "score() returned null"));
      Outcome o = r.failure != null ? r.failure : r.value;
      stats.record(o);
      return o;
    };
  }

  @Override
  public String toString() {
    return "Guarded[" + inner.name() + ", budget " + budget + "]";
  }

  private Episode failedEpisode(TaskSpec task, Outcome failure) {
    Guarded g = new Guarded(task, null, "");
    g.finish(failure);
    return g;
  }

  private record Started(Episode episode, String firstObservation) {}

  /** Either a value or the failed outcome that replaces it. */
  private record Result<T>(T value, Outcome failure) {}

  private <T> Result<T> call(Callable<T> body) {
    Future<T> f;
    try {
      f = executor.submit(body);
    } catch (RuntimeException e) { // rejected: executor shut down or saturated
      return new Result<>(null, Outcome.failure(Reasons.ENV_EXCEPTION, "could not schedule: " + e));
    }
    try {
      return new Result<>(f.get(budget.toNanos(), TimeUnit.NANOSECONDS), null);
    } catch (TimeoutException e) {
      f.cancel(true);
      return new Result<>(
          null,
          Outcome.failure(
              Reasons.ENV_TIMEOUT,
              "environment '" + inner.name() + "' took longer than " + budget.toMillis() + " ms"));
    } catch (ExecutionException e) {
      Throwable c = e.getCause() == null ? e : e.getCause();
      return new Result<>(
          null,
          Outcome.failure(Reasons.ENV_EXCEPTION, "environment '" + inner.name() + "' threw " + c));
    } catch (InterruptedException e) {
      f.cancel(true);
      Thread.currentThread()
          .interrupt(); // the caller is being stopped: keep the flag, end the episode
      return new Result<>(
          null, Outcome.failure(Reasons.ENV_EXCEPTION, "interrupted while waiting"));
    }
  }

  /** An episode whose every call goes through the guard. */
  private final class Guarded implements Episode {
    private final TaskSpec task;
    private final Episode episode;
    private final String firstObservation;
    private int turns;
    private Outcome outcome;

    Guarded(TaskSpec task, Episode episode, String firstObservation) {
      this.task = task;
      this.episode = episode;
      this.firstObservation = firstObservation;
    }

    @Override
    public TaskSpec task() {
      return task;
    }

    @Override
    public String firstObservation() {
      return firstObservation;
    }

    @Override
    public Turn step(String modelOutput) {
      if (outcome != null && episode == null && turns == 0) {
        // Failed before it began: a caller that did not look at outcome() still gets one Done.
        turns++;
        return new Turn.Done(outcome);
      }
      if (outcome != null) {
        throw new IllegalStateException("episode of '" + task.env() + "' is over: " + outcome);
      }
      Objects.requireNonNull(modelOutput, "modelOutput");
      turns++;
      Result<Turn> r = call(() -> episode.step(modelOutput));
      if (r.failure != null) {
        return finish(r.failure);
      }
      Turn t = r.value;
      if (t == null) {
        return finish(Outcome.failure(Reasons.ENV_PROTOCOL, "step() returned null"));
      }
      if (t instanceof Turn.Done d) {
        return finish(d.outcome());
      }
      if (turns >= inner.maxTurns()) {
        return finish(
            Outcome.failure(
                Reasons.ENV_PROTOCOL,
                "environment '"
                    + inner.name()
                    + "' wanted turn "
                    + (turns + 1)
                    + " but declares maxTurns "
                    + inner.maxTurns()));
      }
      return t;
    }

    @Override
    public Optional<Outcome> outcome() {
      return Optional.ofNullable(outcome);
    }

    Turn finish(Outcome o) {
      outcome = o;
      stats.record(o);
      return new Turn.Done(o);
    }
  }

  /** Thrown only by {@link #task}, which has no way to return a failed outcome. */
  public static final class EnvironmentFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final transient Outcome outcome;

    EnvironmentFailure(Outcome outcome) {
      super(outcome.reason() + ": " + outcome.detail());
      this.outcome = outcome;
    }

    public Outcome outcome() {
      return outcome;
    }
  }

  private static ThreadFactory daemonThreads() {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, "r3-env-guard-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
