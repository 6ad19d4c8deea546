package dev.r3.model.rl;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.util.function.Function;

/**
 * The B = 2, L = 3 batch every objective test starts from. Row 0 has two trained tokens and one
 * padding position, whose log-probabilities are garbage on purpose; row 1 has three.
 *
 * <pre>
 *   mask        [[1, 1, 0], [1,   1,   1  ]]
 *   advantages  [ +1,        -2            ]
 *   r = pi_theta/pi_old  [[1.1, 1.5, pad], [0.7, 0.9, 1.5]]
 * </pre>
 */
final class Tiny {
  static final float PAD = Float.NaN;
  static final float[][] MASK = {{1, 1, 0}, {1, 1, 1}};
  static final float[] ADV = {1, -2};
  static final float[][] LOGP_OLD = {{-1.0f, -2.0f, -0.5f}, {-0.3f, -1.2f, -2.2f}};
  static final float[][] RATIO = {{1.1f, 1.5f, PAD}, {0.7f, 0.9f, 1.5f}};
  static final float[][] ON_POLICY = {{1, 1, PAD}, {1, 1, 1}};

  private Tiny() {}

  /** log(base * ratio) per element: logp from pi_old and r, or log mu from pi_old and pi_old/mu. */
  static float[][] shifted(float[][] base, float[][] ratio, boolean divide) {
    float[][] out = new float[base.length][base[0].length];
    for (int b = 0; b < base.length; b++) {
      for (int t = 0; t < base[0].length; t++) {
        double d = Math.log(ratio[b][t]);
        out[b][t] = (float) (divide ? base[b][t] - d : base[b][t] + d);
      }
    }
    return out;
  }

  /** log pi_theta with r_t = ratio[b][t] against {@link #LOGP_OLD}. */
  static float[][] logp(float[][] ratio) {
    return shifted(LOGP_OLD, ratio, false);
  }

  /** log mu with pi_old / mu = ratio[b][t]. */
  static float[][] logpInfer(float[][] oldOverMu) {
    return shifted(LOGP_OLD, oldOverMu, true);
  }

  /** A batch whose logp requires gradient; logpInfer may be null. */
  static PolicyBatch batch(NDManager m, float[][] logp, float[][] logpInfer, float[] adv) {
    NDArray theta = m.create(logp);
    theta.setRequiresGradient(true);
    return PolicyBatch.of(
        theta,
        m.create(LOGP_OLD),
        logpInfer == null ? null : m.create(logpInfer),
        m.create(adv),
        m.create(MASK));
  }

  /**
   * Runs the loss under a fresh GradientCollector (one per JVM at a time) and returns d loss / d
   * logp.
   */
  static float[] gradient(NDArray logp, Function<NDArray, NDArray> loss) {
    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
      gc.backward(loss.apply(logp));
      try (NDArray g = logp.getGradient()) {
        return g.toFloatArray();
      }
    }
  }

  /** The objective's loss, differentiated. */
  static float[] gradient(PolicyBatch in, ObjectiveConfig cfg) {
    return gradient(in.logp(), x -> PolicyObjective.compute(in, cfg).loss());
  }
}
