package dev.r3.model.rl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDResource;
import ai.djl.ndarray.types.DataType;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;

/**
 * The clipped policy-gradient objectives of DESIGN.md section 3, as one pure function of a {@link
 * PolicyBatch}. With r = pi_theta / pi_old, A the sequence's advantage, w the detached behaviour
 * weight of {@link BehaviourWeight} and N the number of trained tokens in the batch:
 *
 * <pre>
 *   GRPO  pg_loss = (1/N) sum_{i,t} w_t * -min(r_t A_i, clip(r_t, 1-eps_lo, 1+eps_hi) A_i)
 *   GSPO  s_i     = exp( (1/|y_i|) sum_t log r_t )
 *         pg_loss = (1/G) sum_i   w_i * -min(s_i A_i, clip(s_i, 1-eps_lo, 1+eps_hi) A_i)
 *   KL    kl_loss = beta * (1/N) sum_{i,t} (pi_ref/pi_theta - log(pi_ref/pi_theta) - 1)
 *   loss  = pg_loss + kl_loss
 * </pre>
 *
 * GRPO: Shao et al., "DeepSeekMath", arXiv 2402.03300 (2024), with the token-level mean over the
 * whole batch of DAPO (Yu et al., arXiv 2503.14476, 2025) instead of DeepSeekMath's mean of
 * per-sequence means: every token weighs the same, so long answers are not down-weighted. GSPO:
 * Zheng et al., "Group Sequence Policy Optimization", arXiv 2507.18071 (2025): one
 * length-normalised ratio per sequence, clipped per sequence (hence the tiny clip range, {@link
 * ObjectiveConfig#gspo()}), mean over the G sequences that have trained tokens; the gradient flows
 * through s_i. For GSPO the train/infer correction is applied per sequence too, on the geometric
 * mean of pi_old/mu over the sequence's tokens, so a whole sequence is truncated (TIS) or dropped
 * (MIS). KL: the k3 estimator of DeepSeekMath, token mean for both algorithms, not weighted by w.
 *
 * <p>MIS-dropped units keep their place in N (and G): IcePop's formula zeroes their term without
 * renormalising, which keeps the loss scale independent of how many tokens drift.
 *
 * <p>Positions with mask 0 are replaced by 0 before any exp, so garbage there (padding, -inf)
 * cannot reach the loss or the gradient. All intermediates live in a scope closed before return;
 * only the loss survives, attached to {@code logp}'s manager (autograd keeps what backward needs).
 */
public final class PolicyObjective {
  private PolicyObjective() {}

  /** The surrogate of one algorithm, per unit (token or sequence). */
  private record Surrogate(
      NDArray pgLoss, // scalar, with gradient
      NDArray clipActive, // per unit, float 0/1
      BehaviourWeight.Weight weight,
      NDArray unitTokens) // per unit: how many trained tokens it stands for (mask, or lengths)
  {}

  /** Loss and statistics of one batch under one objective. */
  public static ObjectiveResult compute(PolicyBatch in, ObjectiveConfig cfg) {
    if (cfg.usesBehaviour() && in.logpInfer() == null) {
      throw new IllegalArgumentException(
          cfg.correction() + (cfg.decoupled() ? " (decoupled)" : "") + " needs logpInfer");
    }
    if (cfg.klCoef() > 0 && in.logpRef() == null) {
      throw new IllegalArgumentException("klCoef > 0 needs logpRef");
    }
    try (NDManager scope = NDManager.subManagerOf(in.logp())) {
      scope.tempAttachAll(distinct(in));
      NDArray mask = in.mask().toType(DataType.FLOAT32, false); // (B, L)
      NDArray trained = mask.gt(0f);
      int tokens = (int) trained.sum().getLong();
      float n = Math.max(tokens, 1); // an empty batch gives loss 0, not NaN
      NDArray adv = in.advantages().stopGradient(); // (B)

      NDArray logRatio =
          masked(trained, in.logp().sub(in.logpOld().stopGradient())); // log r_t, (B, L)
      NDArray behaviourLogRatio =
          cfg.usesBehaviour()
              ? masked(trained, in.logpOld().sub(in.logpInfer()).stopGradient()) // log(pi_old/mu)_t
              : logRatio.zerosLike();

      Surrogate s =
          switch (cfg.algorithm()) {
            case GRPO -> grpo(logRatio, behaviourLogRatio, adv, mask, n, cfg);
            case GSPO -> gspo(logRatio, behaviourLogRatio, adv, mask, cfg);
          };
      NDArray pgLoss = s.pgLoss();
      NDArray klLoss =
          cfg.klCoef() > 0
              ? klToReference(in, trained, mask, n).mul(cfg.klCoef())
              : pgLoss.zerosLike();
      NDArray loss = pgLoss.add(klLoss);

      return new ObjectiveResult(
          scope.ret(loss),
          pgLoss.getFloat(),
          klLoss.getFloat(),
          tokenMean(s.clipActive(), s.unitTokens(), n),
          tokenMean(k3(logRatio), mask, n), // KL(pi_old || pi_theta), as CleanRL's approx_kl
          tokenMean(s.weight().value(), s.unitTokens(), n),
          tokenMean(s.weight().dropped(), s.unitTokens(), n),
          tokens);
    }
  }

