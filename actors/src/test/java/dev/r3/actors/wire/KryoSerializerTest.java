package dev.r3.actors.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.r3.actors.learning.Trajectory;
import dev.r3.actors.learning.WeightsSnapshot;
import dev.r3.actors.pipeline.Coordinator;
import dev.r3.actors.pipeline.EnvironmentActor;
import dev.r3.actors.pipeline.Learner;
import dev.r3.actors.pipeline.ReplayBuffer;
import dev.r3.actors.pipeline.RewardActor;
import dev.r3.actors.pipeline.RolloutWorker;
import dev.r3.actors.testkit.BigramPolicy;
import dev.r3.model.RoutingRecord;
import java.io.NotSerializableException;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every message round-trips through the Kryo serializer Pekko picks for it; nothing else gets
 * through.
 */
class KryoSerializerTest {
  static ActorTestKit kit;
  static Serialization serialization;

  @BeforeAll
  static void start() {
    kit = ActorTestKit.create();
    serialization = SerializationExtension.get(Adapter.toClassic(kit.system()));
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  static Trajectory trajectory(int sample) {
    return WireExamples.trajectory(sample);
  }

  static List<Object> everyMessage() {
    return WireExamples.everyMessage(kit);
  }

  @Test
  void everyRegisteredMessage_hasAnExample_andEveryWireClassIsRegistered() {
    List<Class<?>> examples = everyMessage().stream().<Class<?>>map(Object::getClass).toList();
    assertThat(examples).containsExactlyInAnyOrderElementsOf(WireRegistry.MESSAGES);
    for (Class<?> protocol :
        List.of(
            EnvironmentActor.Command.class,
            EnvironmentActor.PromptReply.class,
            RolloutWorker.Command.class,
            RolloutWorker.GenerateReply.class,
            RewardActor.Command.class,
            ReplayBuffer.Command.class,
            Learner.Command.class,
            Coordinator.Command.class,
            dev.r3.actors.cluster.RolloutStation.Command.class,
            dev.r3.actors.cluster.WeightsPublisher.Command.class,
            dev.r3.actors.cluster.WeightsCache.Command.class,
            dev.r3.actors.cluster.LearnerNode.Command.class,
            dev.r3.actors.cluster.RemoteActors.Command.class)) {
      for (Class<?> c : protocol.getPermittedSubclasses()) {
        if (!NoSerializationVerificationNeeded.class.isAssignableFrom(c)) {
          assertThat(WireRegistry.MESSAGES).as(c.getName()).contains(c);
        }
      }
    }
  }

  @Test
  void everyMessage_roundTrips_throughTheBoundSerializer() throws Exception {
    for (Object msg : everyMessage()) {
      var ser = serialization.findSerializerFor(msg);
      assertThat(ser).as(msg.getClass().getName()).isInstanceOf(KryoSerializer.class);
      byte[] bytes = ser.toBinary(msg);
      Object back = ser.fromBinary(bytes, msg.getClass());
      assertThat(back.getClass()).isEqualTo(msg.getClass());
      assertThat(ser.toBinary(back)).as(msg.getClass().getName()).isEqualTo(bytes);
    }
  }

  @Test
  void weights_andRouting_survive_bitExact() throws Exception {
    KryoSerializer k = new KryoSerializer();
    WeightsSnapshot snap = new WeightsSnapshot(3, BigramPolicy.initial());
    WeightsSnapshot back = (WeightsSnapshot) k.read(k.toBinary(snap));
    assertThat(back.weights().sameAs(snap.weights())).isTrue();
    Trajectory t = trajectory(0);
    Trajectory tb = (Trajectory) k.read(k.toBinary(t));
    assertThat(tb.routing()).isEqualTo(t.routing());
    assertThat(tb.tokens()).containsExactly(t.tokens());
    assertThat(tb.logProbs()).containsExactly(t.logProbs());
  }

  @Test
  void routingIds_travelOneBytePerId() {
    KryoSerializer k = new KryoSerializer();
    int positions = 200;
    int[] ids = new int[positions * 4 * 4];
    Arrays.fill(ids, 15);
    RoutingRecord r = RoutingRecord.of(positions, 4, 4, 16, ids);
    byte[] bytes = k.toBinary(new EnvironmentActor.PromptFailed(0, "x"));
    byte[] withRouting =
        k.toBinary(
            new Trajectory(0, 0, 0, 0, new int[positions + 1], 1, new float[positions], r, false));
    assertThat(withRouting.length - bytes.length)
        .isLessThan(ids.length + 2 * 4 * (positions + 1) + 200);
  }

  @Test
  void messageOverTheFrameLimit_isRefused_namingItsTypeAndSize() {
    KryoSerializer k = new KryoSerializer(256 * 1024);
    var big = new dev.r3.actors.cluster.WeightsCache.Chunk(3, 0, new byte[300_000]);
    assertThatThrownBy(() -> k.toBinary(big))
        .isInstanceOf(KryoSerializer.MessageTooLargeException.class)
        .hasMessageContaining("WeightsCache$Chunk")
        .hasMessageMatching("(?s).*: 300\\d{3} bytes, over the frame limit.*")
        .hasMessageContaining("maximum-frame-size = 262144");
    // A chunk of the default size fits.
    assertThat(k.toBinary(new dev.r3.actors.cluster.WeightsCache.Chunk(3, 0, new byte[131072])))
        .hasSizeGreaterThan(131072);
  }

  record NotRegistered(int x) implements WireMessage {}

  @Test
  void unregisteredClass_isRefused_withItsName() {
    KryoSerializer k = new KryoSerializer();
    assertThatThrownBy(() -> k.toBinary(new NotRegistered(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("NotRegistered")
        .hasMessageContaining("not registered in WireRegistry");
  }

  @Test
  void malformedBytes_giveAClearException_neverAHang() throws Exception {
    KryoSerializer k = new KryoSerializer();
    byte[] good = k.toBinary(new RolloutWorker.Restart("x"));
    byte[] truncated = Arrays.copyOf(good, good.length - 1);
    assertThatThrownBy(() -> k.read(truncated))
        .isInstanceOf(NotSerializableException.class)
        .hasMessageContaining("malformed");
    byte[] flipped = good.clone();
    flipped[flipped.length - 1] ^= 0x40;
    assertThatThrownBy(() -> k.read(flipped)).hasMessageContaining("checksum");
    assertThatThrownBy(() -> k.read(new byte[3])).hasMessageContaining("shorter than a frame");
    Random rnd = new Random(1);
    for (int i = 0; i < 200; i++) {
      byte[] junk = new byte[1 + rnd.nextInt(64)];
      rnd.nextBytes(junk);
      assertThatThrownBy(() -> k.read(junk)).isInstanceOf(NotSerializableException.class);
    }
  }
}
