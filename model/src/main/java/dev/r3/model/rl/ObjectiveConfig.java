package dev.r3.model.rl;

/**
 * Which policy objective the trainer optimises, and its constants. One record, validated once; see
 * {@link PolicyObjective} for the formulas.
 *
 * @param algorithm GRPO (token ratio, token clip) or GSPO (sequence ratio, sequence clip)
 * @param clipLow eps_lo: the ratio is clipped below at 1 - clipLow
 * @param clipHigh eps_hi: the ratio is clipped above at 1 + clipHigh (DAPO's clip-higher: >
 *     clipLow)
 * @param correction how the train/infer ratio pi_old / mu is tamed: none, truncated (TIS), masked
 *     (MIS)
 * @param tisCap C of TIS: the weight is min(pi_old / mu, C)
 * @param misLow C_lo of MIS: units with pi_old / mu below it are dropped
 * @param misHigh C_hi of MIS: units with pi_old / mu above it are dropped
 * @param decoupled weight by pi_old / mu even when {@code correction} is NONE (decoupled PPO, where
 *     {@code logpOld} holds the proximal policy); with TIS or MIS the weight is applied anyway and
 *     this flag changes nothing
 * @param klCoef beta of the k3 KL penalty to a reference policy; 0 = off (needs {@code logpRef})
 */
public record ObjectiveConfig(
    Algorithm algorithm,
    float clipLow,
    float clipHigh,
    Correction correction,
    float tisCap,
    float misLow,
    float misHigh,
    boolean decoupled,
    float klCoef) {

  /** PPO's clip range, which DeepSeekMath's GRPO keeps. DAPO raises the upper end to 0.28. */
  public static final float GRPO_CLIP = 0.2f;

  /** DAPO's clip-higher (Yu et al. 2025): the upper end raised to 0.28 against entropy collapse. */
  public static final float DAPO_CLIP_HIGH = 0.28f;

  /**
   * GSPO's ranges (Zheng et al. 2025): a sequence ratio is a geometric mean, so it moves far less.
   */
  public static final float GSPO_CLIP_LOW = 3e-4f;

  public static final float GSPO_CLIP_HIGH = 4e-4f;

  /** Yao et al. 2025 (verl's tis_imp_ratio_cap) truncate at 2. */
  public static final float TIS_CAP = 2f;

  /**
   * IcePop's band (Ling team, Ring-1T, 2025): keep a token while 0.5 <= pi_train / pi_infer <= 5.
   */
  public static final float MIS_LOW = 0.5f;

  public static final float MIS_HIGH = 5f;

  /** The surrogate. */
  public enum Algorithm {
    GRPO,
    GSPO
  }

  /** The train/infer correction (the ratio pi_old / mu, detached). */
  public enum Correction {
    /** No weight (unless {@code decoupled}). */
    NONE,
    /** Truncated importance sampling: weight min(ratio, tisCap). */
    TIS,
    /** Masked importance sampling (IcePop): weight ratio inside [misLow, misHigh], else 0. */
    MIS
  }

  public ObjectiveConfig {
    if (algorithm == null || correction == null) {
      throw new IllegalArgumentException("algorithm and correction are required");
    }
    if (!(clipLow >= 0 && clipLow < 1) || !(clipHigh >= 0) || Float.isInfinite(clipHigh)) {
      throw new IllegalArgumentException(
          "clip range must satisfy 0 <= clipLow < 1 and finite clipHigh >= 0, got "
              + clipLow
              + ", "
              + clipHigh);
    }
    if (!(tisCap > 0)) {
      throw new IllegalArgumentException("tisCap must be > 0, got " + tisCap);
    }
    if (!(misLow >= 0 && misLow <= 1 && misHigh >= 1)) {
      throw new IllegalArgumentException(
          "MIS band must satisfy 0 <= misLow <= 1 <= misHigh, got ["
              + misLow
              + ", "
              + misHigh
              + "]");
    }
    if (!(klCoef >= 0) || Float.isInfinite(klCoef)) {
      throw new IllegalArgumentException("klCoef must be finite and >= 0, got " + klCoef);
    }
  }

  /** GRPO with PPO's symmetric clip 0.2, no correction, no KL. */
  public static ObjectiveConfig grpo() {
    return new ObjectiveConfig(
        Algorithm.GRPO,
        GRPO_CLIP,
        GRPO_CLIP,
        Correction.NONE,
        TIS_CAP,
        MIS_LOW,
        MIS_HIGH,
        false,
        0f);
  }

  /** GSPO with the paper's clip range 3e-4 / 4e-4, no correction, no KL. */
  public static ObjectiveConfig gspo() {
    return new ObjectiveConfig(
        Algorithm.GSPO,
        GSPO_CLIP_LOW,
        GSPO_CLIP_HIGH,
        Correction.NONE,
        TIS_CAP,
        MIS_LOW,
        MIS_HIGH,
        false,
        0f);
  }

  public ObjectiveConfig withClip(float low, float high) {
    return new ObjectiveConfig(
        algorithm, low, high, correction, tisCap, misLow, misHigh, decoupled, klCoef);
  }

  public ObjectiveConfig withCorrection(Correction c) {
    return new ObjectiveConfig(
        algorithm, clipLow, clipHigh, c, tisCap, misLow, misHigh, decoupled, klCoef);
  }

  public ObjectiveConfig withDecoupled(boolean d) {
    return new ObjectiveConfig(
        algorithm, clipLow, clipHigh, correction, tisCap, misLow, misHigh, d, klCoef);
  }

  public ObjectiveConfig withKlCoef(float beta) {
    return new ObjectiveConfig(
        algorithm, clipLow, clipHigh, correction, tisCap, misLow, misHigh, decoupled, beta);
  }

  /** Whether the objective reads the rollout engine's log-probabilities. */
  public boolean usesBehaviour() {
    return decoupled || correction != Correction.NONE;
  }
}
