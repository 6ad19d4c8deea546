package dev.r3.model;

/** How the trainer's MoE layers choose experts for a forward pass. */
public enum RoutingMode {
  /** Ordinary top-k of the trainer's own router (the baseline). */
  RECOMPUTE,
  /**
   * R3: use the expert ids recorded by the rollout engine; the gate is the softmax of the trainer's
   * router logits over just those ids, so the router still receives gradient.
   */
  REPLAY,
  /** R2: replay the trainer's own routing captured at the first mini-step of a batch. */
  R2
}
