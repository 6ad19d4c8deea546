package dev.r3.actors.chaos;

import dev.r3.env.OutcomeStats;
import dev.r3.env.Reasons;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the chaos experiment injected and how the run handled it, by fault kind: written to
 * summary.json as {@code faults}. Thread-safe: the injectors run on many threads.
 */
public final class ChaosLog {
  /** The kinds of fault, as summary.json names them. */
  public static final String WORKER_KILL = "worker_kill";

  public static final String STALE_DELAY = "stale_delay";
  public static final String ENV_THROW = "env_throw";
  public static final String ENV_TIMEOUT = "env_timeout";
  public static final String ENV_MALFORMED = "env_malformed";
  public static final String ENV_ABSURD_REWARD = "env_absurd_reward";
  public static final String FRAME_FLIPPED_BYTE = "frame_flipped_byte";
  public static final String FRAME_TRUNCATED = "frame_truncated";
  public static final String LEARNER_FAILURE = "learner_failure";

  private final Map<String, AtomicLong> injected = new ConcurrentHashMap<>();
  private volatile OutcomeStats guard;

  /**
   * The outcomes of the guard that handles the faulty environment's faults: each environment fault
   * kind is reported with the count of the guard outcome it turns into.
   */
  public void guard(OutcomeStats stats) {
    this.guard = stats;
  }

  /** The guard outcome (a failed episode, dropped as failed_episode) each env fault becomes. */
  private static final Map<String, String> GUARD_REASON =
      Map.of(
          ENV_THROW, Reasons.ENV_EXCEPTION,
          ENV_ABSURD_REWARD, Reasons.ENV_EXCEPTION,
          ENV_TIMEOUT, Reasons.ENV_TIMEOUT,
          ENV_MALFORMED, Reasons.ENV_EXCEPTION); // the guard's null check throws

  private final Map<String, Map<String, AtomicLong>> handled = new ConcurrentHashMap<>();

  public void injected(String kind) {
    injected.computeIfAbsent(kind, k -> new AtomicLong()).incrementAndGet();
  }

  /** One injected fault of {@code kind} was handled in the way {@code how} names. */
  public void handled(String kind, String how) {
    handled
        .computeIfAbsent(kind, k -> new ConcurrentHashMap<>())
        .computeIfAbsent(how, k -> new AtomicLong())
        .incrementAndGet();
  }

  public long injectedCount(String kind) {
    AtomicLong n = injected.get(kind);
    return n == null ? 0 : n.get();
  }

  public long handledCount(String kind, String how) {
    var m = handled.get(kind);
    AtomicLong n = m == null ? null : m.get(how);
    return n == null ? 0 : n.get();
  }

  public boolean isEmpty() {
    return injected.isEmpty();
  }

  /**
   * {kind: {injected: n, handled: {how: n}}}, kinds in name order. An environment fault is handled
   * by the guard as a failed episode (dropped failed_episode); the guard's count of that outcome is
   * shown, shared by the kinds with the same reason. Faults whose handling was not observed before
   * the run ended (a killed worker not pinged yet) are counted as {@code not_observed_by_run_end}.
   */
  public Map<String, Object> table() {
    Map<String, Object> out = new LinkedHashMap<>();
    TreeMap<String, AtomicLong> kinds = new TreeMap<>(injected);
    for (var e : kinds.entrySet()) {
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("injected", e.getValue().get());
      Map<String, Long> how = new TreeMap<>();
      handled.getOrDefault(e.getKey(), Map.of()).forEach((k, v) -> how.put(k, v.get()));
      String reason = GUARD_REASON.get(e.getKey());
      if (reason != null && guard != null) {
        how.put("guard_failed_episode_" + reason + "_shared", guard.count(reason));
      } else {
        long seen = how.values().stream().mapToLong(Long::longValue).sum();
        if (seen < e.getValue().get()) {
          how.put("not_observed_by_run_end", e.getValue().get() - seen);
        }
      }
      row.put("handled", how);
      out.put(e.getKey(), row);
    }
    return out;
  }

  @Override
  public String toString() {
    return table().toString();
  }
}
