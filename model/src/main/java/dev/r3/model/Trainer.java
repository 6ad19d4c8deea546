package dev.r3.model;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The float32 learner-side model: scores sequences teacher-forced and takes AdamW steps on a {@link
 * PolicyLoss}. The learner owns exactly one (DJL allows one gradient collector per process).
 *
 * <p>Batches are right-padded; each sequence's positions start at 0. A sequence of T tokens is fed
 * as its first T - 1 tokens (the last token predicts nothing), so logits, log-probabilities and
 * routing records all cover positions 0..T-2. Routing per {@link RoutingMode}:
 *
 * <ul>
 *   <li>RECOMPUTE: the trainer's own top-k;
 *   <li>REPLAY (R3): the rollout engine's records, checked against each sequence before computing;
 *   <li>R2: the same mechanics with the trainer's own records from the batch's first mini-step
 *       (every call returns the records it used).
 * </ul>
 *
 * A dense model ignores the mode and returns empty records.
 *
 * <p>Memory: parameters and optimizer state live in one long-lived manager; every call works in a
 * sub-manager closed at its end, so the number of live arrays stays flat over a run.
 */
public final class Trainer implements AutoCloseable {
  private final ModelConfig config;
  private final TrainerOptions opts;
  private final NDManager manager;
  private final MoeDecoder model;
  private final List<NDArray> params;
  private final List<NDArray> firstMoment = new ArrayList<>();
  private final List<NDArray> secondMoment = new ArrayList<>();
  private final List<NDArray> scratch =
      new ArrayList<>(); // one per parameter: the update works in place
  private final boolean[] decays;
  private volatile float lr;
  private volatile long steps;

  /**
   * Nanoseconds of the last step's phases: forward + loss, backward, clip + AdamW (for benchmarks).
   */
  final long[] lastPhaseNanos = new long[3];

  public Trainer(ModelWeights init, TrainerOptions opts) {
    this.config = init.config();
    this.opts = opts;
    this.lr = opts.lr();
    this.manager = NDManager.newBaseManager();
    this.model = MoeDecoder.load(init, manager, true, false);
    this.params = model.parameters();
    this.decays = new boolean[params.size()];
    for (int i = 0; i < params.size(); i++) {
      NDArray p = params.get(i);
      decays[i] = p.getShape().dimension() >= 2; // no decay on norm weights
      firstMoment.add(manager.zeros(p.getShape()));
      secondMoment.add(manager.zeros(p.getShape()));
      scratch.add(manager.zeros(p.getShape()));
    }
  }

  public ModelConfig config() {
    return config;
  }

  public TrainerOptions options() {
    return opts;
  }

  public long steps() {
    return steps;
  }

  public float learningRate() {
    return lr;
  }

  /** Sets the learning rate for the following steps (schedules live in the caller). */
  public void setLearningRate(float v) {
    if (!(v >= 0) || Float.isInfinite(v)) {
      throw new IllegalArgumentException("lr must be finite and >= 0, got " + v);
    }
    lr = v;
  }

  /** Dispatch override for tests (AUTO picks by token count). */
  void setDispatch(ExpertDispatch.Mode d) {
    model.dispatch.mode = d;
  }

  /** Arrays alive in the trainer's managers (parameters, optimizer state, anything leaked). */
  int liveArrays() {
    return manager.getManagedArrays().size();
  }

  // ------------------------------------------------------------------ scoring

  /**
   * Log-probabilities of every token after the first, without gradient.
   *
   * @param replay one record per sequence for REPLAY and R2 (T - 1 positions each); null for
   *     RECOMPUTE
   */
  public synchronized ScoreResult score(
      List<Sequence> seqs, RoutingMode mode, List<RoutingRecord> replay) {
    JniUtils.setGradMode(false);
    Batch b = batch(seqs, mode, replay);
    try (NDManager scope = manager.newSubManager()) {
      NDArray logp = forward(b, scope);
      return new ScoreResult(b.rows(logp.toFloatArray()), b.records());
    }
  }

  // ------------------------------------------------------------------ training

