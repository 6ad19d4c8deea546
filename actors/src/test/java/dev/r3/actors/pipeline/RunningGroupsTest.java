package dev.r3.actors.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The buffer's running groups: least-loaded stations, release, rewind and cluster re-issue. */
class RunningGroupsTest {

  static GroupRollout.Order order(long id) {
    return new GroupRollout.Order(id, 100 + id, 200 + id, 0, 4);
  }

  @Test
  void newGroups_goToTheLeastLoadedStation_andAReleaseFreesItsPlace() {
    var running = new RunningGroups(3);
    assertThat(running.admit(order(0), 0)).isEqualTo(0);
    assertThat(running.admit(order(1), 0)).isEqualTo(1);
    assertThat(running.admit(order(2), 0)).isEqualTo(2);
    assertThat(running.admit(order(3), 0)).isEqualTo(0);

    assertThat(running.release(1)).isTrue();
    assertThat(running.release(1)).isFalse();
    assertThat(running.admit(order(4), 0)).isEqualTo(1);
    assertThat(running.size()).isEqualTo(4);
    assertThat(running.stationOf(4)).isEqualTo(1);
    assertThat(running.order(4)).isEqualTo(order(4));
  }

  @Test
  void aRewind_findsTheGroupsAdmittedAfterTheCheckpointVersion() {
    var running = new RunningGroups(2);
    running.admit(order(0), 1);
    running.admit(order(1), 2);
    running.admit(order(2), 3);
    running.release(2);

    assertThat(running.admittedAfter(1)).isEqualTo(Map.of(1L, 2L));
  }

  @Test
  void groupsLostWithANode_arePlacedThere_orUnconfirmedAtAStationThatLivesThere() {
    var running = new RunningGroups(2);
    running.admit(order(0), 0); // station 0
    running.admit(order(1), 0); // station 1
    running.admit(order(2), 0); // station 0
    running.placed(0, "b:2552"); // moved: confirmed on node b
    String[] nodes = {"a:2552", "b:2552"};

    assertThat(running.lostWith("a:2552", s -> nodes[s], id -> true)).containsExactly(2L);
    assertThat(running.lostWith("b:2552", s -> nodes[s], id -> true))
        .containsExactlyInAnyOrder(0L, 1L);
    assertThat(running.lostWith("b:2552", s -> nodes[s], Set.of(1L)::contains)).containsExactly(1L);
  }

  @Test
  void aReissuedGroup_movesToAnotherStation_andItsLossesAndLaunchesAreCounted() {
    var running = new RunningGroups(2);
    running.admit(order(0), 0);
    assertThat(running.launched(0)).isEqualTo(1);
    running.placed(0, "a:2552");
    assertThat(running.isPlaced(0)).isTrue();

    assertThat(running.lost(0)).isEqualTo(1);
    assertThat(running.isPlaced(0)).isFalse();
    assertThat(running.move(0)).isEqualTo(1);
    assertThat(running.launched(0)).isEqualTo(2);
    assertThat(running.launches(0)).isEqualTo(2);
    assertThat(running.lost(0)).isEqualTo(2);
    assertThat(running.move(0)).isEqualTo(0);

    running.release(0);
    assertThat(running.launches(0)).isZero();
    assertThat(running.admit(order(1), 0)).isEqualTo(0); // both stations free again
  }

  @Test
  void joinedStations_takeNewGroupsFirst() {
    var running = new RunningGroups(1);
    running.admit(order(0), 0);
    running.grow(2);
    assertThat(running.stations()).isEqualTo(2);
    assertThat(running.admit(order(1), 0)).isEqualTo(1);
  }
}
