package dev.r3.actors.monitor;

import com.typesafe.config.Config;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.dispatch.Envelope;
import org.apache.pekko.dispatch.MailboxType;
import org.apache.pekko.dispatch.MessageQueue;
import org.apache.pekko.dispatch.ProducesMessageQueue;
import org.apache.pekko.dispatch.UnboundedMessageQueueSemantics;
import scala.Option;

/**
 * The default mailbox of every R3 actor system ({@code pekko.actor.default-mailbox.mailbox-type} in
 * reference.conf): Pekko's unbounded mailbox (a lock-free queue) that also counts the messages it
 * holds, so the monitor shows each supervised actor's true mailbox depth ({@link #depthOf}) without
 * an instrumentation agent. The count is an atomic next to the queue: one increment per enqueue,
 * one decrement per dequeue.
 */
public final class CountingMailbox
    implements MailboxType, ProducesMessageQueue<CountingMailbox.Queue> {

  /** Live actors' depths, by their (classic) reference; an actor's entry goes when it stops. */
  private static final Map<ActorRef, AtomicInteger> DEPTHS = new ConcurrentHashMap<>();

  /** The constructor Pekko calls (settings and this mailbox's config section; neither is used). */
  public CountingMailbox(ActorSystem.Settings settings, Config config) {}

  @Override
  public MessageQueue create(Option<ActorRef> owner, Option<ActorSystem> system) {
    Queue q = new Queue();
    if (owner.isDefined()) {
      DEPTHS.put(owner.get(), q.depth);
    }
    return q;
  }

  /** The live depth counter of {@code actor}'s mailbox; null when it has no counting mailbox. */
  static AtomicInteger depthOf(ActorRef actor) {
    return DEPTHS.get(actor);
  }

  /** A lock-free unbounded queue with a count. */
  static final class Queue implements MessageQueue, UnboundedMessageQueueSemantics {
    private final ConcurrentLinkedQueue<Envelope> queue = new ConcurrentLinkedQueue<>();
    final AtomicInteger depth = new AtomicInteger();

    @Override
    public void enqueue(ActorRef receiver, Envelope handle) {
      queue.add(handle);
      depth.incrementAndGet();
    }

    @Override
    public Envelope dequeue() {
      Envelope e = queue.poll();
      if (e != null) {
        depth.decrementAndGet();
      }
      return e;
    }

    @Override
    public int numberOfMessages() {
      return depth.get();
    }

    @Override
    public boolean hasMessages() {
      return !queue.isEmpty();
    }

    @Override
    public void cleanUp(ActorRef owner, MessageQueue deadLetters) {
      DEPTHS.remove(owner);
      for (Envelope e = dequeue(); e != null; e = dequeue()) {
        deadLetters.enqueue(owner, e);
      }
    }
  }
}
