package dev.r3.actors.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.r3.actors.config.R3Config;
import dev.r3.actors.learning.DropReason;
import dev.r3.actors.learning.LedgerCounts;
import dev.r3.actors.learning.ScoredGroup;
import dev.r3.actors.pipeline.FakeCrew.Deliver;
import dev.r3.actors.pipeline.FakeCrew.DeliverInPieces;
import dev.r3.actors.pipeline.FakeCrew.FailAfterPieces;
import dev.r3.actors.pipeline.FakeCrew.Hang;
import dev.r3.actors.pipeline.ReplayBuffer.Batch;
import dev.r3.actors.testkit.BigramPolicy;
import dev.r3.actors.testkit.Fixtures;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LoggingTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real {@link ReplayBuffer} (and its {@link GroupRollout} children) with scripted environment,
 * workers and reward, and a probe as the learner.
 */
class ReplayBufferTest {
  static final ActorTestKit kit = ActorTestKit.create();
  static final AtomicInteger ids = new AtomicInteger();
  static final Duration WAIT = Duration.ofSeconds(60); // a backstop, not a speed check

  @TempDir Path tmp;

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  /** A buffer with two scripted workers. */
  record Rig(ActorRef<ReplayBuffer.Command> buffer, TestProbe<Batch> learner, AtomicLong sent) {

    /** The learner's side of one step at version v: take a batch, train it, publish v + 1. */
    Batch step(long v) {
      buffer.tell(new ReplayBuffer.TakeBatch(v, learner.getRef()));
      Batch b = learner.receiveMessage(WAIT);
      buffer.tell(new ReplayBuffer.BatchTrained(b.batchId(), b.trajectories()));
      buffer.tell(new ReplayBuffer.VersionAdvanced(v + 1));
      return b;
    }

    LedgerCounts drain() {
      TestProbe<ReplayBuffer.Drained> p = kit.createTestProbe();
      buffer.tell(new ReplayBuffer.Drain(p.getRef()));
      return p.receiveMessage(WAIT).ledger();
    }
  }

  Rig rig(FakeCrew.Script script, String... settings) {
    R3Config c = Fixtures.config(tmp, settings);
    AtomicLong sent = new AtomicLong();
    int n = ids.incrementAndGet();
    List<ActorRef<RolloutWorker.Command>> workers =
        List.of(
            kit.spawn(FakeCrew.worker("w0", script, sent), "w0-" + n),
            kit.spawn(FakeCrew.worker("w1", script, sent), "w1-" + n));
    var crew =
        new LocalCrew(
            List.of(kit.spawn(FakeCrew.env(), "env-" + n)),
            workers,
            kit.spawn(FakeCrew.reward(), "reward-" + n));
    var buffer = kit.spawn(ReplayBuffer.create(c, BigramPolicy.config(), crew), "buffer-" + n);
    return new Rig(buffer, kit.createTestProbe(), sent);
  }

  @Test
  void staleDrops_giveTheirPlaceBack_soTheLearnerKeepsGettingBatches() {
    // Every third group comes back stamped with version 0: stale once the learner is past v1.
    // Before the fix each stale drop shrank the gate by one group for good, and with eta * B = 2
    // drops the learner never got a full batch again.
    Rig r =
        rig(
            g -> new Deliver(g.groupId() % 3 == 2 ? 0 : -1, Duration.ZERO),
            "r3.learner.staleness=1",
            "r3.learner.batch-groups=2");
    for (long step = 0; step < 10; step++) {
      long v = step;
      Batch b = r.step(v);
      assertThat(b.groups())
          .hasSize(2)
          .allSatisfy(g -> assertThat(v - g.version()).isLessThanOrEqualTo(1L));
    }
    LedgerCounts l = r.drain();
    assertThat(l.dropped(DropReason.STALE)).as("stale drops happened: %s", l).isGreaterThan(8);
    assertThat(l.closed()).as("%s", l).isTrue();
  }

