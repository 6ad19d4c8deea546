package dev.r3.model;

/**
 * Optimizer and scoring settings of the {@link Trainer}.
 *
 * @param lr AdamW learning rate
 * @param weightDecay decoupled weight decay (AdamW), applied to matrices only, never to norm
 *     weights
 * @param beta1 first-moment decay
 * @param beta2 second-moment decay
 * @param eps AdamW denominator epsilon
 * @param gradClip global L2 norm the gradient is clipped to; {@code <= 0} disables clipping
 * @param temperature logits are divided by it before log-softmax; must equal the rollout sampling
 *     temperature so that pi_train and pi_infer are the same distribution
 */
public record TrainerOptions(
    float lr,
    float weightDecay,
    float beta1,
    float beta2,
    float eps,
    float gradClip,
    float temperature) {

  public TrainerOptions {
    if (!(lr >= 0) || Float.isInfinite(lr)) {
      throw new IllegalArgumentException("lr must be finite and >= 0, got " + lr);
    }
    if (!(weightDecay >= 0)) {
      throw new IllegalArgumentException("weight decay must be >= 0, got " + weightDecay);
    }
    if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
      throw new IllegalArgumentException("betas must be in [0, 1), got " + beta1 + ", " + beta2);
    }
    if (!(eps > 0)) {
      throw new IllegalArgumentException("eps must be > 0, got " + eps);
    }
    if (!(temperature > 0) || Float.isInfinite(temperature)) {
      throw new IllegalArgumentException("temperature must be finite and > 0, got " + temperature);
    }
  }

  /** lr 1e-3, weight decay 0.01, betas (0.9, 0.95), eps 1e-8, clip 1.0, temperature 1.0. */
  public static TrainerOptions defaults() {
    return new TrainerOptions(1e-3f, 0.01f, 0.9f, 0.95f, 1e-8f, 1.0f, 1.0f);
  }

  public TrainerOptions withLr(float v) {
    return new TrainerOptions(v, weightDecay, beta1, beta2, eps, gradClip, temperature);
  }

  public TrainerOptions withWeightDecay(float v) {
    return new TrainerOptions(lr, v, beta1, beta2, eps, gradClip, temperature);
  }

  public TrainerOptions withGradClip(float v) {
    return new TrainerOptions(lr, weightDecay, beta1, beta2, eps, v, temperature);
  }

  public TrainerOptions withTemperature(float v) {
    return new TrainerOptions(lr, weightDecay, beta1, beta2, eps, gradClip, v);
  }
}
