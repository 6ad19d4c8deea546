package dev.r3.actors.cluster;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Gets a rollout node the run's plugin jars before it builds its environment ({@link RolloutNode}).
 * For each jar in turn: the file already here with the learner's SHA-256 (at the learner's path, or
 * in the {@link PluginCache}), else its bytes from the learner's {@link PluginServer}, one piece in
 * flight, each asked up to {@link PluginSettings#ATTEMPTS} times within {@code timeout}; the
 * download is verified and moved into the cache. Replies {@link Fetched} with the local paths in
 * the run's order, or {@link Failed} naming the jar and the digests; then stops. Spawn it on the
 * blocking dispatcher: it reads, digests and writes files.
 *
 * <p>Not restarted: a failure ends the node at start. Stopping it deletes the download in progress.
 */
final class PluginFetcher {

  // ---- protocol ----
  sealed interface Command extends NoSerializationVerificationNeeded permits Answer {}

  /** What the node gets back. */
  sealed interface Result extends NoSerializationVerificationNeeded permits Fetched, Failed {}

  /**
   * @param jars the local path of each jar, in the run's order
   * @param notes one line per jar: where it was found, or that it was fetched
   */
  record Fetched(List<Path> jars, List<String> notes) implements Result {}

  record Failed(String why) implements Result {}

  // ---- internal ----
  /** The learner's answer to the request for the current jar's next piece ({@code attempt} 1..). */
  private record Answer(PluginServer.Reply reply, Throwable error, int attempt)
      implements Command {}

  static Behavior<Command> create(
      List<PluginJar> jars,
      ActorRef<PluginServer.Command> server,
      PluginCache cache,
      PluginSettings settings,
      ActorRef<Result> replyTo) {
    return Behaviors.setup(
        ctx -> new PluginFetcher(ctx, jars, server, cache, settings, replyTo).nextJar());
  }

  // ---- state ----
  private final ActorContext<Command> ctx;
  private final List<PluginJar> jars;
  private final ActorRef<PluginServer.Command> server;
  private final PluginCache cache;
  private final PluginSettings settings;
  private final ActorRef<Result> replyTo;
  private final List<Path> found = new ArrayList<>();
  private final List<String> notes = new ArrayList<>();
  private PluginCache.Download download; // the jar being fetched, or null
  private long startNanos;

  private PluginFetcher(
      ActorContext<Command> ctx,
      List<PluginJar> jars,
      ActorRef<PluginServer.Command> server,
      PluginCache cache,
      PluginSettings settings,
      ActorRef<Result> replyTo) {
    this.ctx = ctx;
    this.jars = List.copyOf(jars);
    this.server = server;
    this.cache = cache;
    this.settings = settings;
    this.replyTo = replyTo;
  }

  private Behavior<Command> behavior() {
    return Behaviors.receive(Command.class)
        .onMessage(Answer.class, this::onAnswer)
        .onSignal(PostStop.class, s -> onStop())
        .build();
  }

  /** Resolves the jars already here; starts fetching the first that is not; replies when done. */
  private Behavior<Command> nextJar() {
    while (found.size() < jars.size()) {
      PluginJar jar = jars.get(found.size());
      try {
        Optional<Path> here = cache.find(jar);
        if (here.isPresent()) {
          found.add(here.get());
          notes.add(
              "plugin jar "
                  + jar.name()
                  + " (SHA-256 "
                  + jar.sha256()
                  + "): "
                  + (here.get().toString().equals(jar.path())
                      ? "at the learner's path "
                      : "cached ")
                  + here.get());
          continue;
        }
        download = cache.download(jar);
      } catch (IOException e) {
        return fail("plugin jar " + jar.describe() + " cannot be cached here: " + e);
      }
      startNanos = System.nanoTime();
      return askPiece(1);
    }
    replyTo.tell(new Fetched(List.copyOf(found), List.copyOf(notes)));
    return Behaviors.stopped();
  }

  private Behavior<Command> askPiece(int attempt) {
    PluginJar jar = jars.get(found.size());
    long offset = download.written();
    int length = pieceLength(jar, offset);
    ctx.ask(
        PluginServer.Reply.class,
        server,
        settings.timeout(),
        r -> new PluginServer.FetchPiece(jar.sha256(), offset, length, r),
        (reply, error) -> new Answer(reply, error, attempt));
    return behavior();
  }

  private int pieceLength(PluginJar jar, long offset) {
    return (int) Math.min(settings.pieceBytes(), jar.size() - offset);
  }

  private Behavior<Command> onAnswer(Answer m) {
    PluginJar jar = jars.get(found.size());
    if (m.error() != null) {
      if (m.attempt() < PluginSettings.ATTEMPTS) {
        ctx.getLog()
            .warn(
                "plugin jar {}: no answer from the learner ({}); asking again",
                jar.name(),
                m.error().toString());
        return askPiece(m.attempt() + 1);
      }
      return fail(
          "the learner did not answer for plugin jar "
              + jar.describe()
              + ": no piece at byte "
              + download.written()
              + " within "
              + settings.timeout().toMillis()
              + " ms"
              + ", "
              + m.attempt()
              + " tries (r3.cluster.plugins.timeout)");
    }
    if (m.reply() instanceof PluginServer.Refused r) {
      return fail("the learner refused plugin jar " + jar.describe() + ": " + r.reason());
    }
    PluginServer.Piece piece = (PluginServer.Piece) m.reply();
    try {
      if (!piece.sha256().equals(jar.sha256())) {
        throw new PluginCache.CorruptTransfer(
            "corrupt transfer of plugin jar "
                + jar.describe()
                + ": a piece of SHA-256 "
                + piece.sha256()
                + " arrived");
      }
      download.append(piece.offset(), piece.data(), pieceLength(jar, download.written()));
      if (!download.complete()) {
        return askPiece(1);
      }
      Path path = download.commit();
      download.close();
      download = null;
      found.add(path);
      notes.add(
          String.format(
              "plugin jar %s (SHA-256 %s): fetched from the learner into %s (%d bytes, %.1f s)",
              jar.name(), jar.sha256(), path, jar.size(), (System.nanoTime() - startNanos) / 1e9));
    } catch (IOException e) {
      return fail(
          e instanceof PluginCache.CorruptTransfer
              ? e.getMessage()
              : "plugin jar " + jar.describe() + " cannot be cached here: " + e);
    }
    return nextJar();
  }

  /** Deletes the download in progress, then tells the node why. */
  private Behavior<Command> fail(String why) {
    onStop();
    replyTo.tell(new Failed(why));
    return Behaviors.stopped();
  }

  private Behavior<Command> onStop() {
    if (download != null) {
      try {
        download.close();
      } catch (IOException e) {
        ctx.getLog().warn("could not delete a partial plugin download: {}", e.toString());
      }
      download = null;
    }
    return Behaviors.same();
  }
}
