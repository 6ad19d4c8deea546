package dev.r3.model;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Temperature and nucleus (top-p) sampling over one row of logits, in Java on the host (the
 * vocabulary is small; copying a row out of the engine costs less than the ops to sample inside
 * it).
 *
 * <p>The log-probability returned is that of the sampled token under the distribution it was drawn
 * from <em>before</em> the top-p cut (the temperature-scaled softmax), which is the distribution
 * the trainer recomputes; with top-p < 1 the difference is the usual, documented, truncation bias.
 */
public final class Sampler {
  private final float temperature;
  private final float topP;
  private final SplittableRandom rng;

  public Sampler(SamplingParams p, long stream) {
    this.temperature = p.temperature();
    this.topP = p.topP();
    // One independent, reproducible stream per sequence: results do not depend on batch
    // composition.
    this.rng = new SplittableRandom(p.seed() * 0x9E3779B97F4A7C15L + stream);
  }

  /** A sampled token and its log-probability under the temperature-scaled softmax. */
  public record Draw(int token, float logProb) {}

  /**
   * Samples from {@code logits[offset .. offset+vocab)}.
   *
   * @throws IllegalStateException when the logits hold NaN or are all -infinity (a broken model)
   */
  public Draw sample(float[] logits, int offset, int vocab) {
    double max = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < vocab; i++) {
      float v = logits[offset + i];
      if (Float.isNaN(v)) {
        throw new IllegalStateException("model produced NaN logits (token " + i + ")");
      }
      max = Math.max(max, v / temperature);
    }
    if (max == Double.NEGATIVE_INFINITY) {
      throw new IllegalStateException("model produced only -infinity logits");
    }
    double[] p = new double[vocab];
    double z = 0;
    for (int i = 0; i < vocab; i++) {
      p[i] = Math.exp(logits[offset + i] / temperature - max);
      z += p[i];
    }
    double logZ = Math.log(z) + max;
    int token;
    if (topP >= 1f) {
      token = draw(p, z, null);
    } else {
      Integer[] order = new Integer[vocab];
      for (int i = 0; i < vocab; i++) {
        order[i] = i;
      }
      Arrays.sort(
          order, (a, b) -> Double.compare(p[b], p[a]) != 0 ? Double.compare(p[b], p[a]) : a - b);
      double cum = 0;
      int keep = 0;
      while (keep < vocab && cum < topP * z) {
        cum += p[order[keep]];
        keep++;
      }
      Integer[] kept = Arrays.copyOf(order, Math.max(keep, 1));
      token = draw(p, cum, kept);
    }
    return new Draw(token, (float) (logits[offset + token] / temperature - logZ));
  }

  private int draw(double[] p, double mass, Integer[] support) {
    double u = rng.nextDouble() * mass;
    if (support == null) {
      for (int i = 0; i < p.length; i++) {
        u -= p[i];
        if (u < 0) {
          return i;
        }
      }
      // Rounding left u >= 0: return the last token with mass.
      for (int i = p.length - 1; i >= 0; i--) {
        if (p[i] > 0) {
          return i;
        }
      }
      return p.length - 1;
    }
    for (Integer i : support) {
      u -= p[i];
      if (u < 0) {
        return i;
      }
    }
    return support[support.length - 1];
  }
}
