package dev.r3.report;

import java.util.List;

/**
 * The metrics the report reads from {@code metrics.jsonl}, each with the key names it accepts. The
 * pipeline's writer may use the flat names of the contract ({@code mismatch_kl}) or namespaced ones
 * ({@code mismatch/kl}, nested objects flatten to the same form); the first alias present in a line
 * wins.
 */
enum Metric {
  STEP("step"),
  REWARD("reward_mean", "reward/mean", "rewards/mean", "reward"),
  /**
   * Eval accuracy on held-out prompts: from {@code eval.jsonl} when the run has one, else from eval
   * keys of {@code metrics.jsonl} (see {@link MetricsLog#series}).
   */
  EVAL_ACCURACY("eval_accuracy", "eval/accuracy"),
  /**
   * The contract's {@code accuracy}: eval accuracy when logged on eval steps only, else rollout
   * accuracy.
   */
  ACCURACY("accuracy"),
  MISMATCH_KL("mismatch_kl", "mismatch/kl"),
  EXTREME_2("extreme_2", "mismatch/extreme_2", "mismatch/f2", "f2"),
  ROUTER_DISAGREEMENT("router_disagreement", "routing/disagreement", "routing/router_disagreement"),
  LOSS("loss", "losses/loss", "losses/total"),
  GRAD_NORM("grad_norm", "losses/grad_norm");

  private final List<String> keys;

  Metric(String... keys) {
    this.keys = List.of(keys);
  }

  List<String> keys() {
    return keys;
  }
}
