package dev.r3.actors.pipeline;

import dev.r3.actors.config.R3Config;
import dev.r3.actors.ports.PolicyTrainer;
import dev.r3.model.ModelWeights;
import dev.r3.model.OptimizerState;

/**
 * The {@link Learner}'s trainers, opened on first use: the policy (from the origin's weights and
 * optimizer state) and, when the KL term is on, the frozen reference (the run's version-0 weights).
 * Used from the learner dispatcher's one thread only (they hold the gradient collector).
 */
final class LearnerTrainers {
  private final PolicyTrainer.Factory factory;
  private final R3Config config;
  private final ModelWeights policyWeights;
  private final OptimizerState optimizer;
  private final ModelWeights referenceWeights;
  private PolicyTrainer policy;
  private PolicyTrainer reference;

  /**
   * @param optimizer the AdamW state to continue from; null for a fresh optimizer
   */
  LearnerTrainers(
      PolicyTrainer.Factory factory,
      R3Config config,
      ModelWeights policyWeights,
      OptimizerState optimizer,
      ModelWeights referenceWeights) {
    this.factory = factory;
    this.config = config;
    this.policyWeights = policyWeights;
    this.optimizer = optimizer;
    this.referenceWeights = referenceWeights;
  }

  PolicyTrainer policy() {
    open();
    return policy;
  }

  /** The KL reference; null when {@code r3.algorithm.kl-coef} is 0. */
  PolicyTrainer reference() {
    open();
    return reference;
  }

  void close() {
    if (policy != null) {
      policy.close();
    }
    if (reference != null) {
      reference.close();
    }
  }

  private void open() {
    if (policy == null) {
      policy = factory.open(policyWeights, config);
      if (optimizer != null) {
        policy.restoreOptimizerState(optimizer);
      }
      if (config.algorithm().klCoef() > 0) {
        reference = factory.open(referenceWeights, config);
      }
    }
  }
}
