package dev.r3.actors.learning;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The groups waiting for the learner: batches in id order, stale and rewound groups dropped. */
class WaitingGroupsTest {

  /** A group of {@code n} samples generated at {@code version}, produced in {@code ledger}. */
  static ScoredGroup group(Ledger ledger, long id, long version, int n) {
    List<ScoredTrajectory> members = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      members.add(GroupAcceptanceTest.sample(i, i % 2, true));
    }
    ledger.produced(n);
    return new ScoredGroup(id, id, version, members);
  }

  static List<Long> ids(List<ScoredGroup> groups) {
    return groups.stream().map(ScoredGroup::groupId).toList();
  }

  @Test
  void aBatchTakesTheLowestGroupIds_notTheOrderTheyFinishedIn_andCountsThemInTraining() {
    Ledger ledger = new Ledger();
    var waiting = new WaitingGroups(ledger, new StalenessGate(1, 2));
    waiting.add(group(ledger, 5, 0, 2));
    assertThat(waiting.takeBatch()).isNull();
    waiting.add(group(ledger, 3, 0, 2));
    waiting.add(group(ledger, 4, 0, 3));

    assertThat(ids(waiting.takeBatch())).containsExactly(3L, 4L);
    assertThat(waiting.size()).isEqualTo(1);
    assertThat(ledger.counts().inTraining()).isEqualTo(5);
    assertThat(ledger.counts().buffered()).isEqualTo(2);
  }

  @Test
  void groupsOlderThanTheStalenessBound_areDroppedAsStale() {
    Ledger ledger = new Ledger();
    var waiting = new WaitingGroups(ledger, new StalenessGate(1, 2));
    waiting.add(group(ledger, 1, 0, 2));
    waiting.add(group(ledger, 2, 1, 2));

    assertThat(ids(waiting.dropStale(1))).isEmpty();
    assertThat(ids(waiting.dropStale(2))).containsExactly(1L);
    assertThat(ledger.counts().dropped(DropReason.STALE)).isEqualTo(2);
    assertThat(waiting.size()).isEqualTo(1);
  }

  @Test
  void aRewind_dropsTheGroupsGeneratedAfterTheCheckpoint_andTheEnd_dropsTheRest() {
    Ledger ledger = new Ledger();
    var waiting = new WaitingGroups(ledger, new StalenessGate(4, 2));
    waiting.add(group(ledger, 1, 2, 1));
    waiting.add(group(ledger, 2, 3, 2));
    waiting.add(group(ledger, 3, 4, 3));

    assertThat(ids(waiting.dropGeneratedAfter(2, DropReason.LOST_IN_CRASH)))
        .containsExactly(2L, 3L);
    assertThat(ids(waiting.dropAll(DropReason.RUN_ENDED))).containsExactly(1L);
    assertThat(ledger.counts().dropped(DropReason.LOST_IN_CRASH)).isEqualTo(5);
    assertThat(ledger.counts().dropped(DropReason.RUN_ENDED)).isEqualTo(1);
    assertThat(ledger.checkClosed().produced()).isEqualTo(6);
  }
}
