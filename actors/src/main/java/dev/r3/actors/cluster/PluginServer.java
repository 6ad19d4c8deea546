package dev.r3.actors.cluster;

import dev.r3.actors.wire.WireMessage;
import java.util.Arrays;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * The learner node's side of plugin distribution: serves the run's plugin jars ({@link
 * PluginBundle}, read and digested at start) to rollout nodes piece by piece over the cluster (Kryo
 * on Artery), each piece at most {@link #MAX_PIECE} bytes so that no message exceeds the frame
 * size. A rollout node's {@link PluginFetcher} asks for the pieces of a jar it does not have with
 * the run's digest; the server knows jars only by SHA-256, so a node cannot be served a jar other
 * than one the learner loaded.
 *
 * <p>Loses nothing on restart: the bundle is immutable and every request carries its reply-to.
 */
public final class PluginServer {

  /** A piece is at most Artery's frame limit less room for the message around it. */
  public static final int MAX_PIECE = ClusterConfig.MAX_CHUNK_BYTES - 4096;

  // ---- protocol ----
  public sealed interface Command extends WireMessage permits FetchPiece {}

  /** Bytes {@code [offset, offset + length)} of the jar with this SHA-256. */
  public record FetchPiece(String sha256, long offset, int length, ActorRef<Reply> replyTo)
      implements Command {}

  /** What a {@link FetchPiece} gets back. */
  public sealed interface Reply extends WireMessage permits Piece, Refused {}

  /** The bytes asked for (fewer only at the jar's end). */
  public record Piece(String sha256, long offset, byte[] data) implements Reply {}

  /** The request cannot be served: no jar of the run has that digest, or the range is wrong. */
  public record Refused(String sha256, String reason) implements Reply {}

  public static Behavior<Command> create(PluginBundle bundle) {
    return Behaviors.setup(
        ctx ->
            Behaviors.receive(Command.class)
                .onMessage(FetchPiece.class, m -> onFetch(bundle, m))
                .build());
  }

  private static Behavior<Command> onFetch(PluginBundle bundle, FetchPiece m) {
    byte[] jar = bundle.bytes(m.sha256());
    if (jar == null) {
      m.replyTo()
          .tell(new Refused(m.sha256(), "the learner serves no plugin jar with this digest"));
    } else if (m.offset() < 0 || m.offset() >= jar.length || m.length() < 1) {
      m.replyTo()
          .tell(
              new Refused(
                  m.sha256(),
                  "no bytes at offset "
                      + m.offset()
                      + ", length "
                      + m.length()
                      + " (the jar has "
                      + jar.length
                      + ")"));
    } else {
      int from = (int) m.offset();
      int to = (int) Math.min(jar.length, from + (long) Math.min(m.length(), MAX_PIECE));
      m.replyTo().tell(new Piece(m.sha256(), m.offset(), Arrays.copyOfRange(jar, from, to)));
    }
    return Behaviors.same();
  }
}
