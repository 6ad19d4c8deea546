package dev.r3.actors.learning;

import dev.r3.actors.config.R3Config;
import dev.r3.actors.engine.PolicyTrainer;
import dev.r3.actors.engine.PolicyTrainer.MiniBatch;
import dev.r3.actors.engine.PolicyTrainer.MiniStepResult;
import dev.r3.actors.engine.PolicyTrainer.Scores;
import dev.r3.model.ModelConfig;
import dev.r3.model.RoutingMode;
import dev.r3.model.RoutingRecord;
import dev.r3.model.Sequence;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * One learner step of asynchronous GRPO/GSPO, free of actors: B groups in, M optimizer steps out.
 *
 * <ol>
 *   <li>order the groups by id (the batch is the same whatever order rollouts finished in);
 *   <li>advantages per group; under R3, check each routing record against its tokens;
 *   <li>score pi_prox with the weights at the start of the batch (R3: replaying the rollout routing;
 *       R2: recomputing, and that routing is then replayed by every mini-step);
 *   <li>measure the training-inference mismatch (and router disagreement with an extra recompute pass);
 *   <li>split the sequences into M mini-batches, one optimizer step each.
 * </ol>
 */
public final class RlStep {
  private final R3Config.Algorithm algo;
  private final int miniSteps;
  private final boolean measureRouting;

  public RlStep(R3Config.Algorithm algo, int miniSteps, boolean measureRouting) {
    this.algo = algo;
    this.miniSteps = miniSteps;
    this.measureRouting = measureRouting;
  }

  /**
   * @param reference a frozen scorer for the KL term, or null
   * @param version   the learner's version before this step (for staleness)
   */
  public StepStats run(PolicyTrainer trainer, PolicyTrainer reference, long version, List<ScoredGroup> batch) {
    long t0 = System.nanoTime();
    List<ScoredGroup> groups = new ArrayList<>(batch);
    groups.sort(Comparator.comparingLong(ScoredGroup::groupId));

    // ---- flatten: sequences, advantages, behaviour log-probs, staleness ----
    List<Trajectory> trajs = new ArrayList<>();
    List<Float> adv = new ArrayList<>();
    double rewardSum = 0;
    int correct = 0;
    double stalenessSum = 0;
    long stalenessMax = 0;
    for (ScoredGroup g : groups) {
      float[] rewards = new float[g.members().size()];
      for (int i = 0; i < rewards.length; i++) {
        rewards[i] = g.members().get(i).reward();
      }
      float[] a = GroupAdvantages.of(rewards, algo.advantageEps());
      for (int i = 0; i < rewards.length; i++) {
        ScoredTrajectory m = g.members().get(i);
        trajs.add(m.trajectory());
        adv.add(a[i]);
        rewardSum += m.reward();
        correct += m.correct() ? 1 : 0;
      }
      long staleness = version - g.version();
      stalenessSum += staleness;
      stalenessMax = Math.max(stalenessMax, staleness);
    }
    int n = trajs.size();
    List<Sequence> seqs = new ArrayList<>(n);
    List<float[]> mu = new ArrayList<>(n);
    List<RoutingRecord> rolloutRouting = new ArrayList<>(n);
    long trainedTokens = 0;
    ModelConfig mc = trainer.weights().config();
    for (Trajectory t : trajs) {
      seqs.add(t.sequence());
      mu.add(alignedBehaviour(t));
      rolloutRouting.add(t.routing());
      trainedTokens += t.generatedTokens();
      if (algo.routing() == R3Config.Routing.R3 && mc.isMoe()) {
        // DESIGN.md section 8: verify the record at the trainer (T - 1 positions x layers x k).
        t.routing().checkAligned(t.id(), t.tokens().length, mc.numLayers(), mc.topK());
      }
    }

    // ---- pi_prox: the weights at the start of the batch ----
    boolean replayRollout = algo.routing() == R3Config.Routing.R3 && mc.isMoe();
    Scores prox = trainer.score(seqs, replayRollout ? RoutingMode.REPLAY : RoutingMode.RECOMPUTE,
        replayRollout ? rolloutRouting : null);
    RoutingMode trainMode = RoutingMode.RECOMPUTE;
    List<RoutingRecord> replay = null;
    if (replayRollout) {
      trainMode = RoutingMode.REPLAY;
      replay = rolloutRouting;
    } else if (algo.routing() == R3Config.Routing.R2 && mc.isMoe()) {
      trainMode = RoutingMode.REPLAY;
      replay = prox.routing();
    }

    // ---- mismatch measures ----
    Mismatch mm = new Mismatch();
    for (int i = 0; i < n; i++) {
      mm.addTokens(prox.logProbs().get(i), mu.get(i), seqs.get(i).promptLength());
    }
    if (measureRouting && mc.isMoe()) {
      List<RoutingRecord> natural = replayRollout
          ? trainer.score(seqs, RoutingMode.RECOMPUTE, null).routing()
          : prox.routing();
      for (int i = 0; i < n; i++) {
        mm.addRouting(natural.get(i), rolloutRouting.get(i));
      }
    }
    List<float[]> ref = null;
    if (algo.klCoef() > 0 && reference != null) {
      ref = reference.score(seqs, trainMode, replay).logProbs();
    }

    // ---- M mini-steps ----
    double loss = 0;
    double gradNorm = 0;
    double clip = 0;
    int steps = 0;
    for (int[] range : split(n, miniSteps)) {
      int from = range[0];
      int to = range[1];
      float[] a = new float[to - from];
      for (int i = from; i < to; i++) {
        a[i - from] = adv.get(i);
      }
      MiniBatch mb = new MiniBatch(seqs.subList(from, to), trainMode,
          replay == null ? null : replay.subList(from, to), a,
          prox.logProbs().subList(from, to), mu.subList(from, to),
          ref == null ? null : ref.subList(from, to), algo);
      MiniStepResult r = trainer.step(mb);
      loss += r.loss();
      gradNorm += r.gradNorm();
      clip += r.clipFrac();
      steps++;
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    return new StepStats(groups.size(), n, trainedTokens, rewardSum / n, (double) correct / n, mm.kl(),
        mm.extreme2(), mm.routerDisagreement(), loss / steps, gradNorm / steps, clip / steps,
        stalenessSum / groups.size(), stalenessMax, seconds);
  }

  /** The rollout log-probabilities placed at tokens[1..T-1] positions (prompt positions hold 0). */
  static float[] alignedBehaviour(Trajectory t) {
    float[] out = new float[t.tokens().length - 1];
    System.arraycopy(t.logProbs(), 0, out, t.promptLength() - 1, t.logProbs().length);
    return out;
  }

  /** [from, to) ranges of n items split into m nearly equal contiguous parts (none empty). */
  static List<int[]> split(int n, int m) {
    int parts = Math.max(1, Math.min(m, n));
    List<int[]> out = new ArrayList<>(parts);
    int from = 0;
    for (int p = 0; p < parts; p++) {
      int size = n / parts + (p < n % parts ? 1 : 0);
      out.add(new int[] {from, from + size});
      from += size;
    }
    return out;
  }
}
