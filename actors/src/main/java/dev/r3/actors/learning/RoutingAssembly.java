package dev.r3.actors.learning;

import dev.r3.model.RoutingRecord;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The replay buffer's end of the incremental routing transport: a rollout ships each trajectory's
 * routing record in pieces, per turn only the positions the buffer does not hold yet (like SGLang's
 * {@code routed_experts_start_len}), and its trajectories without a record; this class assembles
 * the pieces into one record per trajectory ({@link RoutingPieces}) and hands it to the finished
 * group.
 *
 * <p>Pieces belong to one attempt of a group (a group re-issued after a worker failure, or to
 * another node, is another attempt): each attempt's pieces are kept apart until the group
 * completes, so the late pieces of a superseded attempt (a launch that was re-issued but still
 * runs) never disturb the current one's, and the group completes with the pieces of the attempt
 * that reported. A piece that does not start where its trajectory's record ends (one lost or
 * reordered on the way), or a record that ends short of its tokens, is an error naming the
 * trajectory: the trajectory comes back without a record and the error says why, never with a
 * silent gap. Not thread-safe: the buffer owns it.
 */
public final class RoutingAssembly {

  /**
   * A finished group's trajectories with their assembled records.
   *
   * @param scored in the order given; a trajectory whose record could not be assembled has none
   *     (routing null), and {@code errors} says why
   * @param errors one message per trajectory without a record, naming it
   * @param transport the pieces and bytes the assembled records came in
   */
  public record Assembled(
      List<ScoredTrajectory> scored, List<String> errors, RolloutCounters transport) {}

  private static final class Group {
    final String attempt;
    final Map<Integer, RoutingPieces> samples = new HashMap<>();
    final Map<Integer, String> broken = new HashMap<>();
    long pieces;
    long bytes;

    Group(String attempt) {
      this.attempt = attempt;
    }
  }

  // group id -> its attempts' pieces, by attempt, in the order the attempts first shipped
  private final Map<Long, Map<String, Group>> groups = new HashMap<>();

  /**
   * Adds positions {@code from .. from + piece.positions() - 1} of sample {@code sample} of group
   * {@code groupId}, shipped by attempt {@code attempt}.
   */
  public void add(long groupId, String attempt, int sample, int from, RoutingRecord piece) {
    Group g =
        groups
            .computeIfAbsent(groupId, id -> new LinkedHashMap<>())
            .computeIfAbsent(attempt, Group::new);
    g.pieces++;
    g.bytes += piece.byteSize();
    if (g.broken.containsKey(sample)) {
      return; // the first error stands
    }
    RoutingPieces record =
        g.samples.computeIfAbsent(sample, s -> new RoutingPieces(Trajectory.id(groupId, s)));
    try {
      record.add(from, piece);
    } catch (IllegalStateException e) {
      g.broken.put(sample, e.getMessage());
    }
  }

  /**
   * Gives every trajectory of the finished group {@code groupId} (attempt {@code attempt}) that
   * came without a record the one its pieces make, and forgets the group. A trajectory that came
   * with its whole record keeps it.
   */
  public Assembled complete(long groupId, String attempt, List<ScoredTrajectory> scored) {
    Map<String, Group> attempts = groups.remove(groupId);
    Group g = attempts == null ? null : attempts.get(attempt);
    boolean same = g != null;
    String others = attempts == null ? "" : String.join(", ", attempts.keySet());
    List<ScoredTrajectory> out = new ArrayList<>(scored.size());
    List<String> errors = new ArrayList<>();
    long assembled = 0;
    for (ScoredTrajectory s : scored) {
      Trajectory t = s.trajectory();
      if (t.routing() != null) {
        out.add(s);
        continue;
      }
      String error;
      RoutingPieces record = same ? g.samples.get(t.sample()) : null;
      if (same && g.broken.containsKey(t.sample())) {
        error = g.broken.get(t.sample());
      } else if (record == null) {
        error =
            "routing of trajectory "
                + t.id()
                + ": no piece of attempt "
                + attempt
                + " arrived"
                + (!same && !others.isEmpty() ? " (pieces of attempt " + others + " did)" : "");
      } else {
        try {
          RoutingRecord whole = record.complete(t.tokens().length - 1);
          out.add(
              new ScoredTrajectory(
                  t.withRouting(whole), s.reward(), s.correct(), s.failed(), s.reason()));
          assembled++;
          continue;
        } catch (IllegalStateException e) {
          error = e.getMessage();
        }
      }
      errors.add(error);
      out.add(s);
    }
    RolloutCounters transport =
        same ? RolloutCounters.transport(assembled, g.pieces, g.bytes) : RolloutCounters.NONE;
    return new Assembled(out, errors, transport);
  }

  /** Forgets the pieces of every attempt of a group that will not finish (abandoned, given up). */
  public void discard(long groupId) {
    groups.remove(groupId);
  }

  /** Groups with pieces held. */
  public int groups() {
    return groups.size();
  }
}
