package dev.r3.actors.learning;

import dev.r3.model.RoutingRecord;

/**
 * Training-inference mismatch over the generated tokens of a batch (DESIGN.md section 2), with
 * {@code rho_t = pi_train(y_t) / pi_infer(y_t)}: the k3 KL {@code mean(rho - 1 - log rho)}, the
 * extreme-token fraction F(2), and the router disagreement (fraction of (position, layer) pairs whose
 * top-k sets differ). Accumulate, then read.
 */
public final class Mismatch {
  private double kl;
  private long extreme;
  private long tokens;
  private long routerDiffer;
  private long routerPairs;

  /** train and infer aligned with tokens[1..T-1]; positions before promptLength - 1 are skipped. */
  public void addTokens(float[] train, float[] infer, int promptLength) {
    for (int i = promptLength - 1; i < train.length; i++) {
      double logRho = train[i] - infer[i];
      double rho = Math.exp(logRho);
      kl += rho - 1 - logRho;
      if (Math.max(rho, 1 / rho) > 2) {
        extreme++;
      }
      tokens++;
    }
  }

  /** Compares two records of the same sequence, position by position and layer by layer. */
  public void addRouting(RoutingRecord trainer, RoutingRecord rollout) {
    if (trainer == null || rollout == null || rollout.layers() == 0) {
      return;
    }
    int positions = Math.min(trainer.positions(), rollout.positions());
    int layers = Math.min(trainer.layers(), rollout.layers());
    for (int p = 0; p < positions; p++) {
      for (int l = 0; l < layers; l++) {
        if (!trainer.sameSet(rollout, p, l)) {
          routerDiffer++;
        }
        routerPairs++;
      }
    }
  }

  public double kl() {
    return tokens == 0 ? Double.NaN : kl / tokens;
  }

  public double extreme2() {
    return tokens == 0 ? Double.NaN : (double) extreme / tokens;
  }

  public double routerDisagreement() {
    return routerPairs == 0 ? Double.NaN : (double) routerDiffer / routerPairs;
  }
}
