package dev.r3.actors.pipeline;

import dev.r3.actors.learning.DropReason;
import dev.r3.actors.learning.GroupAcceptance;
import dev.r3.actors.learning.Ledger;
import dev.r3.actors.learning.ScoredGroup;
import dev.r3.actors.learning.StalenessGate;
import dev.r3.actors.learning.WaitingGroups;
import java.util.List;
import org.slf4j.Logger;

/**
 * The way into the {@link ReplayBuffer} and out of it other than by training: a finished group is
 * booked in the {@link Ledger} by {@link GroupAcceptance}, and what may be trained waits ({@link
 * WaitingGroups}) and counts as accepted at the {@link StalenessGate} until it can no longer be
 * trained; abandoned groups and late trajectories are booked as dropped; groups chaos holds back
 * ({@link HeldBack}) come in later; stale groups, a learner restart and the end of the run drop
 * what waits. Not thread-safe: the buffer owns it.
 */
final class GroupIntake {
  /** Warn after this many dropped groups in a row (and each multiple of it). */
  private static final int USELESS_WARNING = 500;

  private final Ledger ledger;
  private final GroupAcceptance acceptance;
  private final WaitingGroups waiting;
  private final HeldBack held;
  private final Logger log;
  // Groups accepted that can still be trained (trained on, in training or waiting fresh).
  private long accepted;
  private long uselessInARow;

  /**
   * @param accepted groups already trained on (a resumed run's checkpoint; 0 for a new run)
   * @param log the buffer's logger
   */
  GroupIntake(
      Ledger ledger,
      GroupAcceptance acceptance,
      StalenessGate gate,
      HeldBack held,
      long accepted,
      Logger log) {
    this.ledger = ledger;
    this.acceptance = acceptance;
    this.waiting = new WaitingGroups(ledger, gate);
    this.held = held;
    this.accepted = accepted;
    this.log = log;
  }

  /** Groups accepted that can still be trained: what the staleness gate counts. */
  long accepted() {
    return accepted;
  }

  /** Groups waiting for the learner. */
  int waiting() {
    return waiting.size();
  }

  /**
   * Books finished group {@code m} while the buffer is at {@code version}; keeps it waiting when
   * anything of it may be trained. Returns the tokens it generated (0 when lost in the crash).
   */
  long accept(ReplayBuffer.GroupFinished m, long version) {
    GroupAcceptance.Outcome a =
        acceptance.accept(m.groupId(), m.episodeSeed(), m.version(), version, m.scored());
    if (a.lostInCrash()) {
      held.ended(m.groupId(), "lost_in_crash");
      return 0;
    }
    for (String why : a.misaligned()) {
      log.error("dropping {}", why);
    }
    if (a.kept() != null) {
      accepted++;
      waiting.add(a.kept());
      uselessInARow = 0;
    } else {
      held.ended(m.groupId(), "dropped_all_equal_or_failed");
      if (++uselessInARow % USELESS_WARNING == 0) {
        log.warn(
            "the last {} groups were all dropped (rewards all equal or failed): the policy may"
                + " earn no reward at all (no warm start?); rollouts go on until the batch"
                + " fills",
            uselessInARow);
      }
    }
    log.debug(
        "group {} v{} from {}: kept={} failed={} all-equal={}",
        m.groupId(),
        m.version(),
        m.worker(),
        a.kept() != null,
        a.failed(),
        a.allEqual());
    return a.tokens();
  }

  /** Chaos delays finished group {@code m}: it comes back from {@link #releaseHeld}. */
  void hold(ReplayBuffer.GroupFinished m) {
    held.hold(m);
  }

  /** The held groups that may go in at {@code version} under staleness {@code eta}, taken out. */
  List<ReplayBuffer.GroupFinished> releaseHeld(long version, int eta, boolean draining) {
    return held.release(version, eta, draining);
  }

  /** A running group (now released) could not be rolled out: what it delivered is dropped. */
  void abandoned(ReplayBuffer.GroupAbandoned m) {
    if (m.delivered() > 0) {
      ledger.producedAndDropped(m.delivered(), m.reason());
    } else {
      ledger.abandoned(m.reason());
    }
    log.warn("group {} abandoned: {}", m.groupId(), m.why());
  }

  /** A timed-out attempt's result arrived after all: produced, and dropped as timed_out. */
  void lateTrajectories(ReplayBuffer.LateTrajectories m) {
    ledger.producedAndDropped(m.count(), DropReason.TIMED_OUT);
    log.info(
        "group {}: {} trajectories from {} arrived after their attempt timed out: dropped",
        m.groupId(),
        m.count(),
        m.worker());
  }

  /**
   * Drops the waiting groups no longer fresh at {@code version} (stale); each gives its place at
   * the gate back, or the gate would shrink by one group per stale drop until the learner starves.
   */
  void dropStale(long version) {
    for (ScoredGroup g : waiting.dropStale(version)) {
      accepted--;
      held.ended(g.groupId(), "dropped_stale");
      log.info("group {} (v{}) is stale at v{}: dropped", g.groupId(), g.version(), version);
    }
  }

  /** The next batch (the B lowest group ids waiting), counted in training; null while too few. */
  List<ScoredGroup> takeBatch() {
    return waiting.takeBatch();
  }

  /**
   * The learner restarted from {@code m}'s checkpoint: what was trained after it, the batch in
   * training and the waiting groups generated after it are lost_in_crash; the gate counts what the
   * checkpoint trained and what still waits. Returns the trajectories lost.
   */
  long rewind(ReplayBuffer.Rewind m) {
    long before = ledger.counts().droppedTotal();
    ledger.untrain(ledger.counts().trained() - m.trainedAtCheckpoint(), DropReason.LOST_IN_CRASH);
    ledger.dropInTraining(DropReason.LOST_IN_CRASH);
    for (ScoredGroup g : waiting.dropGeneratedAfter(m.version(), DropReason.LOST_IN_CRASH)) {
      held.ended(g.groupId(), "lost_in_crash");
    }
    accepted = m.acceptedGroups() + waiting.size();
    return ledger.counts().droppedTotal() - before;
  }

  /** The run ended: every waiting group is dropped (run_ended). */
  void dropWaiting() {
    for (ScoredGroup g : waiting.dropAll(DropReason.RUN_ENDED)) {
      held.ended(g.groupId(), "dropped_run_ended");
    }
  }
}
