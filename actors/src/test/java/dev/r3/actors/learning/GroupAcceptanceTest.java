package dev.r3.actors.learning;

import static org.assertj.core.api.Assertions.assertThat;

import dev.r3.model.ModelConfig;
import dev.r3.model.RoutingRecord;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The buffer's acceptance rule for one finished group, and what it books in the ledger. */
class GroupAcceptanceTest {
  // 2 MoE layers, top-2 of 4 experts.
  static final ModelConfig MOE = ModelConfig.builder(16).layers(2).experts(4, 2, 8).build();

  /** A sample of a 3-token prompt and 2 generated tokens; routing fits it unless told. */
  static ScoredTrajectory sample(int i, float reward, boolean aligned) {
    int[] tokens = {1, 2, 3, 4, 5};
    int positions = aligned ? tokens.length - 1 : tokens.length;
    RoutingRecord r = RoutingRecord.of(positions, 2, 2, 4, new int[positions * 2 * 2]);
    Trajectory t = new Trajectory(7, i, 11, 0, tokens, 3, new float[] {-1f, -1f}, r, true);
    return new ScoredTrajectory(t, reward, reward > 0, false, null);
  }

  static ScoredTrajectory failed(int i) {
    ScoredTrajectory s = sample(i, 0f, true);
    return new ScoredTrajectory(s.trajectory(), 0f, false, true, "env threw");
  }

  @Test
  void aGroupWithMixedRewards_isKeptWhole_andCountedProduced() {
    Ledger ledger = new Ledger();
    var acceptance = new GroupAcceptance(ledger, MOE, true, true);

    var out = acceptance.accept(7, 11, 0, 0, List.of(sample(0, 1f, true), sample(1, 0f, true)));

    assertThat(out.kept()).isNotNull();
    assertThat(out.kept().members()).hasSize(2);
    assertThat(out.tokens()).isEqualTo(4);
    assertThat(ledger.counts().produced()).isEqualTo(2);
    assertThat(ledger.counts().droppedTotal()).isZero();
  }

  @Test
  void underR3_aSampleWhoseRoutingDoesNotFitItsTokens_isDroppedAsMisaligned_andNamed() {
    Ledger ledger = new Ledger();
    var acceptance = new GroupAcceptance(ledger, MOE, true, false);

    var out =
        acceptance.accept(
            7, 11, 0, 0, List.of(sample(0, 1f, true), sample(1, 0f, false), sample(2, 0f, true)));

    assertThat(out.misaligned()).singleElement().asString().startsWith("g7-s1: ");
    assertThat(out.kept().members()).hasSize(2);
    assertThat(ledger.counts().produced()).isEqualTo(3);
    assertThat(ledger.counts().dropped(DropReason.ROUTING_MISALIGNED)).isEqualTo(1);
  }

  @Test
  void withoutRoutingReplay_routingIsNotChecked() {
    Ledger ledger = new Ledger();
    var acceptance = new GroupAcceptance(ledger, MOE, false, false);

    var out = acceptance.accept(7, 11, 0, 0, List.of(sample(0, 1f, false)));

    assertThat(out.misaligned()).isEmpty();
    assertThat(out.kept().members()).hasSize(1);
  }

  @Test
  void underDynamicSampling_aGroupWithAllEqualRewards_isDroppedWhole() {
    Ledger ledger = new Ledger();
    var acceptance = new GroupAcceptance(ledger, MOE, true, true);

    var out =
        acceptance.accept(
            7, 11, 0, 0, List.of(sample(0, 1f, true), sample(1, 1f, true), failed(2)));

    assertThat(out.kept()).isNull();
    assertThat(out.allEqual()).isEqualTo(2);
    assertThat(out.failed()).isEqualTo(1);
    assertThat(ledger.counts().dropped(DropReason.ALL_EQUAL)).isEqualTo(2);
    assertThat(ledger.counts().dropped(DropReason.FAILED_EPISODE)).isEqualTo(1);
    assertThat(ledger.counts().produced()).isEqualTo(3);
  }

  @Test
  void aGroupFromAVersionALearnerRestartUndid_isLostInTheCrashWhole() {
    Ledger ledger = new Ledger();
    var acceptance = new GroupAcceptance(ledger, MOE, true, true);

    var out = acceptance.accept(7, 11, 5, 4, List.of(sample(0, 1f, true), sample(1, 0f, true)));

    assertThat(out.lostInCrash()).isTrue();
    assertThat(out.kept()).isNull();
    assertThat(ledger.counts().produced()).isEqualTo(2);
    assertThat(ledger.counts().dropped(DropReason.LOST_IN_CRASH)).isEqualTo(2);
    assertThat(ledger.counts().buffered()).isZero();
  }
}
