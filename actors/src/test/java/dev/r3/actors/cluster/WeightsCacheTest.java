package dev.r3.actors.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import dev.r3.actors.config.R3Config;
import dev.r3.actors.djl.ModelSizes;
import dev.r3.actors.pipeline.RolloutWorker;
import dev.r3.model.ModelWeights;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The rollout node's side of weight sync, with a test probe as the publisher: chunked pulls, a lost
 * chunk asked again (only that chunk), the checksum checked, a newer version skipped to.
 */
class WeightsCacheTest {
  private static final ActorTestKit kit = ActorTestKit.create();
  private static final int CHUNK = 4096;

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  private static ClusterConfig settings() {
    R3Config c =
        R3Config.from(
            ConfigFactory.parseString(
                    "r3.cluster.weights { chunk-bytes = "
                        + CHUNK
                        + ", window = 4, chunk-timeout = 400ms, chunk-retries = 3 }")
                .withFallback(ConfigFactory.load())
                .resolve());
    return ClusterConfig.of(c);
  }

  private static ModelWeights weights(long seed) {
    return ModelWeights.random(ModelSizes.of("tiny", 40), seed);
  }

  private record Version(long v, byte[] bytes, String sum) {
    static Version of(long v, ModelWeights w) {
      byte[] b = WeightsCodec.encode(w, WeightsCodec.Transport.FP32);
      return new Version(v, b, WeightsCodec.checksum(b));
    }

    WeightsCache.Announce announce(ActorRef<WeightsPublisher.Command> publisher) {
      return new WeightsCache.Announce(v, sum, bytes.length, CHUNK, publisher, 0);
    }

    WeightsCache.Chunk chunk(int i) {
      int from = i * CHUNK;
      return new WeightsCache.Chunk(
          v, i, Arrays.copyOfRange(bytes, from, Math.min(bytes.length, from + CHUNK)));
    }

    int chunks() {
      return (bytes.length + CHUNK - 1) / CHUNK;
    }
  }

  @Test
  void lostChunk_isAskedAgainAlone_andTheVersionArrivesIntact() {
    TestProbe<WeightsPublisher.Command> publisher = kit.createTestProbe();
    TestProbe<RolloutWorker.Command> worker = kit.createTestProbe();
    var cache = kit.spawn(WeightsCache.create(settings(), "test-node"));
    cache.tell(new WeightsCache.Subscribe(worker.getRef()));
    ModelWeights w = weights(1);
    Version v = Version.of(1, w);
    assertThat(v.chunks()).isGreaterThan(8);
    cache.tell(v.announce(publisher.getRef()));

    Set<Integer> answered = new HashSet<>();
    int lost = 2;
    boolean dropped = false;
    int retriesOfLost = 0;
    while (answered.size() < v.chunks()) {
      WeightsPublisher.Command m = publisher.receiveMessage(Duration.ofSeconds(5));
      if (!(m instanceof WeightsPublisher.FetchChunk f)) {
        continue; // the sync report comes at the end
      }
      assertThat(f.version()).isEqualTo(1);
      if (f.index() == lost && !dropped) {
        dropped = true; // this one is lost on the way
        continue;
      }
      if (f.index() == lost) {
        retriesOfLost++;
      } else {
        assertThat(answered).as("only the lost chunk is asked twice").doesNotContain(f.index());
      }
      answered.add(f.index());
      f.replyTo().tell(v.chunk(f.index()));
    }
    assertThat(retriesOfLost).isEqualTo(1);
    RolloutWorker.UseWeights use =
        (RolloutWorker.UseWeights) worker.receiveMessage(Duration.ofSeconds(5));
    assertThat(use.snapshot().version()).isEqualTo(1);
    assertThat(use.snapshot().weights().sameAs(w)).isTrue();
    var report = publisher.expectMessageClass(WeightsPublisher.SyncReport.class);
    assertThat(report.bytes()).isEqualTo(v.bytes().length);
  }

  @Test
  void newerVersionMidTransfer_isSkippedTo_andADamagedVersionIsNeverUsed() {
    TestProbe<WeightsPublisher.Command> publisher = kit.createTestProbe();
    TestProbe<RolloutWorker.Command> worker = kit.createTestProbe();
    var cache = kit.spawn(WeightsCache.create(settings(), "test-node"));
    cache.tell(new WeightsCache.Subscribe(worker.getRef()));
    Version v1 = Version.of(1, weights(1));
    Version v3 = Version.of(3, weights(3));
    // v1 announced with a wrong checksum: pulled, refused, never handed to a worker.
    cache.tell(
        new WeightsCache.Announce(
            1, "0".repeat(64), v1.bytes().length, CHUNK, publisher.getRef(), 0));
    serve(publisher, v1, 1);
    worker.expectNoMessage(Duration.ofMillis(300));
    // v3 arrives; the node goes straight to it.
    cache.tell(v3.announce(publisher.getRef()));
    serve(publisher, v3, 3);
    RolloutWorker.UseWeights use =
        (RolloutWorker.UseWeights) worker.receiveMessage(Duration.ofSeconds(5));
    assertThat(use.snapshot().version()).isEqualTo(3);
    assertThat(use.snapshot().weights().sameAs(weights(3))).isTrue();
  }

  /** Answers every chunk request of {@code v} until all its chunks were sent once. */
  private static void serve(
      TestProbe<WeightsPublisher.Command> publisher, Version v, long version) {
    Set<Integer> sent = new HashSet<>();
    while (sent.size() < v.chunks()) {
      WeightsPublisher.Command m = publisher.receiveMessage(Duration.ofSeconds(5));
      if (m instanceof WeightsPublisher.FetchChunk f && f.version() == version) {
        sent.add(f.index());
        f.replyTo().tell(v.chunk(f.index()));
      }
    }
  }
}