  @Test
  void admission_stopsAtTheStalenessBound() {
    // eta = 0, B = 2: exactly two groups may be in flight at version 0, however long they take.
    AtomicInteger requests = new AtomicInteger();
    rig(
        g -> {
          requests.incrementAndGet();
          return new Hang(false);
        },
        "r3.learner.staleness=0",
        "r3.learner.batch-groups=2");
    TestProbe<Void> idle = kit.createTestProbe();
    idle.awaitAssert(WAIT, () -> assertThat(requests.get()).isEqualTo(2));
    idle.expectNoMessage(Duration.ofMillis(300)); // and no third one
    assertThat(requests.get()).isEqualTo(2);
  }

  @Test
  void batch_holdsTheLowestWaitingGroupIds_inIdOrder() throws InterruptedException {
    // Groups 2 and 3 finish first, then 1; group 0 is still running when the learner asks: the
    // batch is groups 1 and 2 (the lowest ids waiting), in id order, not in arrival order.
    Rig r =
        rig(
            g ->
                g.groupId() == 0
                    ? new Hang(false)
                    : new Deliver(-1, Duration.ofMillis(g.groupId() == 1 ? 150 : 0)),
            "r3.learner.staleness=1",
            "r3.learner.batch-groups=2");
    TestProbe<ReplayBuffer.Status> status = kit.createTestProbe();
    status.awaitAssert(
        WAIT,
        () -> {
          r.buffer().tell(new ReplayBuffer.GetStatus(status.getRef()));
          assertThat(status.receiveMessage(WAIT).queued()).isEqualTo(3); // groups 1, 2, 3
          return null;
        });
    Batch b = r.step(0);
    assertThat(b.groups()).extracting(ScoredGroup::groupId).containsExactly(1L, 2L);
  }

  @Test
  void aTimedOutAttemptsLateResult_isProducedAndDroppedAsTimedOut_andTheGroupReissued() {
    // Group 0's first attempt hangs; when cancelled its result arrives anyway (it raced the
    // cancel). The group is re-issued on the other worker and trained; the late copy is counted.
    Rig r =
        rig(
            g ->
                g.groupId() == 0 && g.attempt() == 1
                    ? new Hang(true)
                    : new Deliver(-1, Duration.ZERO),
            "r3.learner.staleness=0",
            "r3.learner.batch-groups=1",
            "r3.rollout.group-size=4",
            "r3.timeouts.generate=200ms");
    Batch b = r.step(0);
    assertThat(b.groups().get(0).groupId()).isZero();
    LedgerCounts l = r.drain();
    assertThat(l.dropped(DropReason.TIMED_OUT)).isEqualTo(4);
    assertThat(l.trained()).isEqualTo(4);
    assertThat(l.produced()).as("everything sent is counted once").isEqualTo(r.sent().get());
    assertThat(l.closed()).as("%s", l).isTrue();
  }

  @Test
  void routingPieces_assembleOneRecordPerTrajectory_aLostOrReorderedPieceDropsItsTrajectory() {
    // The workers ship every routing record in two pieces ahead of the trajectories (which carry
    // none), as the real worker does per turn. In even groups sample 1's second piece is lost, in
    // odd groups its two pieces arrive in the wrong order: each time an error names g<id>-s1 and
    // that trajectory is dropped (routing_misaligned), never trained with a gap; the others get
    // the record their pieces make.
    // The buffer admits and the scripted workers deliver as soon as it is spawned: the errors are
    // awaited from before the rig exists.
    Rig[] r = new Rig[1];
    Batch b =
        LoggingTestKit.custom(
                e ->
                    e.level() == org.slf4j.event.Level.ERROR
                        && e.message()
                            .matches(".*routing of trajectory g[01]-s1[: ].*a piece is missing.*"))
            .withOccurrences(2)
            .expect(
                kit.system(),
                () -> {
                  r[0] =
                      rig(
                          g -> new DeliverInPieces(1, g.groupId() % 2 == 0),
                          "r3.learner.staleness=0",
                          "r3.learner.batch-groups=2",
                          "r3.rollout.group-size=4");
                  return r[0].step(0);
                });
    assertThat(b.groups()).extracting(ScoredGroup::groupId).containsExactly(0L, 1L);
    for (ScoredGroup g : b.groups()) {
      assertThat(g.members())
          .extracting(m -> m.trajectory().sample())
          .as("sample 1 dropped")
          .containsExactly(0, 2, 3);
      assertThat(g.members())
          .allSatisfy(
              m -> {
                var t = m.trajectory();
                var whole = FakeCrew.delivered("w", generateOf(t), 0, new AtomicLong());
                assertThat(t.routing()).isEqualTo(whole.trajectories().get(t.sample()).routing());
              });
    }
    assertThat(b.rollout().trajectories()).isEqualTo(6); // 2 groups x 3 assembled
    assertThat(b.rollout().routingPieces()).isEqualTo(7 + 8); // group 0 lost one of its 8
    LedgerCounts l = r[0].drain();
    assertThat(l.dropped(DropReason.ROUTING_MISALIGNED))
        .as("one per finished group: %s", l)
        .isEqualTo(l.produced() / 4);
    assertThat(l.closed()).as("%s", l).isTrue();
  }

