package dev.r3.model;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * AdamW state of a {@link Trainer} on the host: what a resumed run needs besides the weights to
 * take the very same next step. Moments use the Hugging Face names and shapes of the weights (AdamW
 * is element-wise, so they follow the weights through {@link DeviceLayout} exactly), which keeps
 * saved state independent of how the device stacks its tensors.
 *
 * @param steps optimizer steps taken (the bias-correction count t)
 * @param lr the learning rate the next step uses
 * @param firstMoment exp_avg per parameter
 * @param secondMoment exp_avg_sq per parameter
 */
public record OptimizerState(
    long steps, float lr, ModelWeights firstMoment, ModelWeights secondMoment) {

  public OptimizerState {
    if (steps < 0) {
      throw new IllegalArgumentException("optimizer steps must be >= 0, got " + steps);
    }
    if (!(lr >= 0) || Float.isInfinite(lr)) {
      throw new IllegalArgumentException("lr must be finite and >= 0, got " + lr);
    }
    if (!firstMoment.config().equals(secondMoment.config())) {
      throw new IllegalArgumentException("the two moments describe different models");
    }
  }

  /** The state of a trainer that has not stepped yet: zero moments. */
  public static OptimizerState fresh(ModelConfig c, float lr) {
    Map<String, HostTensor> m = new LinkedHashMap<>();
    for (var e : ModelWeights.expectedShapes(c).entrySet()) {
      long n = 1;
      for (int d : e.getValue()) {
        n *= d;
      }
      m.put(e.getKey(), new HostTensor(e.getValue(), new float[Math.toIntExact(n)]));
    }
    ModelWeights zeros = new ModelWeights(c, m);
    return new OptimizerState(0, lr, zeros, zeros);
  }

  /** Bit-exact equality (steps, lr and every moment value). */
  public boolean sameAs(OptimizerState o) {
    return steps == o.steps
        && Float.floatToRawIntBits(lr) == Float.floatToRawIntBits(o.lr)
        && firstMoment.sameAs(o.firstMoment)
        && secondMoment.sameAs(o.secondMoment);
  }
}
