package dev.r3.actors.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import dev.r3.actors.config.R3Config;
import dev.r3.actors.djl.ModelSizes;
import dev.r3.actors.learning.WeightsSnapshot;
import dev.r3.actors.pipeline.Learner;
import dev.r3.actors.pipeline.RolloutWorker;
import dev.r3.model.ModelWeights;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The learner node's side of weight sync, with test probes as the learner and a rollout node's
 * cache: the newest version is always announced, also when it arrives while an older one is still
 * being encoded. A lost newest version deadlocked cluster runs: the buffer admits groups that need
 * it, the node never gets it, and the learner waits for those groups for ever (ClusterRunTest's
 * kill run and ClusterResumeTest stalled on it).
 */
class WeightsPublisherTest {
  private static final ActorTestKit kit = ActorTestKit.create();

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  private static ModelWeights weights(long seed) {
    return ModelWeights.random(ModelSizes.of("tiny", 40), seed);
  }

  @Test
  void versionsArrivingWhileOneIsEncoding_theNewestIsAnnounced_andServed() {
    ClusterConfig settings = ClusterConfig.of(R3Config.from(ConfigFactory.load().resolve()));
    var publisher =
        kit.spawn(
            WeightsPublisher.create(
                new WeightsSnapshot(0, weights(0)), settings, new ClusterRecord()));
    TestProbe<WeightsCache.Command> cache = kit.createTestProbe();
    TestProbe<Learner.Command> learner = kit.createTestProbe();
    publisher.tell(new WeightsPublisher.Register(cache.getRef()));
    publisher.tell(new WeightsPublisher.Follow(learner.getRef()));
    var follow = learner.expectMessageClass(Learner.SubscribeWeights.class);

    // The learner publishes four versions in a burst (steps on batches that were waiting): all but
    // the first arrive while the first is encoding.
    for (long v = 1; v <= 4; v++) {
      follow.worker().tell(new RolloutWorker.UseWeights(new WeightsSnapshot(v, weights(v))));
    }

    List<Long> announced = new ArrayList<>();
    WeightsCache.Announce last = null;
    while (last == null || last.version() < 4) {
      WeightsCache.Command m = cache.receiveMessage(Duration.ofSeconds(10));
      if (m instanceof WeightsCache.Announce a) {
        announced.add(a.version());
        last = a;
      }
    }
    assertThat(announced).as("announced in order").isSorted();
    assertThat(last.version()).isEqualTo(4);

    // And v4 is what a node pulls: the learner's v4 in the run's transport.
    publisher.tell(new WeightsPublisher.FetchChunk(4, 0, cache.getRef()));
    WeightsCache.Chunk chunk = cache.expectMessageClass(WeightsCache.Chunk.class);
    assertThat(chunk.data().length).isEqualTo(last.size()); // one chunk holds the tiny model
    assertThat(chunk.data()).isEqualTo(WeightsCodec.encode(weights(4), settings.transport()));
    assertThat(WeightsCodec.checksum(chunk.data())).isEqualTo(last.checksum());
  }
}
