package dev.r3.actors.djl;

import ai.djl.ndarray.NDArray;
import dev.r3.actors.config.R3Config;
import dev.r3.actors.ports.PolicyTrainer;
import dev.r3.model.CoreShare;
import dev.r3.model.ModelConfig;
import dev.r3.model.ModelWeights;
import dev.r3.model.OptimizerState;
import dev.r3.model.PolicyLoss;
import dev.r3.model.RoutingMode;
import dev.r3.model.RoutingRecord;
import dev.r3.model.ScoreResult;
import dev.r3.model.Sequence;
import dev.r3.model.StepResult;
import dev.r3.model.Trainer;
import dev.r3.model.TrainerOptions;
import dev.r3.model.rl.ObjectiveConfig;
import dev.r3.model.rl.ObjectiveResult;
import dev.r3.model.rl.PolicyBatch;
import dev.r3.model.rl.PolicyObjective;
import java.util.Arrays;
import java.util.List;

/**
 * The model's {@link Trainer} with the RL objective of {@code dev.r3.model.rl} as the pipeline's
 * {@link PolicyTrainer}: host arrays in, host arrays out; every DJL array lives in the trainer's
 * step scope.
 */
public final class DjlTrainer implements PolicyTrainer {
  private final Trainer trainer;
  private final CoreShare cores;

  /** Every thread keeps the process's intra-op setting. */
  public DjlTrainer(ModelWeights init, R3Config c) {
    this(init, c, CoreShare.FIXED);
  }

  /**
   * Each score and mini-step computes in a {@link CoreShare.Role#LEARNER} section of {@code cores}.
   */
  public DjlTrainer(ModelWeights init, R3Config c, CoreShare cores) {
    this.trainer = new Trainer(init, options(c));
    this.cores = cores;
  }

  public static PolicyTrainer.Factory factory() {
    return factory(CoreShare.FIXED);
  }

  public static PolicyTrainer.Factory factory(CoreShare cores) {
    return (init, c) -> new DjlTrainer(init, c, cores);
  }

  static TrainerOptions options(R3Config c) {
    return TrainerOptions.defaults()
        .withLr((float) c.learner().lr())
        .withWeightDecay((float) c.learner().weightDecay())
        .withGradClip((float) c.learner().maxGradNorm())
        .withTemperature(c.rollout().temperature());
  }

  /** The objective of {@code r3.algorithm}. */
  public static ObjectiveConfig objective(R3Config.Algorithm a) {
    ObjectiveConfig.Correction corr =
        a.tis()
            ? ObjectiveConfig.Correction.TIS
            : a.mis() ? ObjectiveConfig.Correction.MIS : ObjectiveConfig.Correction.NONE;
    ObjectiveConfig base =
        a.name() == R3Config.Algo.GSPO ? ObjectiveConfig.gspo() : ObjectiveConfig.grpo();
    return new ObjectiveConfig(
        base.algorithm(),
        a.clipLow(),
        a.clipHigh(),
        corr,
        a.tisCap(),
        a.misLow(),
        a.misHigh(),
        a.decoupledPpo(),
        a.klCoef());
  }

  @Override
  public ModelConfig config() {
    return trainer.config();
  }

  @Override
  public ScoreResult score(List<Sequence> sequences, RoutingMode mode, List<RoutingRecord> replay) {
    try (CoreShare.Section s = cores.enter(CoreShare.Role.LEARNER)) {
      return trainer.score(sequences, mode, replay);
    }
  }

  @Override
  public MiniStepResult step(MiniBatch b) {
    ObjectiveConfig cfg = objective(b.algorithm());
    float[][] prox = b.proxLogProbs().toArray(new float[0][]);
    float[][] mu = b.behaviourLogProbs().toArray(new float[0][]);
    float[][] ref = b.refLogProbs() == null ? null : b.refLogProbs().toArray(new float[0][]);
    ObjectiveResult[] out = new ObjectiveResult[1];
    PolicyLoss loss =
        (batch, scope) -> {
          NDArray adv = scope.create(b.advantages());
          NDArray logpRef = ref == null ? null : batch.perToken(ref);
          PolicyBatch in =
              new PolicyBatch(
                  batch.logProbs(),
                  batch.perToken(prox),
                  batch.perToken(mu),
                  logpRef,
                  adv,
                  batch.mask());
          out[0] = PolicyObjective.compute(in, cfg);
          return out[0].loss();
        };
    StepResult r;
    try (CoreShare.Section s = cores.enter(CoreShare.Role.LEARNER)) {
      r = trainer.trainStep(b.sequences(), b.mode(), b.replay(), loss);
    }
    return new MiniStepResult(
        r.loss(),
        r.gradNorm(),
        out[0] == null ? Float.NaN : out[0].clipFrac(),
        Arrays.asList(r.logProbs()),
        out[0] == null ? java.util.Map.of() : out[0].metrics());
  }

  @Override
  public ModelWeights weights() {
    return trainer.weights();
  }

  @Override
  public OptimizerState optimizerState() {
    return trainer.optimizerState();
  }

  @Override
  public void restoreOptimizerState(OptimizerState state) {
    trainer.restoreOptimizerState(state);
  }

  @Override
  public void close() {
    trainer.close();
  }
}
