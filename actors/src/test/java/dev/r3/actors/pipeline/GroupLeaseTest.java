package dev.r3.actors.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.r3.actors.chaos.Chaos;
import dev.r3.actors.config.R3Config;
import dev.r3.actors.learning.DropReason;
import dev.r3.actors.testkit.BigramPolicy;
import dev.r3.actors.testkit.Fixtures;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real {@link ReplayBuffer} with a crew like the cluster's (launches are confirmed with {@link
 * ReplayBuffer.GroupPlaced}, the rollout runs out of the buffer's reach), whose rollouts never
 * report: the lease {@code r3.timeouts.group-lease} is all that frees their place at the staleness
 * gate. Staleness 0 and one group per batch: one group runs at a time, so a group that holds its
 * place for ever stops the run (ClusterRunTest hung at v235 this way, with 5 such groups).
 */
class GroupLeaseTest {
  static final ActorTestKit kit = ActorTestKit.create();
  static final AtomicInteger ids = new AtomicInteger();
  static final Duration WAIT = Duration.ofSeconds(30); // a backstop, not a speed check

  @TempDir Path tmp;

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  record Launch(long groupId, int station) {}

  record Abort(long groupId, String why) {}

  /** Two stations on nodes node-0 and node-1; launches and aborts go to probes, nothing runs. */
  record RemoteCrew(TestProbe<Launch> launches, TestProbe<Abort> aborts) implements GroupRunner {
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
      launches.getRef().tell(new Launch(order.groupId(), station));
      return new Launched() {
        @Override
        public void abort(String why) {
          aborts.getRef().tell(new Abort(order.groupId(), why));
        }

        @Override
        public void giveUp(ActorContext<ReplayBuffer.Command> c) {}
      };
    }

    @Override
    public boolean confirmsPlacement() {
      return true;
    }

    @Override
    public String nodeOf(int station) {
      return "node-" + station;
    }
  }

  record Rig(ActorRef<ReplayBuffer.Command> buffer, RemoteCrew crew) {
    ReplayBuffer.Status status() {
      TestProbe<ReplayBuffer.Status> p = kit.createTestProbe();
      buffer.tell(new ReplayBuffer.GetStatus(p.getRef()));
      return p.receiveMessage(WAIT);
    }
  }

  Rig rig() {
    R3Config c =
        Fixtures.config(
            tmp,
            "r3.learner.staleness=0",
            "r3.learner.batch-groups=1",
            "r3.timeouts.group-lease=1s",
            "r3.timeouts.ask=60s"); // no placement re-issue in these tests: only the lease acts
    var crew = new RemoteCrew(kit.createTestProbe(), kit.createTestProbe());
    var buffer =
        kit.spawn(
            ReplayBuffer.create(c, BigramPolicy.config(), crew), "buffer-" + ids.incrementAndGet());
    return new Rig(buffer, crew);
  }

  @Test
  void aPlacedGroupThatNeverReports_isAbortedAndDroppedTimedOut_andTheNextGroupStarts() {
    Rig r = rig();
    Launch first = r.crew.launches().receiveMessage(WAIT);
    assertThat(first.groupId()).isZero();
    r.buffer.tell(new ReplayBuffer.GroupPlaced(0, first.station(), "node-" + first.station()));

    Abort abort = r.crew.aborts().receiveMessage(WAIT);
    assertThat(abort.groupId()).isZero();
    assertThat(abort.why()).contains("r3.timeouts.group-lease");
    Launch next = r.crew.launches().receiveMessage(WAIT);
    assertThat(next.groupId()).as("the freed place admits the next group").isEqualTo(1);

    ReplayBuffer.Status s = r.status();
    assertThat(s.ledger().abandonedGroups(DropReason.TIMED_OUT)).isEqualTo(1);
    assertThat(s.ledger().abandonedGroups(DropReason.NODE_LOST)).isZero();
    assertThat(s.running()).isEqualTo(1);
    // A late report of the dropped group is not counted again.
    r.buffer.tell(new ReplayBuffer.GroupAbandoned(0, 0, DropReason.RUN_ENDED, "aborted", true));
    assertThat(r.status().ledger().abandonedGroups(DropReason.RUN_ENDED)).isZero();
  }

  @Test
  void aGroupConfirmedFromANodeAlreadyLost_isReissuedWhenItsLeasePasses_notDropped() {
    Rig r = rig();
    Launch first = r.crew.launches().receiveMessage(WAIT);
    // The node is removed, then its station's confirmation arrives (it was on its way): the group
    // runs nowhere, and only the lease notices.
    r.buffer.tell(new ReplayBuffer.NodeLost("node-9"));
    r.buffer.tell(new ReplayBuffer.GroupPlaced(0, first.station(), "node-9"));

    Launch again = r.crew.launches().receiveMessage(WAIT);
    assertThat(again.groupId()).as("the same group, launched again").isZero();
    assertThat(again.station()).isNotEqualTo(first.station());
    r.crew.aborts().expectNoMessage(Duration.ofMillis(100));
    ReplayBuffer.Status s = r.status();
    assertThat(s.ledger().abandonedGroups(DropReason.TIMED_OUT)).isZero();
    assertThat(s.running()).isEqualTo(1);
  }
}
