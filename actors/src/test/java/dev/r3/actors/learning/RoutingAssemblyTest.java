package dev.r3.actors.learning;

import static org.assertj.core.api.Assertions.assertThat;

import dev.r3.model.RoutingRecord;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** The buffer's assembly of routing records shipped in pieces ({@link RoutingAssembly}). */
class RoutingAssemblyTest {
  static final int LAYERS = 2;
  static final int K = 2;
  static final int EXPERTS = 8;

  /** A record of {@code positions} positions whose ids depend on (seed, position, layer, slot). */
  static RoutingRecord record(int positions, int seed) {
    int[] ids = new int[positions * LAYERS * K];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = Math.floorMod(seed * 31 + i * 7 + i / K, EXPERTS);
    }
    return RoutingRecord.of(positions, LAYERS, K, EXPERTS, ids);
  }

  /** Sample {@code sample} of group 7, {@code tokens} tokens, shipped without its record. */
  static ScoredTrajectory shipped(int sample, int tokens) {
    int[] t = new int[tokens];
    return new ScoredTrajectory(
        new Trajectory(7, sample, 1, 0, t, 2, new float[tokens - 2], null, true),
        1f,
        true,
        false,
        "ok");
  }

  @Test
  void piecesInOrder_makeTheWholeRecord_perTrajectory() {
    RoutingRecord a = record(9, 1);
    RoutingRecord b = record(9, 2);
    RoutingAssembly asm = new RoutingAssembly();
    asm.add(7, "x/1", 0, 0, a.slice(0, 4));
    asm.add(7, "x/1", 1, 0, b.slice(0, 6));
    asm.add(7, "x/1", 0, 4, a.slice(4, 9));
    asm.add(7, "x/1", 1, 6, b.slice(6, 9));
    RoutingAssembly.Assembled out = asm.complete(7, "x/1", List.of(shipped(0, 10), shipped(1, 10)));
    assertThat(out.errors()).isEmpty();
    assertThat(out.scored().get(0).trajectory().routing()).isEqualTo(a);
    assertThat(out.scored().get(1).trajectory().routing()).isEqualTo(b);
    assertThat(out.transport().trajectories()).isEqualTo(2);
    assertThat(out.transport().routingPieces()).isEqualTo(4);
    assertThat(out.transport().routingBytes()).isEqualTo(2L * 9 * LAYERS * K);
    assertThat(asm.groups()).as("forgotten once complete").isZero();
  }

  @Test
  void aLostMiddlePiece_isAnErrorNamingTheTrajectory_andItGetsNoRecord() {
    RoutingRecord a = record(9, 1);
    RoutingAssembly asm = new RoutingAssembly();
    asm.add(7, "x/1", 0, 0, a.slice(0, 3));
    asm.add(7, "x/1", 0, 6, a.slice(6, 9)); // [3, 6) lost
    asm.add(7, "x/1", 1, 0, a);
    RoutingAssembly.Assembled out = asm.complete(7, "x/1", List.of(shipped(0, 10), shipped(1, 10)));
    assertThat(out.errors())
        .singleElement()
        .asString()
        .contains("trajectory g7-s0", "starts at position 6", "[0, 3)", "a piece is missing");
    assertThat(out.scored().get(0).trajectory().routing()).isNull();
    assertThat(out.scored().get(1).trajectory().routing()).isEqualTo(a);
  }

  @Test
  void aReorderedPiece_isAnErrorNamingTheTrajectory() {
    RoutingRecord a = record(9, 1);
    RoutingAssembly asm = new RoutingAssembly();
    asm.add(7, "x/1", 2, 0, a.slice(0, 3));
    asm.add(7, "x/1", 2, 6, a.slice(6, 9)); // arrives before [3, 6)
    asm.add(7, "x/1", 2, 3, a.slice(3, 6));
    RoutingAssembly.Assembled out = asm.complete(7, "x/1", List.of(shipped(2, 10)));
    assertThat(out.errors()).singleElement().asString().contains("trajectory g7-s2");
    assertThat(out.scored().get(0).trajectory().routing()).isNull();
  }

  @Test
  void aRepeatedPiece_isAnError() {
    RoutingRecord a = record(9, 1);
    RoutingAssembly asm = new RoutingAssembly();
    asm.add(7, "x/1", 0, 0, a.slice(0, 3));
    asm.add(7, "x/1", 0, 0, a.slice(0, 3));
    asm.add(7, "x/1", 0, 3, a.slice(3, 9));
    assertThat(asm.complete(7, "x/1", List.of(shipped(0, 10))).errors())
        .singleElement()
        .asString()
        .contains("trajectory g7-s0", "arrived twice or out of order");
  }

  @Test
  void aLostLastPiece_isAnErrorNamingTheTrajectory() {
    RoutingRecord a = record(9, 1);
    RoutingAssembly asm = new RoutingAssembly();
    asm.add(7, "x/1", 0, 0, a.slice(0, 5)); // [5, 9) lost
    RoutingAssembly.Assembled out = asm.complete(7, "x/1", List.of(shipped(0, 10)));
    assertThat(out.errors())
        .singleElement()
        .asString()
        .contains("trajectory g7-s0", "holds 5 positions", "need 9", "a piece is missing");
  }

  @Test
  void noPieceAtAll_isAnErrorNamingTheTrajectory() {
    RoutingAssembly.Assembled out =
        new RoutingAssembly().complete(7, "x/1", List.of(shipped(3, 10)));
    assertThat(out.errors()).singleElement().asString().contains("trajectory g7-s3", "no piece");
  }

  @Test
  void aNewAttempt_isAssembledFromItsOwnPieces_andAnOldAttemptsReportWithoutPiecesGetsNoRecord() {
    RoutingRecord a = record(9, 1);
    RoutingAssembly asm = new RoutingAssembly();
    asm.add(7, "x/1", 0, 0, a.slice(0, 3)); // the first attempt failed midway
    asm.add(7, "x/2", 0, 0, a.slice(0, 4)); // re-issued: starts again at 0
    asm.add(7, "x/2", 0, 4, a.slice(4, 9));
    assertThat(asm.complete(7, "x/2", List.of(shipped(0, 10))).scored().get(0).trajectory())
        .extracting(Trajectory::routing)
        .isEqualTo(a);
    asm.add(7, "x/2", 0, 0, a);
    assertThat(asm.complete(7, "x/1", List.of(shipped(0, 10))).errors())
        .singleElement()
        .asString()
        .contains("g7-s0", "no piece of attempt x/1", "pieces of attempt x/2 did");
  }

  /**
   * A cluster re-issue: the buffer launched the group again elsewhere while the first launch still
   * runs (its station took it late). The two launches' pieces arrive interleaved; whichever
   * reports, its trajectories get the records its own pieces make.
   */
  @Test
  void interleavedPiecesOfTwoLaunches_eachAssembleApart() {
    RoutingRecord a = record(9, 1);
    RoutingRecord b = record(9, 2);
    RoutingAssembly asm = new RoutingAssembly();
    asm.add(7, "old/1", 0, 0, a.slice(0, 4));
    asm.add(7, "new/1", 0, 0, b.slice(0, 5));
    asm.add(7, "old/1", 0, 4, a.slice(4, 9));
    asm.add(7, "new/1", 0, 5, b.slice(5, 9));
    RoutingAssembly.Assembled fresh = asm.complete(7, "new/1", List.of(shipped(0, 10)));
    assertThat(fresh.errors()).isEmpty();
    assertThat(fresh.scored().get(0).trajectory().routing()).isEqualTo(b);
    assertThat(fresh.transport().routingPieces()).isEqualTo(2);
    assertThat(asm.groups()).as("every attempt forgotten once the group completes").isZero();

    asm.add(7, "old/1", 0, 0, a.slice(0, 4));
    asm.add(7, "new/1", 0, 0, b.slice(0, 5));
    asm.add(7, "old/1", 0, 4, a.slice(4, 9));
    RoutingAssembly.Assembled late = asm.complete(7, "old/1", List.of(shipped(0, 10)));
    assertThat(late.errors()).isEmpty();
    assertThat(late.scored().get(0).trajectory().routing()).isEqualTo(a);
  }

  @Test
  void discard_forgetsEveryAttemptOfTheGroup() {
    RoutingAssembly asm = new RoutingAssembly();
    asm.add(7, "old/1", 0, 0, record(4, 1));
    asm.add(7, "new/1", 0, 0, record(4, 2));
    asm.add(8, "x/1", 0, 0, record(4, 3));
    asm.discard(7);
    assertThat(asm.groups()).isEqualTo(1);
    assertThat(asm.complete(7, "new/1", List.of(shipped(0, 5))).errors())
        .singleElement()
        .asString()
        .contains("g7-s0", "no piece of attempt new/1");
  }

  @Test
  void aTrajectoryShippedWithItsRecord_keepsIt() {
    RoutingRecord a = record(9, 1);
    ScoredTrajectory whole =
        new ScoredTrajectory(shipped(0, 10).trajectory().withRouting(a), 1f, true, false, "ok");
    RoutingAssembly.Assembled out = new RoutingAssembly().complete(7, "", List.of(whole));
    assertThat(out.errors()).isEmpty();
    assertThat(out.scored()).containsExactly(whole);
  }

  /** Any cut of a record into consecutive pieces, in order, assembles to the record. */
  @Property(tries = 100)
  void anyCutInOrder_reassembles(
      @ForAll @IntRange(min = 1, max = 40) int positions,
      @ForAll @IntRange(min = 1, max = 6) int pieces,
      @ForAll int seed) {
    RoutingRecord a = record(positions, seed);
    RoutingAssembly asm = new RoutingAssembly();
    java.util.Random rnd = new java.util.Random(seed);
    int from = 0;
    for (int i = 0; i < pieces && from < positions; i++) {
      int to = i == pieces - 1 ? positions : from + 1 + rnd.nextInt(positions - from);
      asm.add(7, "a", 0, from, a.slice(from, to));
      from = to;
    }
    RoutingAssembly.Assembled out = asm.complete(7, "a", List.of(shipped(0, positions + 1)));
    assertThat(out.errors()).isEmpty();
    assertThat(out.scored().get(0).trajectory().routing()).isEqualTo(a);
  }
}