  // ---- the surrogates
  // ----------------------------------------------------------------------------

  private static Surrogate grpo(
      NDArray logRatio,
      NDArray behaviourLogRatio,
      NDArray adv,
      NDArray mask,
      float n,
      ObjectiveConfig c) {
    NDArray a = adv.expandDims(1); // (B, 1), broadcast per token
    NDArray ratio = logRatio.exp(); // r_t, (B, L)
    NDArray unclipped = ratio.mul(a).neg(); // -r A
    NDArray clipped = ratio.clip(1 - c.clipLow(), 1 + c.clipHigh()).mul(a).neg();
    NDArray perToken = unclipped.maximum(clipped); // -min(r A, clip(r) A)
    BehaviourWeight.Weight w = BehaviourWeight.of(behaviourLogRatio, c); // (B, L)
    NDArray pgLoss = perToken.mul(w.value()).mul(mask).sum().div(n);
    return new Surrogate(pgLoss, asFloat(clipped.gt(unclipped)), w, mask);
  }

  private static Surrogate gspo(
      NDArray logRatio, NDArray behaviourLogRatio, NDArray adv, NDArray mask, ObjectiveConfig c) {
    NDArray lengths = mask.sum(new int[] {1}); // |y_i|, (B)
    NDArray perLength = lengths.maximum(1f);
    NDArray hasTokens = asFloat(lengths.gt(0f));
    float sequences = Math.max(hasTokens.sum().getFloat(), 1f);
    NDArray seqRatio = logRatio.mul(mask).sum(new int[] {1}).div(perLength).exp(); // s_i, (B)
    NDArray unclipped = seqRatio.mul(adv).neg();
    NDArray clipped = seqRatio.clip(1 - c.clipLow(), 1 + c.clipHigh()).mul(adv).neg();
    NDArray perSequence = unclipped.maximum(clipped);
    // geometric mean of pi_old/mu over the sequence: the correction at the unit GSPO optimises
    NDArray seqBehaviour = behaviourLogRatio.mul(mask).sum(new int[] {1}).div(perLength);
    BehaviourWeight.Weight w = BehaviourWeight.of(seqBehaviour, c); // (B)
    NDArray pgLoss = perSequence.mul(w.value()).mul(hasTokens).sum().div(sequences);
    return new Surrogate(pgLoss, asFloat(clipped.gt(unclipped)), w, lengths);
  }

  /**
   * Token mean of k3(log(pi_ref / pi_theta)): DeepSeekMath's estimate of KL(pi_theta || pi_ref).
   */
  private static NDArray klToReference(PolicyBatch in, NDArray trained, NDArray mask, float n) {
    NDArray logRefOverTheta = masked(trained, in.logpRef().stopGradient().sub(in.logp()));
    return k3(logRefOverTheta).mul(mask).sum().div(n);
  }

  // ---- helpers
  // -----------------------------------------------------------------------------------

  /**
   * k3(x) = e^x - x - 1 for x = log(p/q): an unbiased, non-negative estimate of KL(q || p) under q.
   */
  private static NDArray k3(NDArray logRatio) {
    return logRatio.exp().sub(logRatio).sub(1f);
  }

  /** x where trained, 0 elsewhere; the where (unlike a product) stops NaN and inf at padding. */
  private static NDArray masked(NDArray trained, NDArray x) {
    return NDArrays.where(trained, x, x.zerosLike());
  }

  /**
   * Mean over trained tokens of a per-unit value, each unit counted once per token it stands for.
   */
  private static float tokenMean(NDArray perUnit, NDArray unitTokens, float n) {
    return perUnit.stopGradient().mul(unitTokens).sum().getFloat() / n;
  }

  private static NDArray asFloat(NDArray bool) {
    return bool.toType(DataType.FLOAT32, false);
  }

  /**
   * The inputs, each once: temp-attaching one array twice would leave it owned by the closed scope.
   */
  private static NDResource[] distinct(PolicyBatch in) {
    Set<NDArray> seen = Collections.newSetFromMap(new IdentityHashMap<>());
    for (NDArray a :
        new NDArray[] {
          in.logp(), in.logpOld(), in.logpInfer(), in.logpRef(), in.advantages(), in.mask()
        }) {
      if (a != null) {
        seen.add(a);
      }
    }
    return seen.toArray(new NDResource[0]);
  }
}
