package dev.r3.actors.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.r3.actors.chaos.Chaos;
import dev.r3.actors.config.R3Config;
import dev.r3.actors.learning.DropReason;
import dev.r3.actors.learning.Ledger;
import dev.r3.model.RoutingRecord;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The buffer's launched groups with a crew of two stations on node-0 and node-1 that records
 * launches, aborts and timers: re-issue, leases and what a release forgets.
 */
class LaunchedGroupsTest {
  record Launch(long groupId, int station) {}

  final List<Launch> launches = new ArrayList<>();
  final List<String> aborts = new ArrayList<>();
  final List<String> timers = new ArrayList<>();
  final Ledger ledger = new Ledger();

  /** Two stations; {@code cluster}: launches are confirmed and timed, as in a cluster. */
  record Crew(boolean cluster) implements GroupRunner {
    @Override
    public int stations() {
      return 2;
    }

    @Override
    public Launched launch(
        ActorContext<ReplayBuffer.Command> ctx,
        GroupRollout.Order order,
        int station,
        R3Config config,
        Chaos chaos) {
      throw new AssertionError("launched through the Launcher");
    }

    @Override
    public boolean confirmsPlacement() {
      return cluster;
    }

    @Override
    public String nodeOf(int station) {
      return "node-" + station;
    }
  }

  LaunchedGroups launched(boolean cluster, int maxRetries) {
    return new LaunchedGroups(
        new Crew(cluster),
        (order, station) -> {
          launches.add(new Launch(order.groupId(), station));
          return new GroupRunner.Launched() {
            @Override
            public void abort(String why) {
              aborts.add(order.groupId() + ": " + why);
            }

            @Override
            public void abort(String why, DropReason reason) {
              aborts.add(order.groupId() + " " + reason + ": " + why);
            }

            @Override
            public void giveUp(ActorContext<ReplayBuffer.Command> ctx) {}
          };
        },
        new LaunchedGroups.LaunchTimers() {
          @Override
          public void start(long groupId, int launch) {
            timers.add("start " + groupId + "#" + launch);
          }

          @Override
          public void cancel(long groupId) {
            timers.add("cancel " + groupId);
          }
        },
        ledger,
        maxRetries,
        Duration.ofSeconds(5),
        Duration.ofMinutes(1),
        LoggerFactory.getLogger(LaunchedGroupsTest.class));
  }

  static GroupRollout.Order order(long id) {
    return new GroupRollout.Order(id, 100 + id, 200 + id, 0, 4);
  }

  @Test
  void anUnconfirmedLaunch_isReissuedAtTheOtherStation_withNewTimers_butAConfirmedOneIsNot() {
    var g = launched(true, 3);
    g.admit(order(0), 0);
    g.admit(order(1), 0);
    g.placed(new ReplayBuffer.GroupPlaced(1, 1, "node-1"));

    assertThat(g.placementDue(0, 1, false)).isTrue();
    assertThat(g.placementDue(0, 1, false)).as("an earlier launch's timer").isFalse();
    assertThat(g.placementDue(1, 1, false)).as("confirmed").isFalse();

    assertThat(launches).containsExactly(new Launch(0, 0), new Launch(1, 1), new Launch(0, 1));
    assertThat(timers).containsExactly("start 0#1", "start 1#1", "start 0#2");
    assertThat(g.running()).isEqualTo(2);
  }

  @Test
  void aGroupLostWithItsNodeMoreThanMaxRetriesTimes_isDroppedNodeLost_andReleased() {
    var g = launched(true, 1);
    g.admit(order(0), 0);

    g.nodeLost("node-0", false); // re-issued to station 1
    g.nodeLost("node-1", false); // lost twice: more than max-retries

    assertThat(launches).containsExactly(new Launch(0, 0), new Launch(0, 1));
    assertThat(ledger.counts().abandonedGroups(DropReason.NODE_LOST)).isEqualTo(1);
    assertThat(g.idle()).isTrue();
    assertThat(timers).last().isEqualTo("cancel 0");
  }

  @Test
  void whileTheRunDrains_aGroupLostWithItsNode_isDropped_notReissued() {
    var g = launched(true, 3);
    g.admit(order(0), 0);

    g.nodeLost("node-0", true);

    assertThat(launches).hasSize(1);
    assertThat(ledger.counts().abandonedGroups(DropReason.NODE_LOST)).isEqualTo(1);
    assertThat(g.running()).isZero();
  }

  @Test
  void anExpiredLeaseOnALiveNode_abortsTheRolloutAndDropsItTimedOut() {
    var g = launched(true, 3);
    g.admit(order(0), 0);
    g.placed(new ReplayBuffer.GroupPlaced(0, 0, "node-0"));

    assertThat(g.leaseExpired(0, 2, false)).as("not this launch's lease").isFalse();
    assertThat(g.leaseExpired(0, 1, false)).isTrue();

    assertThat(aborts).singleElement().asString().startsWith("0 TIMED_OUT: running longer than");
    assertThat(ledger.counts().abandonedGroups(DropReason.TIMED_OUT)).isEqualTo(1);
    assertThat(g.idle()).isTrue();
  }

  @Test
  void anExpiredLeaseOnAGoneNode_reissuesTheGroup() {
    var g = launched(true, 3);
    g.admit(order(0), 0);
    g.nodeLost("node-9", false);
    g.placed(new ReplayBuffer.GroupPlaced(0, 0, "node-9")); // confirmed after its node was lost

    assertThat(g.leaseExpired(0, 1, false)).isTrue();

    assertThat(launches).containsExactly(new Launch(0, 0), new Launch(0, 1));
    assertThat(aborts).isEmpty();
    assertThat(ledger.counts().abandonedGroups(DropReason.TIMED_OUT)).isZero();
  }

  @Test
  void aRelease_forgetsTheGroupsRoutingPieces_andAPieceOfAGroupNotRunningIsIgnored() {
    var g = launched(false, 3);
    g.admit(order(0), 0);
    RoutingRecord piece = RoutingRecord.of(1, 2, 2, 4, new int[4]);
    g.piece(new ReplayBuffer.RoutingPiece(0, "a1", 0, 0, piece));
    g.piece(new ReplayBuffer.RoutingPiece(7, "a1", 0, 0, piece));
    assertThat(g.assembling()).isEqualTo(1);

    assertThat(g.release(0)).isTrue();
    assertThat(g.release(0)).isFalse();

    assertThat(g.assembling()).isZero();
    assertThat(timers).as("one JVM: no timers").isEmpty();
    assertThat(g.idle()).as("its rollout has not closed").isFalse();
    g.closed(0);
    assertThat(g.idle()).isTrue();
  }

  @Test
  void aLearnerRestart_abortsOnlyTheGroupsAdmittedAfterTheCheckpoint() {
    var g = launched(false, 3);
    g.admit(order(0), 1);
    g.admit(order(1), 2);

    g.abortAdmittedAfter(1);

    assertThat(aborts)
        .containsExactly("1 LOST_IN_CRASH: admitted at v2, undone by the learner restart");
  }

  @Test
  void givingUpOnOpenRollouts_releasesTheirGroups() {
    var g = launched(false, 3);
    g.admit(order(0), 0);
    g.admit(order(1), 0);
    List<GroupRunner.Launched> givenUp = new ArrayList<>();

    g.abortOpen("run ended");
    g.giveUpOpen(givenUp::add);

    assertThat(aborts).containsExactlyInAnyOrder("0: run ended", "1: run ended");
    assertThat(givenUp).hasSize(2);
    assertThat(g.idle()).isTrue();
  }
}
