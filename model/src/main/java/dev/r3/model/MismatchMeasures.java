package dev.r3.model;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The training-inference mismatch measures of DESIGN.md section 2, in plain Java over host arrays.
 *
 * <p>Per response token t, with {@code rho_t = pi_train(y_t) / pi_infer(y_t)} computed from
 * log-probs as {@code exp(lp_train - lp_infer)}:
 *
 * <ul>
 *   <li>mismatch KL, the k3 estimator {@code mean_t (rho_t - 1 - log rho_t)}; evaluated as {@code
 *       expm1(d) - d} with {@code d = log rho_t}, the same number without the cancellation of
 *       {@code rho - 1} when rho is near 1 (it always is);
 *   <li>extreme-token fractions {@code F(tau) = mean_t 1[max(rho_t, 1/rho_t) > tau]} at tau = 1.5,
 *       2, 5 (strictly greater).
 * </ul>
 *
 * <p>Router disagreement compares the rollout engine's routing record of a sequence with the
 * trainer's (recomputed) one over the same positions: the fraction of (position, layer) pairs whose
 * top-k expert <em>set</em> differs (order within the k is ignored), the same per layer, and the
 * fraction of positions that differ in at least one layer.
 *
 * <p>Which positions count ({@link RoutingPositions}): a record of a T-token sequence holds T - 1
 * positions (DESIGN.md section 1). {@link RoutingPositions#ALL} counts all of them, prompt
 * included, as the paper's "every token" figures do; {@link RoutingPositions#RESPONSE} counts the
 * positions whose output predicts a response token, {@code promptLength - 1 .. T - 2}, so that it
 * covers exactly the tokens the KL is taken over (one position per response token). Prompt
 * positions matter too (their keys and values feed every response token), which is why ALL is the
 * default.
 *
 * <p>Accumulation is exact: an {@link Accumulator} keeps sums and counts, so adding batches one by
 * one, or merging per-worker accumulators, gives the same summary as one big batch. A mean over no
 * tokens is NaN (not 0: "no data" must not read as "no mismatch").
 */
public final class MismatchMeasures {
  private MismatchMeasures() {}

  /** The extreme-token thresholds reported, in {@link Summary} order. */
  public static final double TAU_1_5 = 1.5;

  public static final double TAU_2 = 2.0;
  public static final double TAU_5 = 5.0;

  /** Which routing positions of a sequence are compared. See the class comment. */
  public enum RoutingPositions {
    /** All T - 1 positions of the record, prompt and response. */
    ALL,
    /**
     * Positions {@code promptLength - 1 .. T - 2}: those whose output predicts a response token.
     */
    RESPONSE
  }

  /** k3 term of one token, from {@code d = lp_train - lp_infer}: {@code rho - 1 - log rho}. */
  public static double k3(double logRatio) {
    return Math.expm1(logRatio) - logRatio;
  }

  /** True when {@code max(rho, 1/rho) > tau} for {@code rho = exp(logRatio)}. */
  public static boolean extreme(double logRatio, double tau) {
    double rho = Math.exp(logRatio);
    return Math.max(rho, 1 / rho) > tau;
  }

  /** A fresh accumulator counting all routing positions. */
  public static Accumulator accumulator() {
    return new Accumulator(RoutingPositions.ALL);
  }

  /** A fresh accumulator counting the given routing positions. */
  public static Accumulator accumulator(RoutingPositions positions) {
    return new Accumulator(positions);
  }

  /** The token measures of one batch of response tokens (no routing). */
  public static Summary ofTokens(float[] trainLogprobs, float[] inferLogprobs) {
    return accumulator().addTokens(trainLogprobs, inferLogprobs).summary();
  }

  /**
   * Immutable result.
   *
   * @param kl mean k3 over response tokens
   * @param extreme1_5 F(1.5)
   * @param extreme2 F(2)
   * @param extreme5 F(5)
   * @param routerDisagreement fraction of (position, layer) pairs with a different top-k set
   * @param perLayer the same fraction for each MoE layer (empty when nothing was routed)
   * @param tokenAnyLayer fraction of positions that differ in at least one layer
   * @param tokens response tokens measured (the KL and F denominators)
   * @param routedPositions routing positions compared (the tokenAnyLayer denominator)
   */
  public record Summary(
      double kl,
      double extreme1_5,
      double extreme2,
      double extreme5,
      double routerDisagreement,
      double[] perLayer,
      double tokenAnyLayer,
      long tokens,
      long routedPositions) {

    public Summary {
      perLayer = perLayer.clone();
    }

    @Override
    public double[] perLayer() {
      return perLayer.clone();
    }

    /**
     * Namespaced metrics: {@code mismatch/kl}, {@code mismatch/extreme_1.5}, {@code
     * mismatch/extreme_2}, {@code mismatch/extreme_5}, {@code mismatch/tokens}, {@code
     * routing/disagreement}, {@code routing/token_any_layer}, {@code routing/positions}, {@code
     * routing/disagreement/layer_i}.
     */
    public Map<String, Double> metrics() {
      Map<String, Double> m = new LinkedHashMap<>();
      m.put("mismatch/kl", kl);
      m.put("mismatch/extreme_1.5", extreme1_5);
      m.put("mismatch/extreme_2", extreme2);
      m.put("mismatch/extreme_5", extreme5);
      m.put("mismatch/tokens", (double) tokens);
      m.put("routing/disagreement", routerDisagreement);
      m.put("routing/token_any_layer", tokenAnyLayer);
      m.put("routing/positions", (double) routedPositions);
      for (int l = 0; l < perLayer.length; l++) {
        m.put("routing/disagreement/layer_" + l, perLayer[l]);
      }
      return m;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Summary s
          && Double.compare(s.kl, kl) == 0
          && Double.compare(s.extreme1_5, extreme1_5) == 0
          && Double.compare(s.extreme2, extreme2) == 0
          && Double.compare(s.extreme5, extreme5) == 0
          && Double.compare(s.routerDisagreement, routerDisagreement) == 0
          && Arrays.equals(s.perLayer, perLayer)
          && Double.compare(s.tokenAnyLayer, tokenAnyLayer) == 0
          && s.tokens == tokens
          && s.routedPositions == routedPositions;
    }

    @Override
    public int hashCode() {
      return Double.hashCode(kl) * 31
          + Arrays.hashCode(perLayer)
          + Long.hashCode(tokens + 7 * routedPositions);
    }

    @Override
    public String toString() {
      return String.format(
          "Summary[kl=%.3e, F(1.5)=%.4f, F(2)=%.4f, F(5)=%.4f, router=%.4f, perLayer=%s,"
              + " tokenAnyLayer=%.4f, tokens=%d, positions=%d]",
          kl,
          extreme1_5,
          extreme2,
          extreme5,
          routerDisagreement,
          Arrays.toString(perLayer),
          tokenAnyLayer,
          tokens,
          routedPositions);
    }
  }

  /**
   * Sums and counts over any number of batches; not thread-safe (merge per-thread ones instead).
   */
  public static final class Accumulator {
    private final RoutingPositions positions;
    private double klSum;
    private long tokens;
    private long extreme15;
    private long extreme2;
    private long extreme5;
    private long[] layerDiffs = new long[0]; // per layer, differing pairs
    private long routedPositions;
    private long anyLayerDiffs;
    private final LogRatioHistogram absLogRatio = new LogRatioHistogram();

    Accumulator(RoutingPositions positions) {
      this.positions = positions;
    }

    public RoutingPositions positions() {
      return positions;
    }

    /**
     * Adds response tokens: {@code train[i]} and {@code infer[i]} are the two engines' log-probs of
     * the same sampled token.
     *
     * @throws IllegalArgumentException for different lengths or a non-finite log-prob (naming it)
     */
    public Accumulator addTokens(float[] trainLogprobs, float[] inferLogprobs) {
      return addTokens(trainLogprobs, inferLogprobs, null);
    }

    /**
     * As {@link #addTokens(float[], float[])}, skipping tokens whose {@code mask} entry is 0. A
     * sample is added whole or not at all: every token is checked before any is counted.
     */
    public Accumulator addTokens(float[] trainLogprobs, float[] inferLogprobs, byte[] mask) {
      if (trainLogprobs.length != inferLogprobs.length) {
        throw new IllegalArgumentException(
            "train has " + trainLogprobs.length + " log-probs, infer has " + inferLogprobs.length);
      }
      if (mask != null && mask.length != trainLogprobs.length) {
        throw new IllegalArgumentException(
            "mask has " + mask.length + " entries for " + trainLogprobs.length + " tokens");
      }
      for (int i = 0; i < trainLogprobs.length; i++) {
        float a = trainLogprobs[i];
        float b = inferLogprobs[i];
        if ((mask == null || mask[i] != 0) && (!Float.isFinite(a) || !Float.isFinite(b))) {
          throw new IllegalArgumentException(
              "token " + i + ": log-probs must be finite, got train " + a + ", infer " + b);
        }
      }
      for (int i = 0; i < trainLogprobs.length; i++) {
        if (mask != null && mask[i] == 0) {
          continue;
        }
        double d = (double) trainLogprobs[i] - (double) inferLogprobs[i];
        klSum += k3(d);
        tokens++;
        absLogRatio.add(d);
        double rho = Math.exp(d);
        double worst = Math.max(rho, 1 / rho);
        if (worst > TAU_1_5) {
          extreme15++;
        }
        if (worst > TAU_2) {
          extreme2++;
        }
        if (worst > TAU_5) {
          extreme5++;
        }
      }
      return this;
    }

    /**
     * The distribution of |log pi_train - log pi_infer| over the tokens added (a copy: adding more
     * tokens later does not change it).
     */
    public LogRatioHistogram absLogRatio() {
      LogRatioHistogram copy = new LogRatioHistogram();
      copy.merge(absLogRatio);
      return copy;
    }

    /**
     * Adds the routing of one sequence, compared over the positions this accumulator counts.
     *
     * @param rollout the rollout engine's record ({@code T - 1} positions)
     * @param trainer the trainer's record of the same sequence, same shape
     * @param promptLength prompt tokens of the sequence (used by {@link RoutingPositions#RESPONSE})
     * @throws IllegalArgumentException when the records' shapes differ or the prompt length does
     *     not fit
     */
    public Accumulator addRouting(RoutingRecord rollout, RoutingRecord trainer, int promptLength) {
      if (rollout.positions() != trainer.positions()
          || rollout.layers() != trainer.layers()
          || rollout.k() != trainer.k()
          || rollout.numExperts() != trainer.numExperts()) {
        throw new IllegalArgumentException(
            "routing records differ in shape: rollout " + rollout + ", trainer " + trainer);
      }
      int p = rollout.positions();
      if (promptLength < 1 || promptLength > p + 1) {
        throw new IllegalArgumentException(
            "prompt length "
                + promptLength
                + " outside [1, "
                + (p + 1)
                + "] for a record of "
                + p
                + " positions");
      }
      int layers = rollout.layers();
      if (layers == 0) {
        return this; // dense model: nothing routed
      }
      if (layerDiffs.length == 0) {
        layerDiffs = new long[layers];
      } else if (layerDiffs.length != layers) {
        throw new IllegalArgumentException(
            "record has " + layers + " layers, earlier ones had " + layerDiffs.length);
      }
      int from = positions == RoutingPositions.ALL ? 0 : promptLength - 1;
      int k = rollout.k();
      int[] a = rollout.toIntArray();
      int[] b = trainer.toIntArray();
      int[] sa = new int[k];
      int[] sb = new int[k];
      for (int pos = from; pos < p; pos++) {
        boolean any = false;
        for (int l = 0; l < layers; l++) {
          int off = (pos * layers + l) * k;
          System.arraycopy(a, off, sa, 0, k);
          System.arraycopy(b, off, sb, 0, k);
          Arrays.sort(sa);
          Arrays.sort(sb);
          if (!Arrays.equals(sa, sb)) {
            layerDiffs[l]++;
            any = true;
          }
        }
        routedPositions++;
        if (any) {
          anyLayerDiffs++;
        }
      }
      return this;
    }

    /**
     * Adds one sequence of T tokens: its T - promptLength response-token log-probs and its two
     * routing records of T - 1 positions. The counts are checked against each other (the off-by-one
     * at the prompt boundary is the classic routing-replay bug).
     */
    public Accumulator addSequence(
        float[] trainLogprobs,
        float[] inferLogprobs,
        RoutingRecord rollout,
        RoutingRecord trainer,
        int promptLength) {
      int responseTokens = rollout.positions() + 1 - promptLength;
      if (trainLogprobs.length != responseTokens) {
        throw new IllegalArgumentException(
            "a record of "
                + rollout.positions()
                + " positions and a prompt of "
                + promptLength
                + " tokens mean "
                + responseTokens
                + " response tokens, but "
                + trainLogprobs.length
                + " log-probs were given");
      }
      addTokens(trainLogprobs, inferLogprobs);
      return addRouting(rollout, trainer, promptLength);
    }

    /** Adds everything {@code other} holds (same positions rule and layer count). */
    public Accumulator merge(Accumulator other) {
      if (other.positions != positions) {
        throw new IllegalArgumentException(
            "cannot merge " + other.positions + " into " + positions);
      }
      if (other.layerDiffs.length > 0) {
        if (layerDiffs.length == 0) {
          layerDiffs = new long[other.layerDiffs.length];
        } else if (layerDiffs.length != other.layerDiffs.length) {
          throw new IllegalArgumentException(
              "cannot merge " + other.layerDiffs.length + " layers into " + layerDiffs.length);
        }
        for (int l = 0; l < layerDiffs.length; l++) {
          layerDiffs[l] += other.layerDiffs[l];
        }
      }
      klSum += other.klSum;
      tokens += other.tokens;
      extreme15 += other.extreme15;
      extreme2 += other.extreme2;
      extreme5 += other.extreme5;
      routedPositions += other.routedPositions;
      anyLayerDiffs += other.anyLayerDiffs;
      absLogRatio.merge(other.absLogRatio);
      return this;
    }

    /** The measures so far (NaN for a mean over nothing). */
    public Summary summary() {
      double[] perLayer = new double[layerDiffs.length];
      long pairDiffs = 0;
      for (int l = 0; l < perLayer.length; l++) {
        perLayer[l] = ratio(layerDiffs[l], routedPositions);
        pairDiffs += layerDiffs[l];
      }
      return new Summary(
          tokens == 0 ? Double.NaN : klSum / tokens,
          ratio(extreme15, tokens),
          ratio(extreme2, tokens),
          ratio(extreme5, tokens),
          ratio(pairDiffs, routedPositions * layerDiffs.length),
          perLayer,
          ratio(anyLayerDiffs, routedPositions),
          tokens,
          routedPositions);
    }

    private static double ratio(long num, long den) {
      return den == 0 ? Double.NaN : (double) num / den;
    }
  }
}
