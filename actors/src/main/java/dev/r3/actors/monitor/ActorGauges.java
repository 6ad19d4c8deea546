package dev.r3.actors.monitor;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Live counters of one supervised actor, written by its {@link Supervised} interceptor on the
 * actor's own thread and read by the {@link Monitor} (hence atomics). One instance lives as long as
 * the actor's name: a restart keeps counting into it.
 */
public final class ActorGauges {
  private final AtomicLong messages = new AtomicLong();
  private final AtomicLong processingNanos = new AtomicLong();
  private final AtomicLong lastMessageMillis = new AtomicLong();
  private final AtomicInteger busy = new AtomicInteger();
  private final AtomicInteger children = new AtomicInteger();
  private volatile AtomicInteger mailbox; // the CountingMailbox's count; null when none

  /** The actor's mailbox count ({@link CountingMailbox}); set at each (re)start. */
  void mailbox(AtomicInteger depth) {
    this.mailbox = depth;
  }

  void begin(long nowMillis) {
    busy.incrementAndGet();
    lastMessageMillis.set(nowMillis);
  }

  void end(long nanos, int childCount) {
    busy.decrementAndGet();
    messages.incrementAndGet();
    processingNanos.addAndGet(nanos);
    children.set(childCount);
  }

  public long messages() {
    return messages.get();
  }

  public long processingNanos() {
    return processingNanos.get();
  }

  /** 0 before the first message. */
  public long lastMessageMillis() {
    return lastMessageMillis.get();
  }

  /** 1 while a message is being processed. */
  public int busy() {
    return busy.get();
  }

  /** Messages waiting in the mailbox; -1 when the actor has no {@link CountingMailbox}. */
  public int mailbox() {
    AtomicInteger m = mailbox;
    return m == null ? -1 : m.get();
  }

  /**
   * Live child actors after the last message: the per-request children in flight (the buffer's
   * group rollouts), the pipeline for the coordinator.
   */
  public int children() {
    return children.get();
  }
}
