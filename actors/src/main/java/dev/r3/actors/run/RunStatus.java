package dev.r3.actors.run;

import java.util.Locale;

/** How a run ended, as summary.json's {@code status} says it. */
public enum RunStatus {
  /** Every planned step trained, the ledger balanced. */
  FINISHED,
  /** Stopped by an error; summary.json's {@code failure} says which. */
  FAILED,
  /**
   * Stopped by a signal (SIGINT / SIGTERM) after a final checkpoint; {@code ./r3 train --resume}
   * continues it. summary.json's {@code failure} names the signal.
   */
  INTERRUPTED;

  /** The word written to summary.json. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