  /**
   * One optimizer step: forward with gradient, {@code loss}, backward, global-norm clipping, AdamW.
   * A non-finite gradient skips the update (reported as the step's grad norm).
   */
  public synchronized StepResult trainStep(
      List<Sequence> seqs, RoutingMode mode, List<RoutingRecord> replay, PolicyLoss loss) {
    JniUtils.setGradMode(false);
    Batch b = batch(seqs, mode, replay);
    try (NDManager scope = manager.newSubManager()) {
      NDArray logp;
      NDArray value;
      long t0 = System.nanoTime();
      long t1;
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        logp = forward(b, scope);
        NDArray mask = scope.create(b.trained, new Shape(b.rows, b.width));
        value = loss.apply(new TokenBatch(logp, mask, seqs), scope);
        if (value.getShape().size() != 1) {
          throw new IllegalArgumentException(
              "loss must be a scalar, got shape " + value.getShape());
        }
        t1 = System.nanoTime();
        gc.backward(value);
      }
      JniUtils.setGradMode(false);
      long t2 = System.nanoTime();
      float lossValue = value.toFloatArray()[0];
      float gradNorm = clipAndUpdate(scope);
      lastPhaseNanos[0] = t1 - t0;
      lastPhaseNanos[1] = t2 - t1;
      lastPhaseNanos[2] = System.nanoTime() - t2;
      return new StepResult(steps, lossValue, gradNorm, b.records(), b.rows(logp.toFloatArray()));
    } finally {
      for (NDArray p : params) {
        JniUtils.zeroGrad((PtNDArray) p);
      }
    }
  }

  /**
   * Global-norm clipping folded into AdamW (PyTorch's formula, decoupled decay on matrices only).
   * Every op is in place on long-lived buffers: fresh parameter-sized allocations cost page faults
   * that were measured here at 10-70 ms per MB-sized tensor, and DJL's fused adamUpdate allocates
   * five per tensor.
   */
  private float clipAndUpdate(NDManager scope) {
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

  /**
   * Gradients of {@code loss} for the named parameters (device names: Hugging Face names for all
   * but the stacked experts), without updating anything. For gradient checks.
   */
  synchronized java.util.Map<String, float[]> gradients(
      List<Sequence> seqs,
      RoutingMode mode,
      List<RoutingRecord> replay,
      PolicyLoss loss,
      java.util.Collection<String> names) {
    JniUtils.setGradMode(false);
    Batch b = batch(seqs, mode, replay);
    java.util.Map<String, float[]> out = new java.util.LinkedHashMap<>();
    try (NDManager scope = manager.newSubManager()) {
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        NDArray logp = forward(b, scope);
        NDArray mask = scope.create(b.trained, new Shape(b.rows, b.width));
        gc.backward(loss.apply(new TokenBatch(logp, mask, seqs), scope));
      }
      JniUtils.setGradMode(false);
      for (String name : names) {
        NDArray p = model.named.get(name);
        if (p == null) {
          throw new IllegalArgumentException("no parameter named " + name);
        }
        out.put(name, Nd.own(p.getGradient(), scope).toFloatArray());
      }
    } finally {
      for (NDArray p : params) {
        JniUtils.zeroGrad((PtNDArray) p);
      }
    }
    return out;
  }

  // ------------------------------------------------------------------ weights

  /** A host snapshot of the current weights (for checkpoints and publishing to rollout workers). */
  public synchronized ModelWeights weights() {
    return model.toHost();
  }

  /** A host snapshot of the AdamW state (moments, step count, learning rate). */
  public synchronized OptimizerState optimizerState() {
    List<String> names = new ArrayList<>(model.named.keySet());
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
   * Replaces the AdamW state with {@code s} (a resumed run): the next step is then the one the
   * saved trainer would have taken, bit for bit, given the same weights and batch.
   *
   * @throws IllegalArgumentException when {@code s} describes another model
   */
  public synchronized void restoreOptimizerState(OptimizerState s) {
    if (!s.firstMoment().config().equals(config)) {
      throw new IllegalArgumentException(
          "optimizer state is for another model: "
              + s.firstMoment().config()
              + ", trainer has "
              + config);
    }
    List<String> names = new ArrayList<>(model.named.keySet());
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

  @Override
  public synchronized void close() {
    manager.close();
  }

  // ------------------------------------------------------------------ batching

  private NDArray forward(Batch b, NDManager scope) {
    NDArray hidden = model.forward(b.window, null, scope); // (B, L, H)
    NDArray targets = scope.create(b.targets, new Shape(b.rows, b.width)); // (B, L)
    return MoeDecoder.targetLogProbs(model.logits(hidden), targets, opts.temperature());
  }

  /** Host side of one right-padded batch. */
  private final class Batch {
    final List<Sequence> seqs;
    final int rows;
    final int width;
    final long[] targets;
    final float[] trained;
    final MoeDecoder.Window window;

    Batch(List<Sequence> seqs, int width) {
      this.seqs = seqs;
      this.rows = seqs.size();
      this.width = width;
      long[] ids = new long[rows * width];
      long[] positions = new long[rows * width];
      boolean[] computed = new boolean[rows * width];
      float[] keyMask = new float[rows * width];
      this.targets = new long[rows * width];
      this.trained = new float[rows * width];
      for (int b = 0; b < rows; b++) {
        Sequence s = seqs.get(b);
        int fed = s.length() - 1;
        for (int t = 0; t < width; t++) {
          int i = b * width + t;
          if (t < fed) {
            ids[i] = s.tokens()[t];
            targets[i] = s.tokens()[t + 1];
            positions[i] = t;
            computed[i] = true;
            trained[i] = s.trained(t + 1) ? 1f : 0f;
          } else {
            keyMask[i] = MoeDecoder.MASKED;
          }
        }
      }
      this.window =
          new MoeDecoder.Window(
              rows,
              width,
              width,
              ids,
              positions,
              computed,
              MoeDecoder.Window.causal(width, width, 0),
              keyMask,
              config.numLayers());
    }

    /** Splits a (B, L) host array into per-sequence rows of T - 1 values. */
    float[][] rows(float[] flat) {
      float[][] out = new float[rows][];
      for (int b = 0; b < rows; b++) {
        out[b] = new float[seqs.get(b).length() - 1];
        System.arraycopy(flat, b * width, out[b], 0, out[b].length);
      }
      return out;
    }

    /** The routing the forward pass used, per sequence, positions 0..T-2. */
    List<RoutingRecord> records() {
      List<RoutingRecord> out = new ArrayList<>(rows);
      for (int b = 0; b < rows; b++) {
        int fed = seqs.get(b).length() - 1;
        if (!config.isMoe()) {
          out.add(RoutingRecord.empty(fed));
          continue;
        }
        int layers = config.numLayers();
        int k = config.topK();
        int[] flat = new int[fed * layers * k];
        for (int l = 0; l < layers; l++) {
          int[] used = window.used[l];
          for (int t = 0; t < fed; t++) {
            System.arraycopy(used, (b * width + t) * k, flat, (t * layers + l) * k, k);
          }
        }
        out.add(RoutingRecord.of(fed, layers, k, config.numExperts(), flat));
      }
      return out;
    }
  }

  private Batch batch(List<Sequence> seqs, RoutingMode mode, List<RoutingRecord> replay) {
    if (seqs.isEmpty()) {
      throw new IllegalArgumentException("empty batch");
    }
    int width = 0;
    for (Sequence s : seqs) {
      if (s.length() - 1 > config.maxPositions()) {
        throw new IllegalArgumentException(
            "sequence '"
                + s.id()
                + "' has "
                + s.length()
                + " tokens; the model takes at most max_position_embeddings + 1 = "
                + (config.maxPositions() + 1));
      }
      for (int t : s.tokens()) {
        if (t < 0 || t >= config.vocabSize()) {
          throw new IllegalArgumentException(
              "sequence '"
                  + s.id()
                  + "' holds token "
                  + t
                  + " outside the vocabulary [0, "
                  + config.vocabSize()
                  + ")");
        }
      }
      width = Math.max(width, s.length() - 1);
    }
    Batch b = new Batch(seqs, width);
    if (config.isMoe() && mode != RoutingMode.RECOMPUTE) {
      fillReplay(b, mode, replay);
    }
    return b;
  }

  /**
   * Lays replayed records out per layer as the window's (B*L*k) id arrays, after checking each one.
   */
  private void fillReplay(Batch b, RoutingMode mode, List<RoutingRecord> replay) {
    if (replay == null || replay.size() != b.rows) {
      throw new IllegalArgumentException(
          mode
              + " needs one routing record per sequence: got "
              + (replay == null ? "none" : replay.size())
              + " for "
              + b.rows
              + " sequences");
    }
    int layers = config.numLayers();
    int k = config.topK();
    for (int b2 = 0; b2 < b.rows; b2++) {
      Sequence s = b.seqs.get(b2);
      RoutingRecord r = replay.get(b2);
      if (r == null) {
        throw new RoutingMismatchException(
            "routing record of sequence '" + s.id() + "' is missing");
      }
      r.checkAligned(s.id(), s.length(), layers, k);
      if (r.numExperts() != config.numExperts()) {
        throw new RoutingMismatchException(
            "routing record of sequence '"
                + s.id()
                + "' does not match it: "
                + "experts "
                + r.numExperts()
                + " != "
                + config.numExperts());
      }
    }
    for (int l = 0; l < layers; l++) {
      int[] ids = new int[b.rows * b.width * k];
      for (int i = 0; i < b.rows * b.width; i++) {
        for (int j = 0; j < k; j++) {
          ids[i * k + j] = j; // padding: any distinct valid ids, outputs unused
        }
      }
      b.window.replay[l] = ids;
    }
    for (int b2 = 0; b2 < b.rows; b2++) {
      int[] flat = replay.get(b2).toIntArray(); // [position][layer][slot]
      int fed = b.seqs.get(b2).length() - 1;
      for (int t = 0; t < fed; t++) {
        for (int l = 0; l < layers; l++) {
          System.arraycopy(
              flat, (t * layers + l) * k, b.window.replay[l], (b2 * b.width + t) * k, k);
        }
      }
    }
  }
}
