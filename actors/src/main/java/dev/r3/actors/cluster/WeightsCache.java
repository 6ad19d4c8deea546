package dev.r3.actors.cluster;

import dev.r3.actors.learning.WeightsSnapshot;
import dev.r3.actors.pipeline.RolloutWorker;
import dev.r3.actors.wire.WireMessage;
import dev.r3.model.ModelWeights;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.Receptionist;

/**
 * A rollout node's copy of the weights. It finds the {@link WeightsPublisher} through the
 * receptionist, registers, and on each announced version pulls the bytes in chunks ({@code window}
 * requests in flight), each chunk asked again after {@code chunk-timeout} up to {@code
 * chunk-retries} times: a lost chunk costs one chunk, not the transfer. Complete bytes are checked
 * against the announced size and SHA-256, decoded off the actor's thread, and handed to the node's
 * rollout workers, which switch between batches. A newer announcement abandons the transfer in
 * progress (a node that falls behind skips to the newest version); a version given up after its
 * retries is asked for again with a fresh registration.
 *
 * <p>Loses on restart: the weights it held and the transfer in progress; it registers again and
 * pulls the current version.
 */
public final class WeightsCache {

  // ---- protocol ----
  public sealed interface Command extends WireMessage
      permits Announce,
          Chunk,
          ChunkUnavailable,
          Subscribe,
          PublisherListing,
          Tick,
          Decoded,
          Reregister {}

  /** A new version: its SHA-256, its size in bytes and the chunk size to pull it with. */
  public record Announce(
      long version,
      String checksum,
      int size,
      int chunkBytes,
      ActorRef<WeightsPublisher.Command> publisher,
      long publishedAtMillis)
      implements Command {}

  public record Chunk(long version, int index, byte[] data) implements Command {}

  /** The publisher no longer holds {@code version}; {@code newest} is what it has. */
  public record ChunkUnavailable(long version, int index, long newest) implements Command {}

  /** A local worker: give it every version this node loads (the current one at once). */
  public record Subscribe(ActorRef<RolloutWorker.Command> worker)
      implements Command, NoSerializationVerificationNeeded {}

  // ---- internal ----
  private record PublisherListing(Receptionist.Listing listing)
      implements Command, NoSerializationVerificationNeeded {}

  private enum Tick implements Command, NoSerializationVerificationNeeded {
    INSTANCE
  }

  private enum Reregister implements Command, NoSerializationVerificationNeeded {
    INSTANCE
  }

  private record Decoded(Transfer transfer, ModelWeights weights, Throwable error)
      implements Command, NoSerializationVerificationNeeded {}

  /** One version being pulled. */
  private static final class Transfer {
    final Announce announce;
    final byte[] bytes;
    final int chunks;
    final BitSet received = new BitSet();
    final Map<Integer, long[]> asked = new HashMap<>(); // index -> {deadline nanos, tries}
    final long startNanos = System.nanoTime();
    int next;

    Transfer(Announce a) {
      this.announce = a;
      this.bytes = new byte[a.size()];
      this.chunks = Math.max(1, (a.size() + a.chunkBytes() - 1) / a.chunkBytes());
    }
  }

  public static Behavior<Command> create(ClusterConfig settings, String node) {
    return Behaviors.setup(
        ctx ->
            Behaviors.withTimers(
                timers -> {
                  ActorRef<Receptionist.Listing> listings =
                      ctx.messageAdapter(Receptionist.Listing.class, PublisherListing::new);
                  ctx.getSystem()
                      .receptionist()
                      .tell(Receptionist.subscribe(WeightsPublisher.KEY, listings));
                  Duration tick = settings.chunkTimeout().dividedBy(4);
                  timers.startTimerWithFixedDelay(Tick.INSTANCE, tick);
                  return new WeightsCache(ctx, timers, settings, node).behavior();
                }));
  }

  // ---- state ----
  private final ActorContext<Command> ctx;
  private final TimerScheduler<Command> timers;
  private final ClusterConfig settings;
  private final String node;
  private final Set<ActorRef<RolloutWorker.Command>> workers = new LinkedHashSet<>();
  private ActorRef<WeightsPublisher.Command> publisher;
  private WeightsSnapshot held;
  private Transfer transfer;
  private boolean decoding;
  private Announce pendingAnnounce; // arrived while a version was being decoded

  private WeightsCache(
      ActorContext<Command> ctx,
      TimerScheduler<Command> timers,
      ClusterConfig settings,
      String node) {
    this.ctx = ctx;
    this.timers = timers;
    this.settings = settings;
    this.node = node;
  }

  private Behavior<Command> behavior() {
    return Behaviors.receive(Command.class)
        .onMessage(PublisherListing.class, this::onListing)
        .onMessage(Announce.class, this::onAnnounce)
        .onMessage(Chunk.class, this::onChunk)
        .onMessage(ChunkUnavailable.class, this::onUnavailable)
        .onMessage(Subscribe.class, this::onSubscribe)
        .onMessage(Tick.class, m -> onTick())
        .onMessage(Decoded.class, this::onDecoded)
        .onMessage(Reregister.class, m -> register())
        .build();
  }

  private Behavior<Command> onListing(PublisherListing m) {
    Set<ActorRef<WeightsPublisher.Command>> found =
        m.listing().getServiceInstances(WeightsPublisher.KEY);
    if (!found.isEmpty() && !found.contains(publisher)) {
      publisher = found.iterator().next();
      ctx.getLog().info("weights publisher found: {}", publisher.path());
      register();
    }
    return Behaviors.same();
  }

  private Behavior<Command> register() {
    if (publisher != null) {
      publisher.tell(new WeightsPublisher.Register(ctx.getSelf()));
    }
    return Behaviors.same();
  }

