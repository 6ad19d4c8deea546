package dev.r3.actors.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import dev.r3.actors.learning.WeightsSnapshot;
import dev.r3.actors.pipeline.RolloutWorker.Generate;
import dev.r3.actors.pipeline.RolloutWorker.GenerateReply;
import dev.r3.actors.pipeline.RolloutWorker.Generated;
import dev.r3.actors.pipeline.RolloutWorker.GenerationFailed;
import dev.r3.actors.testkit.BigramPolicy;
import dev.r3.actors.testkit.EchoTask;
import dev.r3.actors.testkit.FaultyGenerators;
import dev.r3.model.SamplingParams;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class RolloutWorkerTest {
  static final ActorTestKit kit =
      ActorTestKit.create(
          ConfigFactory.parseString("pekko.actor.serialize-messages = on")
              .withFallback(ConfigFactory.load()));
  static final SamplingParams SAMPLING = new SamplingParams(1f, 1f, 2, EchoTask.EOS, 0);
  static final AtomicInteger ids = new AtomicInteger();

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  static Generate generate(long group, long minVersion, ActorRef<GenerateReply> replyTo) {
    return new Generate(group, 1, 5, new int[] {1, 8}, 4, minVersion, 42, replyTo);
  }

  /**
   * The next reply that ends a request ({@link RolloutWorker.Started} and {@link
   * RolloutWorker.RoutingPiece} replies skipped).
   */
  static GenerateReply result(TestProbe<GenerateReply> replies) {
    return result(replies, new ArrayList<>());
  }

  /** The next reply that ends a request; the routing pieces before it go to {@code pieces}. */
  static GenerateReply result(
      TestProbe<GenerateReply> replies, List<RolloutWorker.RoutingPiece> pieces) {
    while (true) {
      GenerateReply r = replies.receiveMessage(Duration.ofSeconds(30));
      if (r instanceof RolloutWorker.RoutingPiece p) {
        pieces.add(p);
      } else if (!(r instanceof RolloutWorker.Started)) {
        return r;
      }
    }
  }

  static <T extends GenerateReply> T result(TestProbe<GenerateReply> replies, Class<T> type) {
    GenerateReply r = result(replies);
    assertThat(r).isInstanceOf(type);
    return type.cast(r);
  }

  @Test
  void waitsForTheVersionItNeeds_andStampsTrajectoriesWithIt_routingShippedAsPiecesFirst() {
    TestProbe<GenerateReply> replies = kit.createTestProbe();
    ActorRef<RolloutWorker.Command> w =
        kit.spawn(
            RolloutWorker.create("w", BigramPolicy.generators(), SAMPLING, self -> {}),
            "worker-" + ids.incrementAndGet());
    w.tell(new RolloutWorker.UseWeights(new WeightsSnapshot(0, BigramPolicy.initial())));
    w.tell(generate(1, 1, replies.getRef()));
    replies.expectNoMessage(Duration.ofMillis(300));
    w.tell(new RolloutWorker.UseWeights(new WeightsSnapshot(1, BigramPolicy.initial())));
    List<RolloutWorker.RoutingPiece> pieces = new ArrayList<>();
    GenerateReply r = result(replies, pieces);
    assertThat(r).isInstanceOf(Generated.class);
    Generated g = (Generated) r;
    assertThat(g.version()).isEqualTo(1);
    assertThat(g.trajectories())
        .hasSize(4)
        .allSatisfy(
            t -> {
              assertThat(t.version()).isEqualTo(1);
              assertThat(t.routing()).isNull(); // it came ahead, in one piece per sample
              assertThat(pieces)
                  .filteredOn(p -> p.sample() == t.sample())
                  .singleElement()
                  .satisfies(
                      p -> {
                        assertThat(p.from()).isZero();
                        assertThat(p.attempt()).isEqualTo(1);
                        assertThat(p.routing().positions()).isEqualTo(t.tokens().length - 1);
                      });
            });
  }

  @Test
  void subscribesToWeightsOnStart() {
    TestProbe<ActorRef<RolloutWorker.Command>> subscriptions = kit.createTestProbe();
    ActorRef<RolloutWorker.Command> w =
        kit.spawn(
            RolloutWorker.create(
                "w", BigramPolicy.generators(), SAMPLING, subscriptions.getRef()::tell),
            "worker-" + ids.incrementAndGet());
    assertThat(subscriptions.receiveMessage()).isEqualTo(w);
  }

  @Test
  void failingBatch_restartsWorker_failsInFlightAndQueued_thenServesAgain() {
    TestProbe<GenerateReply> replies = kit.createTestProbe();
    TestProbe<ActorRef<RolloutWorker.Command>> subscriptions = kit.createTestProbe();
    FaultyGenerators faulty =
        new FaultyGenerators(BigramPolicy.generators(), 4, Set.of(1), Set.of());
    ActorRef<RolloutWorker.Command> w =
        kit.spawn(
            Behaviors.supervise(
                    RolloutWorker.create("w", faulty, SAMPLING, subscriptions.getRef()::tell))
                .onFailure(
                    SupervisorStrategy.restartWithBackoff(
                        Duration.ofMillis(20), Duration.ofMillis(50), 0)),
            "worker-" + ids.incrementAndGet());
    subscriptions.receiveMessage();
    WeightsSnapshot v0 = new WeightsSnapshot(0, BigramPolicy.initial());
    w.tell(new RolloutWorker.UseWeights(v0));
    w.tell(generate(1, 0, replies.getRef()));
    w.tell(generate(2, 0, replies.getRef()));
    GenerationFailed first = result(replies, GenerationFailed.class);
    assertThat(first.groupId()).isEqualTo(1);
    assertThat(first.started()).isTrue();
    subscriptions.receiveMessage(); // the restarted worker subscribes again ...
    w.tell(
        new RolloutWorker.UseWeights(v0)); // ... and the learner answers with the current weights
    // Group 2 was either still queued (answered "not started", to be re-issued) or arrived during
    // the
    // backoff and is served by the new incarnation.
    GenerateReply r = result(replies);
    if (r instanceof GenerationFailed f) {
      assertThat(f.groupId()).isEqualTo(2);
      assertThat(f.started()).isFalse();
      w.tell(generate(2, 0, replies.getRef()));
      r = result(replies);
    }
    assertThat(r).isInstanceOf(Generated.class);
    assertThat(((Generated) r).groupId()).isEqualTo(2);
  }

  @Test
  void answersPings_withBusyState() {
    TestProbe<RolloutWorker.Pong> pongs = kit.createTestProbe();
    ActorRef<RolloutWorker.Command> w =
        kit.spawn(
            RolloutWorker.create("w", BigramPolicy.generators(), SAMPLING, self -> {}),
            "worker-" + ids.incrementAndGet());
    w.tell(new RolloutWorker.Ping(pongs.getRef()));
    RolloutWorker.Pong p = pongs.receiveMessage();
    assertThat(p.busy()).isFalse();
    assertThat(p.worker()).isEqualTo("w");
  }

  @Test
  void restartRequestOlderThanTheIncarnation_isVoid_aNewOneRestarts() {
    TestProbe<ActorRef<RolloutWorker.Command>> subscriptions = kit.createTestProbe();
    ActorRef<RolloutWorker.Command> w =
        kit.spawn(
            Behaviors.supervise(
                    RolloutWorker.create(
                        "w", BigramPolicy.generators(), SAMPLING, subscriptions.getRef()::tell))
                .onFailure(
                    SupervisorStrategy.restartWithBackoff(
                        Duration.ofMillis(20), Duration.ofMillis(50), 0)),
            "worker-" + ids.incrementAndGet());
    subscriptions.receiveMessage();
    // Issued before this incarnation started (it waited out a backoff): no restart.
    w.tell(new RolloutWorker.Restart("stale request", 0));
    subscriptions.expectNoMessage(Duration.ofMillis(300));
    w.tell(new RolloutWorker.Restart("now"));
    assertThat(subscriptions.receiveMessage()).isEqualTo(w); // restarted, subscribes again
  }

  @Test
  void rewindWeights_goesBackToAnOlderVersion_andServesRequestsForNewerOnes() {
    TestProbe<GenerateReply> replies = kit.createTestProbe();
    ActorRef<RolloutWorker.Command> w =
        kit.spawn(
            RolloutWorker.create("w", BigramPolicy.generators(), SAMPLING, self -> {}),
            "worker-" + ids.incrementAndGet());
    w.tell(new RolloutWorker.UseWeights(new WeightsSnapshot(5, BigramPolicy.initial())));
    w.tell(generate(1, 7, replies.getRef())); // asks for a version the restarted learner undid
    replies.expectNoMessage(Duration.ofMillis(200));
    w.tell(new RolloutWorker.RewindWeights(new WeightsSnapshot(3, BigramPolicy.initial())));
    Generated g = result(replies, Generated.class);
    assertThat(g.version()).isEqualTo(3);
    w.tell(new RolloutWorker.UseWeights(new WeightsSnapshot(4, BigramPolicy.initial())));
    w.tell(generate(2, 4, replies.getRef()));
    assertThat(result(replies, Generated.class).version()).isEqualTo(4);
  }
}
