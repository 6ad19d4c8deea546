package dev.r3.actors.learning;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A snapshot of the {@link Ledger}, in trajectories.
 *
 * @param dropped indexed by {@link DropReason#ordinal()}
 */
public record LedgerCounts(
    long produced, long trained, long inTraining, long buffered, long[] dropped) {

  public LedgerCounts {
    dropped = dropped.clone();
  }

  public long droppedTotal() {
    long n = 0;
    for (long d : dropped) {
      n += d;
    }
    return n;
  }

  public long dropped(DropReason r) {
    return dropped[r.ordinal()];
  }

  /** produced = trained + dropped, with nothing left in the buffer or in training. */
  public boolean closed() {
    return buffered == 0 && inTraining == 0 && produced == trained + droppedTotal();
  }

  public Map<String, Long> droppedByReason() {
    Map<String, Long> m = new LinkedHashMap<>();
    for (DropReason r : DropReason.values()) {
      m.put(r.name().toLowerCase(java.util.Locale.ROOT), dropped[r.ordinal()]);
    }
    return m;
  }

  @Override
  public String toString() {
    return "produced="
        + produced
        + " trained="
        + trained
        + " dropped="
        + droppedTotal()
        + droppedByReason()
        + (inTraining + buffered > 0
            ? " open: in-training=" + inTraining + " buffered=" + buffered
            : "");
  }
}
