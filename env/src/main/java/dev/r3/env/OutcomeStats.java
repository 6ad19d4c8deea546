package dev.r3.env;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;

/**
 * Thread-safe counts of outcomes per reason, so that "the model emits no answer 40% of the time" or
 * "the verifier timed out 12 times" shows up in metrics instead of hiding in a mean reward. Many
 * rollout threads record into one instance.
 */
public final class OutcomeStats {
  private final ConcurrentHashMap<String, LongAdder> byReason = new ConcurrentHashMap<>();
  private final LongAdder total = new LongAdder();
  private final LongAdder failed = new LongAdder();
  private final DoubleAdder rewardSum = new DoubleAdder();

  public void record(Outcome o) {
    byReason.computeIfAbsent(o.reason(), r -> new LongAdder()).increment();
    total.increment();
    if (o.failed()) {
      failed.increment();
    }
    rewardSum.add(o.reward());
  }

  public long count(String reason) {
    LongAdder a = byReason.get(reason);
    return a == null ? 0 : a.sum();
  }

  /** A snapshot of the counts, sorted by reason. */
  public Map<String, Long> counts() {
    Map<String, Long> out = new TreeMap<>();
    byReason.forEach((k, v) -> out.put(k, v.sum()));
    return out;
  }

  public long total() {
    return total.sum();
  }

  /** Outcomes the environment is to blame for. */
  public long failed() {
    return failed.sum();
  }

  /** Mean reward over all outcomes, 0 if none. */
  public double meanReward() {
    long n = total.sum();
    return n == 0 ? 0.0 : rewardSum.sum() / n;
  }

  @Override
  public String toString() {
    return "OutcomeStats[total="
        + total()
        + ", failed="
        + failed()
        + ", meanReward="
        + String.format("%.4f", meanReward())
        + ", "
        + counts()
        + "]";
  }
}
