package dev.r3.model;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import java.util.Collection;
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
  private final AdamW optimizer;

  /**
   * Nanoseconds of the last step's phases: forward + loss, backward, clip + AdamW (for benchmarks).
   */
  final long[] lastPhaseNanos = new long[3];

  public Trainer(ModelWeights init, TrainerOptions opts) {
    this.config = init.config();
    this.opts = opts;
    this.manager = NDManager.newBaseManager();
    this.model = MoeDecoder.load(init, manager, true, false);
    this.params = model.parameters();
    this.optimizer = new AdamW(config, opts, model.named, manager);
  }

  public ModelConfig config() {
    return config;
  }

  public TrainerOptions options() {
    return opts;
  }

  public long steps() {
    return optimizer.steps();
  }

  public float learningRate() {
    return optimizer.learningRate();
  }

  /** Sets the learning rate for the following steps (schedules live in the caller). */
  public void setLearningRate(float v) {
    optimizer.setLearningRate(v);
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
    TrainingBatch b = TrainingBatch.of(config, seqs, mode, replay);
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
    TrainingBatch b = TrainingBatch.of(config, seqs, mode, replay);
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
      float gradNorm = optimizer.step(scope);
      lastPhaseNanos[0] = t1 - t0;
      lastPhaseNanos[1] = t2 - t1;
      lastPhaseNanos[2] = System.nanoTime() - t2;
      return new StepResult(
          optimizer.steps(), lossValue, gradNorm, b.records(), b.rows(logp.toFloatArray()));
    } finally {
      for (NDArray p : params) {
        JniUtils.zeroGrad((PtNDArray) p);
      }
    }
  }

  /**
   * Gradients of {@code loss} for the named parameters (device names: Hugging Face names for all
   * but the stacked experts), without updating anything. For gradient checks.
   */
  synchronized Map<String, float[]> gradients(
      List<Sequence> seqs,
      RoutingMode mode,
      List<RoutingRecord> replay,
      PolicyLoss loss,
      Collection<String> names) {
    JniUtils.setGradMode(false);
    TrainingBatch b = TrainingBatch.of(config, seqs, mode, replay);
    Map<String, float[]> out = new LinkedHashMap<>();
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
    return optimizer.state();
  }

  /**
   * Replaces the AdamW state with {@code s} (a resumed run): the next step is then the one the
   * saved trainer would have taken, bit for bit, given the same weights and batch.
   *
   * @throws IllegalArgumentException when {@code s} describes another model
   */
  public synchronized void restoreOptimizerState(OptimizerState s) {
    optimizer.restore(s, manager);
  }

  @Override
  public synchronized void close() {
    manager.close();
  }

  // ------------------------------------------------------------------ batching

  private NDArray forward(TrainingBatch b, NDManager scope) {
    NDArray hidden = model.forward(b.window, null, scope); // (B, L, H)
    NDArray targets = scope.create(b.targets, new Shape(b.rows, b.width)); // (B, L)
    return MoeDecoder.targetLogProbs(model.logits(hidden), targets, opts.temperature());
  }
}
