package dev.r3.model.rl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

/**
 * The detached weight that corrects for sampling from the rollout engine mu instead of the
 * trainer's pi_old, per unit (a token for GRPO, a sequence for GSPO), from {@code log(pi_old /
 * mu)}:
 *
 * <pre>
 *   correction \ decoupled   false                          true
 *   NONE                     1                              ratio
 *   TIS                      min(ratio, C)                  (same)
 *   MIS                      ratio if C_lo<=ratio<=C_hi, 0  (same)
 * </pre>
 *
 * TIS: Yao et al., "Your Efficient RL Framework Secretly Brings You Off-Policy RL Training" (2025).
 * MIS: IcePop (Ling team, "Small Leak Can Sink a Great Ship", 2025), whose M(k) keeps k inside the
 * band and zeroes it outside; verl calls this masked importance sampling. Decoupled PPO: Hilton et
 * al., "Batch Size-Invariance for Policy Optimization" (2022); AReaL (Fu et al. 2025) uses it for
 * staleness. PPO with TIS is decoupled PPO with a truncated weight, so {@code decoupled} only
 * changes NONE.
 *
 * <p>{@link #onHost} computes the same weights for callers that hold their log-probabilities as
 * Java arrays (the actors' pure-Java test policies), so that every policy in the project is
 * weighted by this one definition.
 */
public final class BehaviourWeight {
  /**
   * @param value the weight per unit, no gradient
   * @param dropped 1 where MIS dropped the unit, else 0 (float32)
   */
  record Weight(NDArray value, NDArray dropped) {}

  private BehaviourWeight() {}

  /**
   * The weight of each unit from its {@code log(pi_old / mu)}, on Java arrays (a temporary NDArray
   * scope inside).
   */
  public static float[] onHost(float[] logRatio, ObjectiveConfig c) {
    try (NDManager m = NDManager.newBaseManager()) {
      return of(m.create(logRatio), c).value().toFloatArray();
    }
  }

  /**
   * @param logRatio log(pi_old / mu) per unit, without gradient
   */
  static Weight of(NDArray logRatio, ObjectiveConfig c) {
    NDArray none = logRatio.zerosLike();
    if (!c.usesBehaviour()) {
      return new Weight(logRatio.onesLike(), none);
    }
    NDArray ratio = logRatio.stopGradient().exp();
    return switch (c.correction()) {
      case NONE -> new Weight(ratio, none);
      case TIS -> new Weight(ratio.minimum(c.tisCap()), none);
      case MIS -> {
        NDArray kept = ratio.gte(c.misLow()).logicalAnd(ratio.lte(c.misHigh()));
        yield new Weight(
            NDArrays.where(kept, ratio, none), kept.logicalNot().toType(DataType.FLOAT32, false));
      }
    };
  }
}