  private Behavior<Command> onAnnounce(Announce m) {
    publisher = m.publisher();
    long have = held == null ? -1 : held.version();
    long pulling = transfer == null ? -1 : transfer.announce.version();
    if (m.version() <= have || m.version() <= pulling) {
      return Behaviors.same();
    }
    if (transfer != null && !decoding) {
      ctx.getLog()
          .info("weights v{} superseded by v{} mid-transfer: skipping to it", pulling, m.version());
    }
    if (!decoding) {
      transfer = new Transfer(m);
      pull();
    } else {
      pendingAnnounce = m;
    }
    return Behaviors.same();
  }

  private Behavior<Command> onChunk(Chunk m) {
    Transfer t = transfer;
    if (t == null || decoding || m.version() != t.announce.version() || t.received.get(m.index())) {
      return Behaviors.same();
    }
    int from = m.index() * t.announce.chunkBytes();
    int expected = Math.min(t.announce.chunkBytes(), t.bytes.length - from);
    if (m.data().length != expected) {
      ctx.getLog()
          .warn(
              "weights v{} chunk {}: {} bytes, expected {}; asking again",
              m.version(),
              m.index(),
              m.data().length,
              expected);
      return Behaviors.same();
    }
    System.arraycopy(m.data(), 0, t.bytes, from, expected);
    t.received.set(m.index());
    t.asked.remove(m.index());
    if (t.received.cardinality() == t.chunks) {
      finish(t);
    } else {
      pull();
    }
    return Behaviors.same();
  }

  private Behavior<Command> onUnavailable(ChunkUnavailable m) {
    if (transfer != null && m.version() == transfer.announce.version() && !decoding) {
      ctx.getLog()
          .info(
              "weights v{} no longer served (newest v{}): waiting for it", m.version(), m.newest());
      transfer = null;
      register();
    }
    return Behaviors.same();
  }

  private Behavior<Command> onSubscribe(Subscribe m) {
    workers.add(m.worker()); // a restarted worker keeps its ref and subscribes again: a set
    if (held != null) {
      m.worker().tell(new RolloutWorker.UseWeights(held));
    }
    return Behaviors.same();
  }

  private Behavior<Command> onTick() {
    Transfer t = transfer;
    if (t == null || decoding) {
      return Behaviors.same();
    }
    long now = System.nanoTime();
    for (var e : new ArrayList<>(t.asked.entrySet())) {
      long[] a = e.getValue();
      if (now < a[0]) {
        continue;
      }
      if (a[1] >= settings.chunkRetries()) {
        ctx.getLog()
            .error(
                "weights v{}: chunk {} unanswered after {} tries; giving the version up",
                t.announce.version(),
                e.getKey(),
                a[1] + 1);
        transfer = null;
        timers.startSingleTimer(Reregister.INSTANCE, settings.chunkTimeout());
        return Behaviors.same();
      }
      ask(t, e.getKey(), (int) a[1] + 1);
    }
    return Behaviors.same();
  }

  private Behavior<Command> onDecoded(Decoded m) {
    decoding = false;
    Transfer t = m.transfer();
    if (m.error() != null) {
      ctx.getLog()
          .error("weights v{} could not be used: {}", t.announce.version(), m.error().toString());
      timers.startSingleTimer(Reregister.INSTANCE, settings.chunkTimeout());
    } else {
      held = new WeightsSnapshot(t.announce.version(), m.weights());
      double seconds = (System.nanoTime() - t.startNanos) / 1e9;
      for (ActorRef<RolloutWorker.Command> w : workers) {
        w.tell(new RolloutWorker.UseWeights(held));
      }
      t.announce
          .publisher()
          .tell(
              new WeightsPublisher.SyncReport(node, t.announce.version(), t.bytes.length, seconds));
    }
    if (transfer == t) {
      transfer = null;
    }
    if (pendingAnnounce != null) {
      Announce next = pendingAnnounce;
      pendingAnnounce = null;
      onAnnounce(next);
    }
    return Behaviors.same();
  }

  /** Keeps {@code window} chunk requests in flight. */
  private void pull() {
    Transfer t = transfer;
    while (t.asked.size() < settings.window() && t.next < t.chunks) {
      int i = t.next++;
      if (!t.received.get(i)) {
        ask(t, i, 0);
      }
    }
  }

  private void ask(Transfer t, int index, int tries) {
    long deadline = System.nanoTime() + settings.chunkTimeout().toNanos();
    t.asked.put(index, new long[] {deadline, tries});
    t.announce
        .publisher()
        .tell(new WeightsPublisher.FetchChunk(t.announce.version(), index, ctx.getSelf()));
  }

  /** All chunks in: check size and checksum, decode off the actor's thread. */
  private void finish(Transfer t) {
    decoding = true;
    CompletableFuture<Decoded> f =
        CompletableFuture.supplyAsync(
            () -> {
              String sum = WeightsCodec.checksum(t.bytes);
              if (!sum.equals(t.announce.checksum())) {
                throw new IllegalStateException(
                    "checksum mismatch: got " + sum + ", announced " + t.announce.checksum());
              }
              return new Decoded(t, WeightsCodec.decode(t.bytes), null);
            },
            ctx.getSystem().dispatchers().lookup(DispatcherSelector.blocking()));
    ctx.pipeToSelf(f, (ok, err) -> ok != null ? ok : new Decoded(t, null, unwrap(err)));
  }

  private static Throwable unwrap(Throwable e) {
    return e instanceof java.util.concurrent.CompletionException && e.getCause() != null
        ? e.getCause()
        : e;
  }
}
