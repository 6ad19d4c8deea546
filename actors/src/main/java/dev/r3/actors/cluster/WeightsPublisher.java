package dev.r3.actors.cluster;

import dev.r3.actors.learning.WeightsSnapshot;
import dev.r3.actors.pipeline.Learner;
import dev.r3.actors.pipeline.RolloutWorker;
import dev.r3.actors.wire.WireMessage;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * The learner node's side of weight sync. It follows the learner like a rollout worker would, and
 * for each new version encodes the weights once (off its thread; float32 or bfloat16), then
 * announces {@code (version, checksum, size)} to every registered {@link WeightsCache}. Caches pull
 * the bytes in chunks of at most {@code chunk-bytes}; the newest and the previous version are kept,
 * so a transfer in progress can finish while the next version is encoded. Nothing here ever waits
 * for a rollout node: weights are pulled, so a slow node cannot block the learner.
 *
 * <p>Loses on restart: the encoded versions (the next version re-encodes) and the registrations
 * (caches register again when they find it through the receptionist).
 */
public final class WeightsPublisher {

  public static final ServiceKey<Command> KEY = ServiceKey.create(Command.class, "r3-weights");

  // ---- protocol ----
  public sealed interface Command extends WireMessage
      permits Register, FetchChunk, SyncReport, Follow, NewVersion, Encoded, CacheGone {}

  /** A rollout node's cache: announce every version to it (the current one at once). */
  public record Register(ActorRef<WeightsCache.Command> cache) implements Command {}

  /** Asks for bytes {@code [index * chunk, (index + 1) * chunk)} of {@code version}. */
  public record FetchChunk(long version, int index, ActorRef<WeightsCache.Command> replyTo)
      implements Command {}

  /** A node loaded {@code version}: bytes pulled, seconds from announcement to use. */
  public record SyncReport(String node, long version, long bytes, double seconds)
      implements Command {}

  /** Subscribe to this learner's versions (sent once, on the learner node). */
  public record Follow(ActorRef<Learner.Command> learner)
      implements Command, NoSerializationVerificationNeeded {}

  // ---- internal ----
  private record NewVersion(RolloutWorker.Command fromLearner)
      implements Command, NoSerializationVerificationNeeded {}

  private record Encoded(long version, byte[] bytes, String checksum, Throwable error)
      implements Command, NoSerializationVerificationNeeded {}

  private record CacheGone(ActorRef<WeightsCache.Command> cache)
      implements Command, NoSerializationVerificationNeeded {}

  /** One encoded version. */
  private record Version(long version, byte[] bytes, String checksum) {}

  public static Behavior<Command> create(
      WeightsSnapshot initial, ClusterConfig settings, ClusterRecord record) {
    return Behaviors.setup(
        ctx -> {
          ctx.getSystem().receptionist().tell(Receptionist.register(KEY, ctx.getSelf()));
          WeightsPublisher p = new WeightsPublisher(ctx, settings, record);
          p.encode(initial);
          return p.behavior();
        });
  }

  // ---- state ----
  private final ActorContext<Command> ctx;
  private final ClusterConfig settings;
  private final ClusterRecord record;
  private final Set<ActorRef<WeightsCache.Command>> caches = new HashSet<>();
  private Version current;
  private Version previous;
  private boolean encoding;
  private WeightsSnapshot pending; // the newest version that arrived while one was encoding
  private long newestSeen = -1;

  private WeightsPublisher(
      ActorContext<Command> ctx, ClusterConfig settings, ClusterRecord record) {
    this.ctx = ctx;
    this.settings = settings;
    this.record = record;
  }

  private Behavior<Command> behavior() {
    return Behaviors.receive(Command.class)
        .onMessage(Register.class, this::onRegister)
        .onMessage(FetchChunk.class, this::onFetch)
        .onMessage(SyncReport.class, this::onSyncReport)
        .onMessage(Follow.class, this::onFollow)
        .onMessage(NewVersion.class, this::onNewVersion)
        .onMessage(Encoded.class, this::onEncoded)
        .onMessage(CacheGone.class, m -> onCacheGone(m.cache()))
        .onSignal(Terminated.class, s -> Behaviors.same())
        .build();
  }

