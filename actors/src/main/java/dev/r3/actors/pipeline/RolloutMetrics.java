package dev.r3.actors.pipeline;

import dev.r3.actors.learning.RolloutCounters;
import dev.r3.actors.learning.Trajectory;
import dev.r3.actors.ports.Generator;
import dev.r3.actors.run.MetricNames;
import dev.r3.model.PrefixCache;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;
import kamon.Kamon;

/**
 * What a rollout worker's batches cost in prefill and routing bytes, as Kamon metrics under the one
 * vocabulary ({@link MetricNames}): {@code r3_rollout_prefill_tokens_total} (tag {@code kind} =
 * {@code computed} or {@code saved} by prompt sharing and the prefix cache), {@code
 * r3_rollout_prefix_cache_lookups_total} and {@code r3_rollout_prefix_cache_hits_total} (their
 * ratio is the hit rate), the gauge {@code r3_rollout_prefix_cache_bytes}, and the histogram {@code
 * r3_rollout_routing_bytes} (one routing record per trajectory). Thread-safe; counters are taken
 * per engine as deltas since its last batch.
 */
final class RolloutMetrics {
  private static final Map<Generator, PrefixCache.Stats> LAST = new WeakHashMap<>();

  private static final String PREFILL_TOKENS =
      MetricNames.prometheus(MetricNames.ROLLOUT_PREFILL_TOKENS);
  private static final String LOOKUPS =
      MetricNames.prometheus(MetricNames.ROLLOUT_PREFIX_CACHE_LOOKUPS);
  private static final String HITS = MetricNames.prometheus(MetricNames.ROLLOUT_PREFIX_CACHE_HITS);
  private static final String CACHE_BYTES =
      MetricNames.prometheus(MetricNames.ROLLOUT_PREFIX_CACHE_BYTES);
  private static final String ROUTING_BYTES =
      MetricNames.prometheus(MetricNames.ROLLOUT_ROUTING_BYTES);

  private RolloutMetrics() {}

  /** Records one finished batch of {@code g}; returns its prefill counters. */
  static RolloutCounters afterBatch(Generator g, List<Trajectory> trajectories) {
    for (Trajectory t : trajectories) {
      Kamon.histogram(ROUTING_BYTES).withoutTags().record(t.routing().byteSize());
    }
    PrefixCache.Stats now = g.prefixCacheStats();
    if (now == null) {
      return RolloutCounters.NONE;
    }
    PrefixCache.Stats before;
    synchronized (LAST) {
      before = LAST.put(g, now);
    }
    long computed = now.computedTokens() - (before == null ? 0 : before.computedTokens());
    long prompt = now.promptTokens() - (before == null ? 0 : before.promptTokens());
    Kamon.counter(PREFILL_TOKENS).withTag("kind", "computed").increment(computed);
    Kamon.counter(PREFILL_TOKENS).withTag("kind", "saved").increment(prompt - computed);
    Kamon.counter(LOOKUPS)
        .withoutTags()
        .increment(now.lookups() - (before == null ? 0 : before.lookups()));
    Kamon.counter(HITS).withoutTags().increment(now.hits() - (before == null ? 0 : before.hits()));
    Kamon.gauge(CACHE_BYTES).withoutTags().update(now.bytes());
    return RolloutCounters.prefill(
        prompt,
        computed,
        now.lookups() - (before == null ? 0 : before.lookups()),
        now.hits() - (before == null ? 0 : before.hits()),
        now.bytes());
  }
}
