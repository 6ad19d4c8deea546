package dev.r3.actors.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.r3.actors.chaos.ChaosLog;
import dev.r3.actors.learning.DropReason;
import dev.r3.actors.learning.GroupAcceptance;
import dev.r3.actors.learning.Ledger;
import dev.r3.actors.learning.RolloutCounters;
import dev.r3.actors.learning.ScoredTrajectory;
import dev.r3.actors.learning.StalenessGate;
import dev.r3.actors.learning.Trajectory;
import dev.r3.model.ModelConfig;
import dev.r3.model.RoutingRecord;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** A finished group's way into the buffer: what the staleness gate counts, and what is dropped. */
class GroupIntakeTest {
  // 2 MoE layers, top-2 of 4 experts.
  static final ModelConfig MOE = ModelConfig.builder(16).layers(2).experts(4, 2, 8).build();

  /**
   * Group {@code id} generated at {@code version}: one sample per reward, each a 3-token prompt and
   * 2 generated tokens with a routing record that fits.
   */
  static ReplayBuffer.GroupFinished finished(long id, long version, float... rewards) {
    List<ScoredTrajectory> scored = new ArrayList<>();
    for (int i = 0; i < rewards.length; i++) {
      int[] tokens = {1, 2, 3, 4, 5};
      RoutingRecord r = RoutingRecord.of(4, 2, 2, 4, new int[4 * 2 * 2]);
      var t = new Trajectory(id, i, 11, version, tokens, 3, new float[] {-1f, -1f}, r, true);
      scored.add(new ScoredTrajectory(t, rewards[i], rewards[i] > 0, false, null));
    }
    return new ReplayBuffer.GroupFinished(
        id, 11, version, scored, "w0", 0.1, 0, true, "", RolloutCounters.NONE);
  }

  /** Staleness 1, two groups a batch, dynamic sampling, nothing trained before. */
  static GroupIntake intake(Ledger ledger) {
    return intake(ledger, new ChaosLog());
  }

  static GroupIntake intake(Ledger ledger, ChaosLog chaos) {
    return new GroupIntake(
        ledger,
        new GroupAcceptance(ledger, MOE, true, true),
        new StalenessGate(1, 2),
        new HeldBack(chaos),
        0,
        LoggerFactory.getLogger(GroupIntakeTest.class));
  }

  final Ledger ledger = new Ledger();
  final ChaosLog chaos = new ChaosLog();
  final GroupIntake intake = intake(ledger, chaos);

  @Test
  void aKeptGroup_waitsAndCountsAtTheGate_anAllEqualOneDoesNot() {

    assertThat(intake.accept(finished(0, 0, 1f, 0f), 0)).as("generated tokens").isEqualTo(4);
    assertThat(intake.accept(finished(1, 0, 1f, 1f), 0)).isEqualTo(4);

    assertThat(intake.accepted()).isEqualTo(1);
    assertThat(intake.waiting()).isEqualTo(1);
    assertThat(ledger.counts().produced()).isEqualTo(4);
    assertThat(ledger.counts().dropped(DropReason.ALL_EQUAL)).isEqualTo(2);
  }

  @Test
  void aHeldGroupFromAVersionTheBufferHasNotReached_isLostInTheCrash_andLoggedSo() {
    intake.hold(finished(0, 3, 1f, 0f));

    // At v2 the group (v3) is newer than the buffer: a learner restart undid its version.
    var released = intake.releaseHeld(2, 1, false);
    assertThat(released).hasSize(1);
    assertThat(intake.accept(released.get(0), 2)).as("no tokens").isZero();

    assertThat(intake.accepted()).isZero();
    assertThat(intake.waiting()).isZero();
    assertThat(ledger.counts().dropped(DropReason.LOST_IN_CRASH)).isEqualTo(2);
    assertThat(chaos.handledCount(ChaosLog.STALE_DELAY, "lost_in_crash")).isEqualTo(1);
  }

  @Test
  void aStaleDrop_givesItsPlaceAtTheGateBack() {
    intake.accept(finished(0, 0, 1f, 0f), 0);
    intake.accept(finished(1, 1, 1f, 0f), 1);

    intake.dropStale(2); // eta 1: v0 is stale at v2, v1 is not

    assertThat(intake.accepted()).isEqualTo(1);
    assertThat(intake.waiting()).isEqualTo(1);
    assertThat(ledger.counts().dropped(DropReason.STALE)).isEqualTo(2);
  }

  @Test
  void aBatch_takesTwoWaitingGroups_andCountsThemInTraining() {
    intake.accept(finished(0, 0, 1f, 0f), 0);
    assertThat(intake.takeBatch()).as("one group is not a batch").isNull();
    intake.accept(finished(1, 0, 1f, 0f), 0);

    assertThat(intake.takeBatch()).hasSize(2);
    assertThat(intake.waiting()).isZero();
    assertThat(intake.accepted()).as("still trainable: in training").isEqualTo(2);
    assertThat(ledger.counts().inTraining()).isEqualTo(4);
  }

  @Test
  void aRewind_dropsWhatTheRestartUndid_andRecountsTheGateFromTheCheckpoint() {
    intake.accept(finished(0, 0, 1f, 0f), 0);
    intake.accept(finished(1, 0, 1f, 0f), 0);
    ledger.trained(intake.takeBatch().size() * 2L); // trained at v0: 4 trajectories
    intake.accept(finished(2, 1, 1f, 0f), 1);
    intake.accept(finished(3, 2, 1f, 0f), 2);

    // The checkpoint of v1 had trained nothing: the 4 trained and group 3 (v2) are lost.
    long lost = intake.rewind(new ReplayBuffer.Rewind(1, 0, 0));

    assertThat(lost).isEqualTo(6);
    assertThat(ledger.counts().dropped(DropReason.LOST_IN_CRASH)).isEqualTo(6);
    assertThat(intake.waiting()).isEqualTo(1);
    assertThat(intake.accepted()).as("checkpoint's groups + waiting").isEqualTo(1);
  }

  @Test
  void anAbandonedGroup_countsWhatItDelivered_orItselfWhenNothingWasDelivered() {

    intake.abandoned(new ReplayBuffer.GroupAbandoned(0, 3, DropReason.WORKER_FAILED, "x", true));
    intake.abandoned(new ReplayBuffer.GroupAbandoned(1, 0, DropReason.WORKER_FAILED, "y", true));
    intake.lateTrajectories(new ReplayBuffer.LateTrajectories(2, 4, "w1"));

    assertThat(ledger.counts().produced()).isEqualTo(7);
    assertThat(ledger.counts().dropped(DropReason.WORKER_FAILED)).isEqualTo(3);
    assertThat(ledger.counts().dropped(DropReason.TIMED_OUT)).isEqualTo(4);
    assertThat(ledger.counts().abandonedGroups(DropReason.WORKER_FAILED)).isEqualTo(1);
  }

  @Test
  void theEndOfTheRun_dropsEveryWaitingGroup() {
    intake.accept(finished(0, 0, 1f, 0f), 0);

    intake.dropWaiting();

    assertThat(intake.waiting()).isZero();
    assertThat(ledger.counts().dropped(DropReason.RUN_ENDED)).isEqualTo(2);
    assertThat(ledger.counts().closed()).isTrue();
  }
}
