package dev.r3.actors.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.r3.actors.learning.LedgerCounts;
import dev.r3.actors.learning.ScoredGroup;
import dev.r3.actors.learning.ScoredTrajectory;
import dev.r3.actors.pipeline.FakeCrew.Deliver;
import dev.r3.actors.pipeline.FakeCrew.Fail;
import dev.r3.actors.pipeline.FakeCrew.Hang;
import dev.r3.actors.pipeline.ReplayBuffer.Batch;
import dev.r3.actors.testkit.BigramPolicy;
import dev.r3.actors.testkit.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The ledger's promise on the real {@link ReplayBuffer} and {@link GroupRollout}s, under random
 * interleavings of the things that happen to a group: its worker delivers (fresh, or stamped so old
 * that it is stale), fails before or after starting, or hangs until its attempt times out and is
 * cancelled, its result then racing the cancel or not; and the run drains after a random number of
 * learner steps, with groups still in flight. Whatever happens: produced = trained + dropped with
 * nothing left open, every trajectory a worker sent is produced exactly once, and no trajectory is
 * trained twice.
 */
class LedgerPropertyTest {
  static final ActorTestKit kit = ActorTestKit.create();
  static final AtomicInteger ids = new AtomicInteger();

  @AfterContainer
  static void stop() {
    kit.shutdownTestKit();
  }

  @Property(tries = 8)
  void producedEqualsTrainedPlusDropped_andNothingIsCountedTwice(
      @ForAll long seed,
      @ForAll @IntRange(min = 0, max = 2) int eta,
      @ForAll @IntRange(min = 1, max = 3) int batchGroups,
      @ForAll @IntRange(min = 0, max = 3) int steps)
      throws Exception {
    Path tmp = Files.createTempDirectory("ledger-property");
    var config =
        Fixtures.config(
            tmp,
            "r3.learner.staleness=" + eta,
            "r3.learner.batch-groups=" + batchGroups,
            "r3.rollout.group-size=2",
            "r3.faults.max-retries=2",
            "r3.timeouts.generate=150ms",
            "r3.timeouts.ask=2s",
            "r3.timeouts.shutdown=3s");
    FakeCrew.Script script =
        g -> {
          // One fate per (group, attempt), drawn from the property's seed.
          SplittableRandom r =
              new SplittableRandom(seed ^ (g.groupId() * 1_000_003L + g.attempt()));
          int x = r.nextInt(100);
          if (x < 55) {
            return new Deliver(-1, Duration.ofMillis(r.nextInt(60)));
          } else if (x < 65) {
            return new Deliver(0, Duration.ofMillis(r.nextInt(60))); // stale once v > eta
          } else if (x < 75) {
            return new Fail(r.nextBoolean());
          } else if (x < 85) {
            return new Deliver(-1, Duration.ofMillis(200 + r.nextInt(300))); // late: timed out
          } else {
            return new Hang(r.nextBoolean());
          }
        };
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
    var buffer = kit.spawn(ReplayBuffer.create(config, BigramPolicy.config(), crew), "buffer-" + n);
    TestProbe<Batch> learner = kit.createTestProbe();

    Set<String> trainedIds = new HashSet<>();
    long trained = 0;
    for (long v = 0; v < steps; v++) {
      buffer.tell(new ReplayBuffer.TakeBatch(v, learner.getRef()));
      Batch b = learner.receiveMessage(Duration.ofSeconds(20));
      for (ScoredGroup g : b.groups()) {
        for (ScoredTrajectory t : g.members()) {
          assertThat(trainedIds.add(t.trajectory().id()))
              .as("trained twice: %s", t.trajectory().id())
              .isTrue();
        }
      }
      trained += b.trajectories();
      buffer.tell(new ReplayBuffer.BatchTrained(b.batchId(), b.trajectories()));
      buffer.tell(new ReplayBuffer.VersionAdvanced(v + 1));
    }
    TestProbe<ReplayBuffer.Drained> drained = kit.createTestProbe();
    buffer.tell(new ReplayBuffer.Drain(drained.getRef()));
    LedgerCounts l = drained.receiveMessage(Duration.ofSeconds(20)).ledger();

    assertThat(l.closed()).as("%s", l).isTrue();
    assertThat(l.trained()).isEqualTo(trained);
    assertThat(l.produced())
        .as("every trajectory sent is produced once: %s", l)
        .isEqualTo(sent.get());
  }
}
