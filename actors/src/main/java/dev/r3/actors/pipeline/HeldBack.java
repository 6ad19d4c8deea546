package dev.r3.actors.pipeline;

import dev.r3.actors.chaos.ChaosLog;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Chaos's stale delay, on the {@link ReplayBuffer}'s side: finished groups held back until they are
 * past the staleness bound (or the run drains, or a learner restart made them newer than the
 * buffer), and how each held group ended, logged once in the chaos log. Not thread-safe: the buffer
 * owns it.
 */
final class HeldBack {
  private final List<ReplayBuffer.GroupFinished> held = new ArrayList<>();
  private final Set<Long> delayed = new HashSet<>();
  private final ChaosLog log;

  HeldBack(ChaosLog log) {
    this.log = log;
  }

  void hold(ReplayBuffer.GroupFinished g) {
    held.add(g);
    delayed.add(g.groupId());
  }

  /** Takes out the held groups that may go in at {@code version} under staleness {@code eta}. */
  List<ReplayBuffer.GroupFinished> release(long version, int eta, boolean draining) {
    List<ReplayBuffer.GroupFinished> ready = new ArrayList<>();
    held.removeIf(
        g -> {
          boolean go = draining || version - g.version() > eta || g.version() > version;
          if (go) {
            ready.add(g);
          }
          return go;
        });
    return ready;
  }

  /** How a group ended: logged when it was one held back (once per group). */
  void ended(long groupId, String how) {
    if (delayed.remove(groupId)) {
      log.handled(ChaosLog.STALE_DELAY, how);
    }
  }
}
