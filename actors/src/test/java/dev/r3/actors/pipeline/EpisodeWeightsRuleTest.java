package dev.r3.actors.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import dev.r3.actors.learning.EpisodePlayer;
import dev.r3.actors.learning.GroupPlayer;
import dev.r3.actors.learning.WeightsSnapshot;
import dev.r3.actors.pipeline.RolloutWorker.GenerateReply;
import dev.r3.actors.pipeline.RolloutWorker.Generated;
import dev.r3.actors.ports.Generator;
import dev.r3.actors.testkit.BigramPolicy;
import dev.r3.actors.testkit.EchoTask;
import dev.r3.actors.testkit.RelayTask;
import dev.r3.model.Generation;
import dev.r3.model.ModelWeights;
import dev.r3.model.SamplingParams;
import dev.r3.model.TurnOptions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The rule for an episode whose weights change between its turns: new weights arriving while a
 * group's episodes are being played are taken after the group, so every turn of every episode runs
 * on the engine of the version the trajectory is stamped with.
 */
class EpisodeWeightsRuleTest {
  // Its own kit, configured as RolloutWorkerTest's: that class shuts its kit down when it is done,
  // and the tests run in any order (CI's differs from a developer's).
  static final ActorTestKit kit =
      ActorTestKit.create(
          ConfigFactory.parseString("pekko.actor.serialize-messages = on")
              .withFallback(ConfigFactory.load()));

  @AfterAll
  static void down() {
    kit.shutdownTestKit();
  }

  @Test
  void weightsArrivingBetweenTurns_areTakenAfterTheGroup_everyTurnOnTheFirstVersion() {
    ModelWeights w0 = BigramPolicy.initial();
    ModelWeights w1 = BigramPolicy.initial();
    AtomicInteger opened = new AtomicInteger(); // engines are opened once per version, in order
    Map<Long, AtomicInteger> turnCalls = new ConcurrentHashMap<>();
    Generator.Factory recording =
        weights -> {
          Generator inner = BigramPolicy.generators().open(weights);
          long v = opened.getAndIncrement();
          return new Generator() {
            @Override
            public List<Generation> generate(List<int[]> prompts, SamplingParams params) {
              return inner.generate(prompts, params);
            }

            @Override
            public List<Generation> generateTurn(
                List<int[]> prompts, SamplingParams params, TurnOptions turn) {
              turnCalls.computeIfAbsent(v, x -> new AtomicInteger()).incrementAndGet();
              return inner.generateTurn(prompts, params, turn);
            }
          };
        };
    AtomicReference<ActorRef<RolloutWorker.Command>> worker = new AtomicReference<>();
    RelayTask task =
        new RelayTask(
            (episode, turn) -> {
              if (episode == 0 && turn == 1) {
                // the learner publishes version 1 between the first and the second turn
                worker.get().tell(new RolloutWorker.UseWeights(new WeightsSnapshot(1, w1)));
                Thread.sleep(300);
              }
            });
    GroupPlayer player =
        GroupPlayer.of(
            task,
            new EchoTask.DigitTokenizer(),
            RolloutWorkerTest.SAMPLING,
            new EpisodePlayer.Budgets(Duration.ofSeconds(2), Duration.ofSeconds(10)));
    TestProbe<GenerateReply> replies = kit.createTestProbe();
    worker.set(
        kit.spawn(
            RolloutWorker.create("w", recording, player, self -> {}),
            "episode-worker-" + RolloutWorkerTest.ids.incrementAndGet()));
    worker.get().tell(new RolloutWorker.UseWeights(new WeightsSnapshot(0, w0)));
    worker.get().tell(RolloutWorkerTest.generate(1, 0, replies.getRef()));

    Generated first = RolloutWorkerTest.result(replies, Generated.class);
    assertThat(first.version()).isZero();
    assertThat(first.trajectories())
        .hasSize(4)
        .allSatisfy(
            t -> {
              assertThat(t.version()).isZero();
              assertThat(t.turns()).isEqualTo(RelayTask.TURNS);
            });
    assertThat(turnCalls.get(0L).get()).isEqualTo(RelayTask.TURNS);
    assertThat(turnCalls).doesNotContainKey(1L);

    worker.get().tell(RolloutWorkerTest.generate(2, 0, replies.getRef()));
    Generated second = RolloutWorkerTest.result(replies, Generated.class);
    assertThat(second.version()).isEqualTo(1);
    assertThat(turnCalls.get(1L).get()).isEqualTo(RelayTask.TURNS);
  }
}
