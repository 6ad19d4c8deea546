package dev.r3.actors.pipeline;

import dev.r3.actors.learning.Trajectory;
import dev.r3.actors.ports.Generator;
import dev.r3.model.PrefixCache;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;
import kamon.Kamon;

/**
 * What a rollout worker's batches cost in prefill and routing bytes, as Kamon metrics: {@code
 * r3.rollout.prefill_tokens} (tag {@code kind} = {@code computed} or {@code saved} by prompt
 * sharing and the prefix cache), {@code r3.rollout.prefix_cache_lookups} and {@code
 * r3.rollout.prefix_cache_hits} (their ratio is the hit rate), the gauge {@code
 * r3.rollout.prefix_cache_bytes}, and the histogram {@code r3.rollout.routing_bytes} (one routing
 * record per trajectory). Thread-safe; counters are taken per engine as deltas since its last
 * batch.
 */
final class RolloutMetrics {
  private static final Map<Generator, PrefixCache.Stats> LAST = new WeakHashMap<>();

  private RolloutMetrics() {}

  /** Records one finished batch of {@code g}. */
  static void afterBatch(Generator g, List<Trajectory> trajectories) {
    for (Trajectory t : trajectories) {
      Kamon.histogram("r3.rollout.routing_bytes").withoutTags().record(t.routing().byteSize());
    }
    PrefixCache.Stats now = g.prefixCacheStats();
    if (now == null) {
      return;
    }
    PrefixCache.Stats before;
    synchronized (LAST) {
      before = LAST.put(g, now);
    }
    long computed = now.computedTokens() - (before == null ? 0 : before.computedTokens());
    long prompt = now.promptTokens() - (before == null ? 0 : before.promptTokens());
    Kamon.counter("r3.rollout.prefill_tokens").withTag("kind", "computed").increment(computed);
    Kamon.counter("r3.rollout.prefill_tokens")
        .withTag("kind", "saved")
        .increment(prompt - computed);
    Kamon.counter("r3.rollout.prefix_cache_lookups")
        .withoutTags()
        .increment(now.lookups() - (before == null ? 0 : before.lookups()));
    Kamon.counter("r3.rollout.prefix_cache_hits")
        .withoutTags()
        .increment(now.hits() - (before == null ? 0 : before.hits()));
    Kamon.gauge("r3.rollout.prefix_cache_bytes").withoutTags().update(now.bytes());
  }
}
