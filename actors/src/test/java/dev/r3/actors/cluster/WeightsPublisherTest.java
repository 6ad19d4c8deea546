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
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The learner node's side of weight sync, with test probes as the learner and a rollout node's
 * cache: versions that arrive while one is being encoded are skipped to the newest, and the newest
 * is always announced.
 */
class WeightsPublisherTest {
  private static final ActorTestKit kit = ActorTestKit.create();

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  private static ClusterConfig settings() {
    return ClusterConfig.of(R3Config.from(ConfigFactory.load().resolve()));
  }

  @Test
  void versionsPublishedDuringAnEncoding_endWithTheNewestAnnounced() {
    ModelWeights w = ModelWeights.random(ModelSizes.of("small", 40), 3);
    var publisher =
        kit.spawn(
            WeightsPublisher.create(new WeightsSnapshot(0, w), settings(), new ClusterRecord()));
    TestProbe<Learner.Command> learner = kit.createTestProbe();
    TestProbe<WeightsCache.Command> cache = kit.createTestProbe();
    publisher.tell(new WeightsPublisher.Register(cache.getRef()));
    publisher.tell(new WeightsPublisher.Follow(learner.getRef()));
    ActorRef<RolloutWorker.Command> versions =
        learner.expectMessageClass(Learner.SubscribeWeights.class).worker();

    // A learner faster than the encoder: every version but the first arrives mid-encoding. The
    // last one is where such a learner stops and waits for rollouts of that version.
    int last = 30;
    for (int v = 1; v <= last; v++) {
      versions.tell(new RolloutWorker.UseWeights(new WeightsSnapshot(v, w)));
    }
    long newest = -1;
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (newest < last && System.nanoTime() < deadline) {
      WeightsCache.Command m = cache.receiveMessage(Duration.ofSeconds(20));
      if (m instanceof WeightsCache.Announce a) {
        assertThat(a.version()).as("announced in order").isGreaterThan(newest);
        newest = a.version();
      }
    }
    assertThat(newest).as("the newest version is announced").isEqualTo(last);
  }
}