  @Test
  void piecesOfAFailedAttempt_areForgotten_theReissueAssembles_andNothingLeaks() {
    // Every group's first attempt ships the first routing piece of each sample, then its worker is
    // lost; the re-issued attempt delivers in pieces and is assembled from its own pieces only.
    // Group 3 loses every attempt and is abandoned with its pieces held. Nothing may leak: each
    // step gets its batch (the staleness gate gets every place back), the ledger closes, and the
    // buffer holds no pieces at the end.
    Rig r =
        rig(
            g ->
                g.groupId() == 3 || g.attempt() == 1
                    ? new FailAfterPieces()
                    : new DeliverInPieces(-1, false),
            "r3.learner.staleness=0",
            "r3.learner.batch-groups=2",
            "r3.rollout.group-size=4",
            "r3.faults.max-retries=1");
    for (long v = 0; v < 3; v++) {
      Batch b = r.step(v);
      assertThat(b.groups()).extracting(ScoredGroup::groupId).doesNotContain(3L);
      for (ScoredGroup g : b.groups()) {
        assertThat(g.members()).hasSize(4);
        for (var m : g.members()) {
          var t = m.trajectory();
          var whole = FakeCrew.delivered("w", generateOf(t), 0, new AtomicLong());
          assertThat(t.routing()).isEqualTo(whole.trajectories().get(t.sample()).routing());
        }
      }
    }
    LedgerCounts l = r.drain();
    assertThat(l.dropped(DropReason.ROUTING_MISALIGNED)).as("%s", l).isZero();
    assertThat(l.produced()).as("only delivered trajectories").isEqualTo(r.sent().get());
    assertThat(l.closed()).as("%s", l).isTrue();
    TestProbe<ReplayBuffer.Status> status = kit.createTestProbe();
    r.buffer().tell(new ReplayBuffer.GetStatus(status.getRef()));
    ReplayBuffer.Status s = status.receiveMessage(WAIT);
    assertThat(s.running()).isZero();
    assertThat(s.assembling()).as("routing pieces held after the drain").isZero();
  }

  /** The request {@link FakeCrew} answered with {@code t}'s group. */
  private static RolloutWorker.Generate generateOf(dev.r3.actors.learning.Trajectory t) {
    return new RolloutWorker.Generate(
        t.groupId(), 1, t.episodeSeed(), new int[] {t.tokens()[0], t.tokens()[1]}, 4, 0, 0, null);
  }

  @Test
  void drain_waitsForRunningGroups_andCountsOnlyWhatWasDelivered() {
    Rig r =
        rig(
            g -> new Deliver(-1, Duration.ofMillis(100)),
            "r3.learner.staleness=1",
            "r3.learner.batch-groups=2",
            "r3.rollout.group-size=4");
    r.step(0);
    LedgerCounts l = r.drain();
    assertThat(l.produced()).isEqualTo(r.sent().get());
    assertThat(l.trained()).isEqualTo(8);
    assertThat(l.closed()).as("%s", l).isTrue();
  }
}