  private Behavior<Command> onRegister(Register m) {
    if (caches.add(m.cache())) {
      ctx.watchWith(m.cache(), new CacheGone(m.cache()));
    }
    if (current != null) {
      m.cache().tell(announce(current));
    }
    return Behaviors.same();
  }

  private Behavior<Command> onFetch(FetchChunk m) {
    Version v =
        current != null && current.version() == m.version()
            ? current
            : previous != null && previous.version() == m.version() ? previous : null;
    int chunk = settings.chunkBytes();
    if (v == null || (long) m.index() * chunk >= v.bytes().length || m.index() < 0) {
      m.replyTo()
          .tell(
              new WeightsCache.ChunkUnavailable(
                  m.version(), m.index(), current == null ? -1 : current.version()));
      return Behaviors.same();
    }
    int from = m.index() * chunk;
    byte[] part = Arrays.copyOfRange(v.bytes(), from, Math.min(v.bytes().length, from + chunk));
    record.served(part.length);
    m.replyTo().tell(new WeightsCache.Chunk(m.version(), m.index(), part));
    return Behaviors.same();
  }

  private Behavior<Command> onSyncReport(SyncReport m) {
    record.synced(m.node(), m.version(), m.bytes(), m.seconds());
    ctx.getLog()
        .info(
            "node {} loaded weights v{} ({} bytes, {} s)",
            m.node(),
            m.version(),
            m.bytes(),
            String.format("%.2f", m.seconds()));
    return Behaviors.same();
  }

  private Behavior<Command> onFollow(Follow m) {
    m.learner()
        .tell(
            new Learner.SubscribeWeights(
                ctx.messageAdapter(RolloutWorker.Command.class, NewVersion::new)));
    return Behaviors.same();
  }

  private Behavior<Command> onNewVersion(NewVersion m) {
    if (m.fromLearner() instanceof RolloutWorker.UseWeights u) {
      encode(u.snapshot());
    }
    return Behaviors.same();
  }

  private Behavior<Command> onEncoded(Encoded m) {
    encoding = false;
    if (m.error() != null) {
      ctx.getLog().error("encoding weights v{} failed", m.version(), m.error());
    } else if (current == null || m.version() > current.version()) {
      previous = current;
      current = new Version(m.version(), m.bytes(), m.checksum());
      record.published(m.bytes().length, settings.transport().name().toLowerCase());
      for (ActorRef<WeightsCache.Command> c : caches) {
        c.tell(announce(current));
      }
    }
    if (pending != null) {
      WeightsSnapshot next = pending;
      pending = null;
      startEncoding(next); // not encode(): newestSeen already counts it
    }
    return Behaviors.same();
  }

  private Behavior<Command> onCacheGone(ActorRef<WeightsCache.Command> cache) {
    caches.remove(cache);
    return Behaviors.same();
  }

  private void encode(WeightsSnapshot s) {
    if (s.version() <= newestSeen) {
      return;
    }
    newestSeen = s.version();
    if (encoding) {
      pending = s; // a lagging encoder skips to the newest version too
      return;
    }
    startEncoding(s);
  }

  /**
   * Encodes off the actor's thread. The version that waited behind an encoding must reach here: if
   * it were dropped, rollout nodes would never see the learner's newest version, and a learner that
   * waits for groups of that version would wait forever (seen as a stalled cluster run).
   */
  private void startEncoding(WeightsSnapshot s) {
    encoding = true;
    WeightsCodec.Transport t = settings.transport();
    CompletableFuture<Encoded> f =
        CompletableFuture.supplyAsync(
            () -> {
              byte[] b = WeightsCodec.encode(s.weights(), t);
              return new Encoded(s.version(), b, WeightsCodec.checksum(b), null);
            },
            ctx.getSystem().dispatchers().lookup(DispatcherSelector.blocking()));
    ctx.pipeToSelf(f, (ok, err) -> ok != null ? ok : new Encoded(s.version(), null, null, err));
  }

  private WeightsCache.Announce announce(Version v) {
    return new WeightsCache.Announce(
        v.version(),
        v.checksum(),
        v.bytes().length,
        settings.chunkBytes(),
        ctx.getSelf(),
        System.currentTimeMillis());
  }
}
