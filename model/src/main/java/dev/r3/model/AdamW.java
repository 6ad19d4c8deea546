package dev.r3.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@link Trainer}'s optimizer: global-norm clipping folded into AdamW (PyTorch's formula,
 * decoupled decay on matrices only), with its moments in the trainer's long-lived manager.
 *
 * <p>Every op is in place on long-lived buffers: fresh parameter-sized allocations cost page faults
 * that were measured here at 10-70 ms per MB-sized tensor, and DJL's fused adamUpdate allocates
 * five per tensor.
 */
final class AdamW {
  private final ModelConfig config;
  private final TrainerOptions opts;
  private final List<String> names;
  private final List<NDArray> params;
  private final List<NDArray> firstMoment = new ArrayList<>();
  private final List<NDArray> secondMoment = new ArrayList<>();
  private final List<NDArray> scratch = new ArrayList<>(); // one per parameter: work in place
  private final boolean[] decays;
  private volatile float lr;
  private volatile long steps;

  /** {@code named}: parameters by device name, in the model's fixed order. */
  AdamW(ModelConfig config, TrainerOptions opts, Map<String, NDArray> named, NDManager manager) {
    this.config = config;
    this.opts = opts;
    this.lr = opts.lr();
    this.names = new ArrayList<>(named.keySet());
    this.params = new ArrayList<>(named.values());
    this.decays = new boolean[params.size()];
    for (int i = 0; i < params.size(); i++) {
      NDArray p = params.get(i);
      decays[i] = p.getShape().dimension() >= 2; // no decay on norm weights
      firstMoment.add(manager.zeros(p.getShape()));
      secondMoment.add(manager.zeros(p.getShape()));
      scratch.add(manager.zeros(p.getShape()));
    }
  }

  long steps() {
    return steps;
  }

  float learningRate() {
    return lr;
  }

  void setLearningRate(float v) {
    if (!(v >= 0) || Float.isInfinite(v)) {
      throw new IllegalArgumentException("lr must be finite and >= 0, got " + v);
    }
    lr = v;
  }

  /**
   * Clips the parameters' gradients to the global norm and takes one AdamW step; returns the norm
   * before clipping. A non-finite norm skips the update (and the step count).
   */
  float step(NDManager scope) {
    NDArray[] grads = new NDArray[params.size()];
    NDArray[] squares = new NDArray[params.size()];
    for (int i = 0; i < grads.length; i++) {
      grads[i] =
          Nd.own(params.get(i).getGradient(), scope); // a new handle each call: owned by the scope
      squares[i] = Nd.norm2(grads[i]);
    }
    double sum = 0;
    for (float v : NDArrays.stack(new NDList(squares)).toFloatArray()) {
      sum += (double) v * v;
    }
    float norm = (float) Math.sqrt(sum);
    if (!Float.isFinite(norm)) {
      return norm;
    }
    double scale =
        opts.gradClip() > 0 && norm > opts.gradClip() ? opts.gradClip() / (norm + 1e-6) : 1;
    long t = ++steps;
    double rate = lr;
    double b1 = opts.beta1();
    double b2 = opts.beta2();
    double bc1 = 1 - Math.pow(b1, t);
    double bc2 = 1 - Math.pow(b2, t);
    double gain1 = (1 - b1) * scale; // g' = scale * g
    double gain2 = (1 - b2) * scale * scale;
    // m = b1 m + (1 - b1) g'  =  gain1 * (m * b1 / gain1 + g)
    // v = b2 v + (1 - b2) g'^2 = gain2 * (v * b2 / gain2 + g^2)
    // p = p (1 - lr wd) - lr / bc1 * m / (sqrt(v / bc2) + eps)
    //   = p (1 - lr wd) - [lr sqrt(bc2) / bc1] * m * (sqrt(v) + eps sqrt(bc2))^-1
    NDArray mPre = scope.create((float) (b1 / gain1));
    NDArray mPost = scope.create((float) gain1);
    NDArray vPre = scope.create((float) (b2 / gain2));
    NDArray vPost = scope.create((float) gain2);
    NDArray decay = scope.create((float) (1 - rate * opts.weightDecay()));
    NDArray epsHat = scope.create((float) (opts.eps() * Math.sqrt(bc2)));
    NDArray stepSize = scope.create((float) (-rate * Math.sqrt(bc2) / bc1));
    NDArray zero = scope.create(0f);
    NDArray half = scope.create(0.5f);
    NDArray minusOne = scope.create(-1f);
    for (int i = 0; i < grads.length; i++) {
      NDArray p = params.get(i);
      NDArray g = grads[i];
      NDArray m = firstMoment.get(i);
      NDArray v = secondMoment.get(i);
      NDArray tmp = scratch.get(i);
      m.muli(mPre).addi(g).muli(mPost);
      tmp.muli(zero).addi(g).muli(g); // g^2
      v.muli(vPre).addi(tmp).muli(vPost);
      if (decays[i]) {
        p.muli(decay);
      }
      tmp.muli(zero).addi(v).powi(half).addi(epsHat).powi(minusOne).muli(m).muli(stepSize);
      p.addi(tmp);
    }
    return norm;
  }

  /** A host snapshot of the moments, step count and learning rate. */
  OptimizerState state() {
    Map<String, NDArray> m = new LinkedHashMap<>();
    Map<String, NDArray> v = new LinkedHashMap<>();
    for (int i = 0; i < names.size(); i++) {
      m.put(names.get(i), firstMoment.get(i));
      v.put(names.get(i), secondMoment.get(i));
    }
    return new OptimizerState(
        steps, lr, DeviceLayout.download(config, m), DeviceLayout.download(config, v));
  }

  /**
   * Replaces the state with {@code s}: the next step is then the one the saved optimizer would have
   * taken, bit for bit, given the same weights and gradients.
   *
   * @throws IllegalArgumentException when {@code s} describes another model
   */
  void restore(OptimizerState s, NDManager manager) {
    if (!s.firstMoment().config().equals(config)) {
      throw new IllegalArgumentException(
          "optimizer state is for another model: "
              + s.firstMoment().config()
              + ", trainer has "
              + config);
    }
    try (NDManager scope = manager.newSubManager()) {
      Map<String, NDArray> m = DeviceLayout.upload(s.firstMoment(), scope);
      Map<String, NDArray> v = DeviceLayout.upload(s.secondMoment(), scope);
      for (int i = 0; i < names.size(); i++) {
        copyInto(firstMoment.get(i), m.get(names.get(i)));
        copyInto(secondMoment.get(i), v.get(names.get(i)));
      }
    }
    steps = s.steps();
    lr = s.lr();
  }

  /** Exact copy into a long-lived buffer of the same shape (no arithmetic, no new handle). */
  private static void copyInto(NDArray target, NDArray source) {
    if (!target.getShape().equals(source.getShape())) {
      throw new IllegalArgumentException(
          "optimizer state shape " + source.getShape() + " does not fit " + target.getShape());
    }
    target.set(source.toByteBuffer());
  }
}
