package dev.r3.actors.learning;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.function.LongPredicate;

/**
 * The accepted groups waiting for the learner, booked in the buffer's {@link Ledger} as they leave:
 * a batch takes the B lowest group ids waiting, in id order (so that it does not depend on the
 * order rollouts finished in); a group no longer fresh at the learner's version is dropped as
 * {@code stale}; a learner restart or the end of the run drops what it must. Not thread-safe: the
 * buffer owns it.
 */
public final class WaitingGroups {
  private final TreeMap<Long, ScoredGroup> waiting = new TreeMap<>();
  private final Ledger ledger;
  private final StalenessGate gate;

  public WaitingGroups(Ledger ledger, StalenessGate gate) {
    this.ledger = ledger;
    this.gate = gate;
  }

  public void add(ScoredGroup g) {
    waiting.put(g.groupId(), g);
  }

  public int size() {
    return waiting.size();
  }

  /** Drops ({@code stale}) the groups too old to train at {@code version}; returns them. */
  public List<ScoredGroup> dropStale(long version) {
    return drop(g -> !gate.fresh(g, version), DropReason.STALE);
  }

  /** Drops the groups generated after {@code version} for {@code reason}; returns them. */
  public List<ScoredGroup> dropGeneratedAfter(long version, DropReason reason) {
    return drop(generatedAt -> generatedAt > version, reason);
  }

  /** Drops every waiting group for {@code reason}; returns them. */
  public List<ScoredGroup> dropAll(DropReason reason) {
    return drop(generatedAt -> true, reason);
  }

  /**
   * The B lowest group ids waiting, counted in training; null (and nothing taken) while fewer than
   * B wait.
   */
  public List<ScoredGroup> takeBatch() {
    int b = gate.batchGroups();
    if (waiting.size() < b) {
      return null;
    }
    List<ScoredGroup> groups = new ArrayList<>(b);
    long trajectories = 0;
    for (int i = 0; i < b; i++) {
      ScoredGroup g = waiting.pollFirstEntry().getValue();
      groups.add(g);
      trajectories += g.members().size();
    }
    ledger.startTraining(trajectories);
    return groups;
  }

  private List<ScoredGroup> drop(LongPredicate byGeneratedAt, DropReason reason) {
    List<ScoredGroup> dropped = new ArrayList<>();
    var it = waiting.values().iterator();
    while (it.hasNext()) {
      ScoredGroup g = it.next();
      if (byGeneratedAt.test(g.version())) {
        it.remove();
        ledger.drop(g.members().size(), reason);
        dropped.add(g);
      }
    }
    return dropped;
  }
}
