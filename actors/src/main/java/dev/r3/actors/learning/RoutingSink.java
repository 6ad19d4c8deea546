package dev.r3.actors.learning;

import dev.r3.model.RoutingRecord;

/**
 * Where a rollout sends the routing of a trajectory piece by piece, as the engine produces it: each
 * piece covers the positions {@code from .. from + piece.positions() - 1} that no earlier piece of
 * that sample covered (see {@link RoutingPieces}, which assembles them). Called from the thread
 * that plays the batch.
 */
@FunctionalInterface
public interface RoutingSink {

  /** Keeps nothing: the caller takes each trajectory's whole record at the end. */
  RoutingSink NONE = (sample, from, piece) -> {};

  /**
   * @param sample the trajectory's index in its group
   * @param from its first position
   */
  void piece(int sample, int from, RoutingRecord piece);
}
