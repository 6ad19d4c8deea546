package dev.r3.actors.ports;

import dev.r3.actors.config.R3Config;
import dev.r3.model.ModelConfig;
import dev.r3.model.ModelWeights;
import dev.r3.model.OptimizerState;
import dev.r3.model.RoutingMode;
import dev.r3.model.RoutingRecord;
import dev.r3.model.ScoreResult;
import dev.r3.model.Sequence;
import java.util.List;

/**
 * The trainer as the Learner sees it: the only gradient collector in the process, called from one
 * thread. Arguments and results are host arrays; the implementation builds the loss inside.
 */
public interface PolicyTrainer extends AutoCloseable {

  /**
   * No-grad scoring. Per sequence: log-probabilities of tokens[1..T-1] (length T - 1) and the
   * routing the forward pass used ({@code replay} is null unless mode is REPLAY).
   */
  ScoreResult score(List<Sequence> sequences, RoutingMode mode, List<RoutingRecord> replay);

  /** One optimizer step on one mini-batch. */
  MiniStepResult step(MiniBatch batch);

  /** The current weights (an immutable snapshot: a copy of every parameter to the host). */
  ModelWeights weights();

  /**
   * The model's shape. A trainer that holds its weights on a device overrides this: the default
   * copies every weight to the host just to read it.
   */
  default ModelConfig config() {
    return weights().config();
  }

  /**
   * The optimizer's state on the host (moments, step count, learning rate), for a checkpoint a run
   * can resume from; null when this trainer cannot give it (then its checkpoints hold weights
   * only).
   */
  default OptimizerState optimizerState() {
    return null;
  }

  /** Continues from a saved optimizer state (a resumed run); exact, see {@link OptimizerState}. */
  default void restoreOptimizerState(OptimizerState state) {
    throw new UnsupportedOperationException(
        getClass().getSimpleName() + " cannot restore an optimizer state");
  }

  @Override
  default void close() {}

  /**
   * One mini-batch of sequences with everything the policy loss needs, aligned with tokens[1..T-1]
   * of each sequence (entries at prompt positions are ignored).
   *
   * @param advantages per sequence, the group-normalised advantage
   * @param proxLogProbs pi_prox (decoupled PPO) or pi_old: the trainer's scores at the start of the
   *     batch
   * @param behaviourLogProbs mu: the rollout engine's log-probabilities
   * @param refLogProbs the reference policy's scores, or null when the KL term is off
   */
  record MiniBatch(
      List<Sequence> sequences,
      RoutingMode mode,
      List<RoutingRecord> replay,
      float[] advantages,
      List<float[]> proxLogProbs,
      List<float[]> behaviourLogProbs,
      List<float[]> refLogProbs,
      R3Config.Algorithm algorithm) {}

  /**
   * One mini-step as the Learner sees it. Not the model's {@link dev.r3.model.StepResult}: this
   * port builds the policy loss itself, so it adds the clip fraction the loss measured (the model's
   * trainer sees the loss only as a number), and it leaves out the optimizer's step count and the
   * routing used (R2 replays the routing of the batch's first {@link #score}).
   *
   * @param logProbs the detached log-probabilities of the forward pass that computed the loss
   * @param clipFrac fraction of trained tokens whose ratio was clipped
   * @param diagnostics the objective's whole diagnostic set under its metric names ({@code
   *     losses/pg_loss}, {@code losses/approx_kl}, ...: {@code ObjectiveResult.metrics()})
   */
  record MiniStepResult(
      float loss,
      float gradNorm,
      float clipFrac,
      List<float[]> logProbs,
      java.util.Map<String, Float> diagnostics) {
    public MiniStepResult {
      diagnostics = java.util.Map.copyOf(diagnostics);
    }
  }

  /**
   * Builds a trainer from initial weights (the learner's) or a frozen scorer (the reference). It
   * scores at the rollout temperature ({@code config.rollout().temperature()}), so that pi_train
   * and pi_infer are the same distribution up to numerics, and optimises with {@code
   * config.learner()}.
   */
  @FunctionalInterface
  interface Factory {
    PolicyTrainer open(ModelWeights init, R3Config config);
  }
}
