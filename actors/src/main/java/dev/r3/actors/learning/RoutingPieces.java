package dev.r3.actors.learning;

import dev.r3.model.RoutingRecord;

/**
 * The routing record of one multi-turn trajectory, assembled from per-turn pieces: each turn adds
 * the positions the record does not hold yet, starting exactly where it ends (like SGLang's {@code
 * routed_experts_start_len}). A piece that starts anywhere else (a lost or a reordered piece) is an
 * error naming the trajectory, never a silent gap or overlap.
 */
public final class RoutingPieces {
  private final String trajectory;
  private RoutingRecord record;

  public RoutingPieces(String trajectory) {
    this.trajectory = trajectory;
  }

  /** Positions held so far. */
  public int positions() {
    return record == null ? 0 : record.positions();
  }

  /**
   * Appends positions {@code from .. from + piece.positions() - 1}.
   *
   * @throws IllegalStateException when {@code from} is not where the record ends, naming the
   *     trajectory and both positions
   */
  public void add(int from, RoutingRecord piece) {
    if (from != positions()) {
      throw new IllegalStateException(
          "routing of trajectory "
              + trajectory
              + ": a piece starts at position "
              + from
              + " but the record holds positions [0, "
              + positions()
              + ")"
              + (from > positions()
                  ? " (a piece is missing)"
                  : " (a piece arrived twice or out of order)"));
    }
    try {
      record = record == null ? piece : record.concat(piece);
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException(
          "routing of trajectory " + trajectory + ": " + e.getMessage(), e);
    }
  }

  /**
   * The whole record, which must hold {@code positions} positions.
   *
   * @throws IllegalStateException naming the trajectory when it holds another number
   */
  public RoutingRecord complete(int positions) {
    if (positions() != positions) {
      throw new IllegalStateException(
          "routing of trajectory "
              + trajectory
              + " holds "
              + positions()
              + " positions, its "
              + (positions + 1)
              + " tokens need "
              + positions
              + (positions() < positions ? " (a piece is missing)" : ""));
    }
    return record == null ? RoutingRecord.empty(0) : record;
  }
}
