package dev.r3.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.jni.JniUtils;
import java.util.Arrays;

/**
 * The few PyTorch calls that DJL's generic {@link NDArray} API makes slower or attaches to the
 * wrong manager. Every op here costs one JNI call, and every result belongs to the manager it is
 * given (or to the manager of its first, activation-side, argument), never to the long-lived
 * parameter manager.
 */
final class Nd {
  private Nd() {}

  /** {@code x W^T} for a Hugging Face {@code (out, in)} weight; result in {@code x}'s manager. */
  static NDArray linear(NDArray x, NDArray w) {
    return JniUtils.linear((PtNDArray) x, (PtNDArray) w, null);
  }

  /**
   * Rows {@code table[idx]} (any shape of {@code idx}); differentiable in {@code table}; in idx's
   * manager.
   */
  static NDArray rows(NDArray table, NDArray idx) {
    return JniUtils.embedding((PtNDArray) idx, (PtNDArray) table, false);
  }

  static NDArray sigmoid(NDArray x) {
    return JniUtils.sigmoid((PtNDArray) x);
  }

  /** {@code silu(x) = x * sigmoid(x)}. */
  static NDArray silu(NDArray x) {
    return x.mul(sigmoid(x));
  }

  /** A view {@code a[start:end]} along {@code dim}, owned by {@code into}. */
  static NDArray slice(NDArray a, int dim, long start, long end, NDManager into) {
    return own(JniUtils.slice((PtNDArray) a, dim, start, end, 1), into);
  }

  /** The view {@code a[i]}, owned by {@code into}. */
  static NDArray item(NDArray a, long i, NDManager into) {
    return JniUtils.getItem((PtNDArray) a, new long[] {i}, (PtNDManager) into);
  }

  /**
   * The L2 norm of all of {@code a}, a scalar in {@code a}'s manager (no temporary of a's size).
   */
  static NDArray norm2(NDArray a) {
    return JniUtils.norm((PtNDArray) a, 2, new int[0], false);
  }

  /**
   * Moves {@code a} to {@code into} (used for views of parameters, so they die with the step
   * scope).
   */
  static NDArray own(NDArray a, NDManager into) {
    if (a.getManager() != into) {
      a.attach(into);
    }
    return a;
  }

  /**
   * Copies {@code value} into {@code target[.., start:start+len, ..]} along {@code dim}, in place.
   */
  static void write(NDArray target, int dim, long start, NDArray value) {
    long[] min = new long[target.getShape().dimension()];
    long[] max = target.getShape().getShape().clone(); // getShape() exposes the cached array
    min[dim] = start;
    max[dim] = start + value.getShape().get(dim);
    write(target, min, max, value);
  }

  /** Copies {@code value} (broadcastable) into the box {@code target[min:max]}, in place. */
  static void write(NDArray target, long[] min, long[] max, NDArray value) {
    JniUtils.indexSet((PtNDArray) target, (PtNDArray) value, min, max, ones(min.length));
  }

  /** The view {@code a[min:max]} (one slice per axis), owned by {@code into}. */
  static NDArray view(NDArray a, long[] min, long[] max, NDManager into) {
    return JniUtils.index((PtNDArray) a, min, max, ones(min.length), (PtNDManager) into);
  }

  private static long[] ones(int n) {
    long[] step = new long[n];
    Arrays.fill(step, 1);
    return step;
  }
}
