package dev.r3.env;

/**
 * Which half of a task's problem space an episode is drawn from.
 *
 * <p>The split is decided by the <em>problem</em>, not by the seed: a stable hash of the prompt
 * puts about {@link #EVAL_FRACTION} of all problems into {@link #EVAL} and the rest into {@link
 * #TRAIN}. Seeds then pick problems inside one half by rejection. So no eval problem can ever be
 * trained on, even for small problem spaces (a 2-digit times 1-digit table) where two seed streams
 * would collide.
 */
public enum Split {
  TRAIN,
  EVAL;

  /** Share of the problem space held out for evaluation. */
  public static final double EVAL_FRACTION = 0.2;

  /** The split a problem belongs to, from a stable hash of its prompt text. */
  public static Split of(String prompt) {
    long h = 0xcbf29ce484222325L; // FNV-1a 64 over UTF-16 units, then a splitmix finaliser
    for (int i = 0; i < prompt.length(); i++) {
      h ^= prompt.charAt(i);
      h *= 0x100000001b3L;
    }
    h = Seeds.mix(h);
    double u = (h >>> 11) * 0x1.0p-53;
    return u < EVAL_FRACTION ? EVAL : TRAIN;
  }
}
