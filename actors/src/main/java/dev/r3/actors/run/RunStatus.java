package dev.r3.actors.run;

import java.util.Locale;

/** How a run ended, as summary.json's {@code status} says it. */
public enum RunStatus {
  /** Every planned step trained, the ledger balanced. */
  FINISHED,
  /** Stopped by an error; summary.json's {@code failure} says which. */
  FAILED;

  /** The word written to summary.json. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
