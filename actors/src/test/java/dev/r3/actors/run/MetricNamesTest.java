package dev.r3.actors.run;

import static org.assertj.core.api.Assertions.assertThat;

import dev.r3.model.MismatchMeasures;
import dev.r3.model.rl.ObjectiveResult;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The one vocabulary covers every name the model module produces, and maps to Prometheus. */
class MetricNamesTest {

  static boolean known(String name) {
    return MetricNames.isVocabularyFamily(MetricNames.prometheus(name));
  }

  @Test
  void everyNameTheObjectiveAndTheMismatchSummaryLog_isInTheVocabulary() {
    List<String> produced =
        new java.util.ArrayList<>(
            new ObjectiveResult(null, 0f, 0f, 0f, 0f, 1f, 0f, 10).metrics().keySet());
    produced.addAll(
        new MismatchMeasures.Summary(0, 0, 0, 0, 0, new double[] {0, 0}, 0, 10, 10)
            .metrics()
            .keySet());
    assertThat(produced).contains("losses/pg_loss", "mismatch/kl", "routing/disagreement/layer_1");
    assertThat(produced).isNotEmpty().allMatch(MetricNamesTest::known);
  }

  @Test
  void perLayerAndPerReasonNames_areTaggedFamilies() {
    assertThat(MetricNames.prometheusSeries("routing/disagreement/layer_3"))
        .isEqualTo(new MetricNames.PrometheusSeries("r3_routing_disagreement_layer", "layer", "3"));
    assertThat(MetricNames.prometheusSeries(MetricNames.dropped("stale")))
        .isEqualTo(
            new MetricNames.PrometheusSeries("r3_ledger_dropped_by_reason", "reason", "stale"));
    assertThat(MetricNames.prometheus(MetricNames.EXTREME_1_5))
        .isEqualTo("r3_mismatch_extreme_1_5");
  }

  @Test
  void oldDialectNames_areNotInTheVocabulary() {
    assertThat(
            List.of(
                "r3_buffer_size",
                "r3_buffer_running",
                "r3_learner_step_seconds",
                "r3_learner_version",
                "r3_learner_tokens_total",
                "r3_rollout_tokens_total",
                "r3_rollout_trajectories_total",
                "r3_mismatch_kl_total_nonsense"))
        .noneMatch(MetricNames::isVocabularyFamily);
    assertThat(MetricNames.isVocabularyFamily("r3_actor_failures_total")).isTrue();
    assertThat(MetricNames.isVocabularyFamily("r3_rollout_prefill_tokens_total")).isTrue();
  }
}
