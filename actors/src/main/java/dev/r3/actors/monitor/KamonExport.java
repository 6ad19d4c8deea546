package dev.r3.actors.monitor;

import dev.r3.actors.run.MetricNames;
import java.util.HashMap;
import java.util.Map;
import kamon.Kamon;
import kamon.tag.TagSet;

/**
 * Publishes the monitor's numbers to Kamon under the one vocabulary ({@link
 * MetricNames#prometheus}): every number of a step or eval row as a gauge ({@code r3_reward_mean},
 * {@code r3_routing_disagreement_layer{layer="3"}}), and per supervised actor (tags {@code actor},
 * {@code role}) {@code r3_actor_restarts}, {@code r3_actor_failures_total}, {@code
 * r3_actor_running}, {@code r3_actor_messages}, {@code r3_actor_processing_seconds} (mean per
 * message over the last second), {@code r3_actor_mailbox} (messages waiting, counted by {@link
 * CountingMailbox}) and {@code r3_actor_in_flight} (busy + live children). Kamon's reporters (the
 * monitor's {@code /metrics}, or the embedded Prometheus server of {@code
 * r3.metrics.prometheus-port}) scrape them.
 */
final class KamonExport {
  private final Map<String, long[]> lastCounts = new HashMap<>(); // path -> {messages, nanos}

  void row(Map<String, Object> row) {
    for (Map.Entry<String, Object> kv : row.entrySet()) {
      String k = kv.getKey();
      if (k.equals(MetricNames.STEP) || !(kv.getValue() instanceof Number v)) {
        continue;
      }
      MetricNames.PrometheusSeries p = MetricNames.prometheusSeries(k);
      var gauge = Kamon.gauge(p.family());
      (p.tag() != null ? gauge.withTag(p.tag(), p.value()) : gauge.withoutTags())
          .update(v.doubleValue());
    }
    if (row.get(MetricNames.STEP) instanceof Number step && !row.containsKey("eval/accuracy")) {
      Kamon.gauge(MetricNames.prometheus(MetricNames.STEP))
          .withoutTags()
          .update(step.doubleValue());
    }
  }

  void failure(String path) {
    Kamon.counter(MetricNames.prometheus(MetricNames.ACTOR_FAILURES))
        .withTags(TagSet.of("actor", path))
        .increment();
  }

  void actors(Iterable<MonitorState.ActorEntry> actors) {
    for (MonitorState.ActorEntry e : actors) {
      TagSet tags = TagSet.builder().add("actor", e.path).add("role", e.role).build();
      Kamon.gauge(MetricNames.prometheus(MetricNames.ACTOR_RESTARTS))
          .withTags(tags)
          .update(e.restarts);
      Kamon.gauge(MetricNames.prometheus(MetricNames.ACTOR_RUNNING))
          .withTags(tags)
          .update("running".equals(e.state) ? 1 : 0);
      long messages = e.gauges.messages();
      long nanos = e.gauges.processingNanos();
      Kamon.gauge(MetricNames.prometheus(MetricNames.ACTOR_MESSAGES))
          .withTags(tags)
          .update(messages);
      long[] last = lastCounts.computeIfAbsent(e.path, p -> new long[2]);
      long dm = messages - last[0];
      if (dm > 0) {
        Kamon.gauge(MetricNames.prometheus(MetricNames.ACTOR_PROCESSING))
            .withTags(tags)
            .update((nanos - last[1]) / 1e9 / dm);
      }
      last[0] = messages;
      last[1] = nanos;
      Kamon.gauge(MetricNames.prometheus(MetricNames.ACTOR_IN_FLIGHT))
          .withTags(tags)
          .update(e.gauges.busy() + e.gauges.children());
      if (e.gauges.mailbox() >= 0) {
        Kamon.gauge(MetricNames.prometheus(MetricNames.ACTOR_MAILBOX))
            .withTags(tags)
            .update(e.gauges.mailbox());
      }
    }
  }
}
