package dev.r3.actors.learning;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A snapshot of the {@link Ledger}, in trajectories.
 *
 * @param dropped indexed by {@link DropReason#ordinal()}
 */
public record LedgerCounts(
    long produced,
    long trained,
    long inTraining,
    long buffered,
    long[] dropped,
    long[] abandonedGroups) {

  public LedgerCounts {
    dropped = dropped.clone();
    abandonedGroups = abandonedGroups.clone();
  }

  public LedgerCounts(long produced, long trained, long inTraining, long buffered, long[] dropped) {
    this(produced, trained, inTraining, buffered, dropped, new long[DropReason.values().length]);
  }

  /** Groups given up before a worker delivered their samples (no trajectory produced). */
  public Map<String, Long> abandonedGroupsByReason() {
    Map<String, Long> m = new LinkedHashMap<>();
    for (DropReason r : DropReason.values()) {
      if (abandonedGroups[r.ordinal()] > 0) {
        m.put(r.name().toLowerCase(Locale.ROOT), abandonedGroups[r.ordinal()]);
      }
    }
    return m;
  }

  public long abandonedGroups(DropReason r) {
    return abandonedGroups[r.ordinal()];
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
      m.put(r.name().toLowerCase(Locale.ROOT), dropped[r.ordinal()]);
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
        + (abandonedGroupsByReason().isEmpty()
            ? ""
            : " groups abandoned before delivery=" + abandonedGroupsByReason())
        + (inTraining + buffered > 0
            ? " open: in-training=" + inTraining + " buffered=" + buffered
            : "");
  }
}
