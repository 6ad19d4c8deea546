package dev.r3.env;

import java.time.Duration;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * An environment that misbehaves on purpose, for chaos experiments: on a given fraction of reward
 * calls of the train split its verifier throws, hangs past a time budget, returns no outcome, or
 * reports an absurd reward (NaN, 1e30, or a negative one, which the {@link Outcome} contract
 * refuses). Meant to sit under a {@link GuardedEnvironment}, which turns each of these into a
 * failed episode; everything else is passed through unchanged. Held-out (eval) calls are never
 * faulted, so evaluation measures the policy, not the chaos.
 */
public final class FaultyEnvironment extends ForwardingEnvironment {
  /** The fault kinds, as reported to the listener. */
  public static final String THROW = "env_throw";

  public static final String TIMEOUT = "env_timeout";
  public static final String MALFORMED = "env_malformed";
  public static final String ABSURD_REWARD = "env_absurd_reward";

  /** Told about each fault injected (from the calling thread). */
  @FunctionalInterface
  public interface Listener {
    void injected(String kind);
  }

  /**
   * @param hang how long a timed-out call sleeps (longer than the guard's budget)
   */
  public record Rates(
      double throwRate,
      double timeoutRate,
      double malformedRate,
      double absurdRate,
      Duration hang) {
    public Rates {
      double sum = throwRate + timeoutRate + malformedRate + absurdRate;
      if (throwRate < 0 || timeoutRate < 0 || malformedRate < 0 || absurdRate < 0 || sum > 1) {
        throw new IllegalArgumentException("fault rates must be >= 0 and sum to <= 1, got " + this);
      }
    }
  }

  private static final double[] ABSURD = {Double.NaN, 1e30, -1.0};

  private final Rates rates;
  private final Listener listener;
  private final SplittableRandom random;

  public FaultyEnvironment(Environment inner, Rates rates, long seed, Listener listener) {
    super(inner);
    this.rates = Objects.requireNonNull(rates, "rates");
    this.listener = Objects.requireNonNull(listener, "listener");
    this.random = new SplittableRandom(seed);
  }

  @Override
  public RewardFunction reward() {
    RewardFunction f = inner.reward();
    return (task, completion) -> {
      if (task.split() != Split.TRAIN) {
        return f.score(task, completion);
      }
      double u;
      int which;
      synchronized (random) {
        u = random.nextDouble();
        which = random.nextInt(ABSURD.length);
      }
      double edge = rates.throwRate();
      if (u < edge) {
        listener.injected(THROW);
        throw new IllegalStateException("chaos: injected verifier exception");
      }
      edge += rates.timeoutRate();
      if (u < edge) {
        listener.injected(TIMEOUT);
        try {
          Thread.sleep(rates.hang().toMillis());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt(); // the guard gave up on this call: that is the point
        }
        return f.score(task, completion);
      }
      edge += rates.malformedRate();
      if (u < edge) {
        listener.injected(MALFORMED);
        return null;
      }
      edge += rates.absurdRate();
      if (u < edge) {
        listener.injected(ABSURD_REWARD);
        return Outcome.graded(ABSURD[which], "", "chaos", "injected absurd reward");
      }
      return f.score(task, completion);
    };
  }
}
