package dev.r3.actors.learning;

/**
 * Accounts for every trajectory produced: each is buffered, then either trained on exactly once or
 * dropped with a reason. <em>Produced</em> means delivered: a rollout worker finished generating it
 * and its group's rollout received it. Work a worker never delivered (a batch cancelled after a
 * timeout, or lost when its worker restarted) is not a trajectory; a group given up before any
 * delivery is counted apart, in groups ({@link #abandoned}). At any moment produced = trained +
 * in-training + buffered + dropped; at the end of a run nothing is buffered or in training, so
 * produced = trained + dropped. Not thread-safe: one actor owns it.
 */
public final class Ledger {
  private long produced;
  private long trained;
  private long inTraining;
  private long buffered;
  private final long[] dropped = new long[DropReason.values().length];
  private final long[] abandonedGroups = new long[DropReason.values().length];

  public Ledger() {}

  /**
   * The ledger of a run resumed from a checkpoint whose ledger was {@code c}: what the checkpoint
   * had buffered or in training is gone with the process, and is dropped as {@link
   * DropReason#LOST_IN_CRASH}, so the resumed run's ledger still balances over the whole run.
   */
  public static Ledger resumedFrom(LedgerCounts c) {
    Ledger l = new Ledger();
    l.produced = c.produced();
    l.trained = c.trained();
    for (DropReason r : DropReason.values()) {
      l.dropped[r.ordinal()] = c.dropped(r);
      l.abandonedGroups[r.ordinal()] = c.abandonedGroups(r);
    }
    l.dropped[DropReason.LOST_IN_CRASH.ordinal()] += c.buffered() + c.inTraining();
    return l;
  }

  /** A group was given up before a worker delivered any of its samples. */
  public void abandoned(DropReason reason) {
    abandonedGroups[reason.ordinal()]++;
  }

  /** n new trajectories enter the buffer. */
  public void produced(long n) {
    requireNonNegative(n);
    produced += n;
    buffered += n;
  }

  /**
   * n trajectories that never reached the buffer (e.g. a group abandoned after worker failures).
   */
  public void producedAndDropped(long n, DropReason reason) {
    requireNonNegative(n);
    produced += n;
    dropped[reason.ordinal()] += n;
  }

  /** n buffered trajectories are dropped. */
  public void drop(long n, DropReason reason) {
    move(n, "buffered", buffered);
    buffered -= n;
    dropped[reason.ordinal()] += n;
  }

  /** n buffered trajectories are handed to the learner. */
  public void startTraining(long n) {
    move(n, "buffered", buffered);
    buffered -= n;
    inTraining += n;
  }

  /** The learner finished a step on n trajectories. */
  public void trained(long n) {
    move(n, "in training", inTraining);
    inTraining -= n;
    trained += n;
  }

  /** n trained trajectories whose training was lost (a learner restarted from a checkpoint). */
  public void untrain(long n, DropReason reason) {
    move(n, "trained", trained);
    trained -= n;
    dropped[reason.ordinal()] += n;
  }

  /** Everything in training is dropped (its learner is gone). */
  public void dropInTraining(DropReason reason) {
    dropped[reason.ordinal()] += inTraining;
    inTraining = 0;
  }

  public LedgerCounts counts() {
    return new LedgerCounts(produced, trained, inTraining, buffered, dropped, abandonedGroups);
  }

  /** Throws unless produced = trained + dropped and nothing is open. */
  public LedgerCounts checkClosed() {
    LedgerCounts c = counts();
    if (!c.closed()) {
      throw new IllegalStateException("ledger does not balance: " + c);
    }
    return c;
  }

  private static void requireNonNegative(long n) {
    if (n < 0) {
      throw new IllegalArgumentException("negative count " + n);
    }
  }

  private static void move(long n, String from, long available) {
    requireNonNegative(n);
    if (n > available) {
      throw new IllegalStateException(
          "ledger: moving " + n + " trajectories, only " + available + " " + from);
    }
  }
}
