package dev.r3.report;

import dev.r3.actors.run.MetricNames;

/**
 * The metrics the report reads from a run's {@code metrics.jsonl} and {@code eval.jsonl}, each by
 * its one name in the run's vocabulary ({@link MetricNames}); a nested object in a line reads as
 * the same {@code a/b} name.
 */
enum Metric {
  STEP(MetricNames.STEP),
  REWARD(MetricNames.REWARD_MEAN),
  /** Held-out eval accuracy: from {@code eval.jsonl}, else from the same key in metrics.jsonl. */
  EVAL_ACCURACY(MetricNames.EVAL_ACCURACY),
  MISMATCH_KL(MetricNames.MISMATCH_KL),
  EXTREME_2(MetricNames.EXTREME_2),
  ROUTER_DISAGREEMENT(MetricNames.ROUTER_DISAGREEMENT),
  /**
   * 99th percentile of |log pi_train - log pi_infer| over the step's fresh tokens (upper bound).
   */
  ABS_LOG_RATIO_P99(MetricNames.ABS_LOG_RATIO_P99),
  LOSS(MetricNames.LOSS),
  GRAD_NORM(MetricNames.GRAD_NORM);

  private final String key;

  Metric(String key) {
    this.key = key;
  }

  String key() {
    return key;
  }
}
