package dev.r3.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.util.List;

/**
 * What a {@link PolicyLoss} sees of one trainer forward pass: sequence b's log-probability of token
 * t + 1 sits at {@code [b, t]}, right-padded to the longest sequence.
 *
 * @param logProbs (B, L) log pi_theta(tokens[t + 1] | tokens[..t]) at the trainer temperature, with
 *     gradient; L = max T - 1
 * @param mask (B, L) float: 1 where token t + 1 is trained on ({@link Sequence#trained}), 0 on
 *     prompt, observation and padding
 * @param sequences the batch, in row order
 */
public record TokenBatch(NDArray logProbs, NDArray mask, List<Sequence> sequences) {

  /** Rows. */
  public int batchSize() {
    return sequences.size();
  }

  /** Columns: longest sequence length minus one. */
  public int width() {
    return (int) logProbs.getShape().get(1);
  }

  /**
   * Per-token host values (one row per sequence, entry t for token t + 1, as the trainer's and the
   * rollout's log-probability arrays are laid out; rows may be shorter than {@link #width()}) as a
   * (B, L) array in the loss's scope, zero-padded.
   */
  public NDArray perToken(float[][] rows) {
    if (rows.length != sequences.size()) {
      throw new IllegalArgumentException(
          rows.length + " rows for " + sequences.size() + " sequences");
    }
    int w = width();
    float[] flat = new float[rows.length * w];
    for (int b = 0; b < rows.length; b++) {
      if (rows[b].length > w) {
        throw new IllegalArgumentException(
            "row " + b + " has " + rows[b].length + " values, width is " + w);
      }
      System.arraycopy(rows[b], 0, flat, b * w, rows[b].length);
    }
    return logProbs.getManager().create(flat, new Shape(rows.length, w));
  }

  /** One value per sequence as a (B, 1) array in the loss's scope (advantages, rewards). */
  public NDArray perSequence(float[] values) {
    if (values.length != sequences.size()) {
      throw new IllegalArgumentException(
          values.length + " values for " + sequences.size() + " sequences");
    }
    return logProbs.getManager().create(values, new Shape(values.length, 1));
  }
}
