package dev.r3.actors.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.r3.actors.learning.DropReason;
import dev.r3.actors.learning.LedgerCounts;
import dev.r3.actors.learning.ScoredGroup;
import dev.r3.actors.learning.ScoredTrajectory;
import dev.r3.actors.learning.StepReport;
import dev.r3.actors.learning.StepStats;
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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
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
    int[] tokens = {1, 5, 6, 2};
    int[] ids = {0, 1, 1, 2, 2, 3};
    return new Trajectory(
        7,
        sample,
        99,
        3,
        tokens,
        2,
        new float[] {-0.1f, -0.2f},
        RoutingRecord.of(3, 1, 2, 4, ids),
        true);
  }

  static List<Object> everyMessage() {
    TestProbe<Object> probe = kit.createTestProbe();
    @SuppressWarnings({"unchecked", "rawtypes"})
    ActorRef any = (ActorRef) probe.ref();
    Trajectory t = trajectory(0);
    ScoredTrajectory st = new ScoredTrajectory(t, 1f, true, false, "correct");
    ScoredGroup g =
        new ScoredGroup(
            7, 99, 3, List.of(st, new ScoredTrajectory(trajectory(1), 0f, false, false, "wrong")));
    LedgerCounts ledger = new LedgerCounts(10, 4, 2, 1, new long[DropReason.values().length]);
    StepStats stats =
        new StepStats(2, 8, 30, 0.5, 0.5, 1e-3, 0, Double.NaN, 0.1, 0.2, 0.05, 0.5, 1, 0.3);
    WeightsSnapshot snap = new WeightsSnapshot(3, BigramPolicy.initial());
    List<Object> m = new ArrayList<>();
    m.add(new EnvironmentActor.MakePrompt(7, 99, any));
    m.add(new EnvironmentActor.Prompt(7, 99, new int[] {1, 5}));
    m.add(new EnvironmentActor.PromptFailed(7, "boom"));
    m.add(new RolloutWorker.Generate(7, 2, 99, new int[] {1, 5}, 4, 2, 1234, any));
    m.add(new RolloutWorker.UseWeights(snap));
    m.add(new RolloutWorker.Ping(any));
    m.add(new RolloutWorker.Restart("stalled"));
    m.add(new RolloutWorker.Generated(7, 2, "rollout-0", 3, new ArrayList<>(List.of(t)), 0.25));
    m.add(new RolloutWorker.GenerationFailed(7, 2, "rollout-0", "restarting", true));
    m.add(new RolloutWorker.Pong("rollout-0", 3, true, 120, 5, 1));
    m.add(new RewardActor.Score(7, List.of(t), any));
    m.add(new RewardActor.Scored(7, List.of(st)));
    m.add(new ReplayBuffer.GroupFinished(7, 99, 3, List.of(st), "rollout-0", 0.2, 1, true));
    m.add(new ReplayBuffer.GroupAbandoned(7, 4, DropReason.WORKER_FAILED, "gave up", false));
    m.add(new RolloutWorker.Started(7, 2, "rollout-0"));
    m.add(new RolloutWorker.Cancel(7, 2));
    m.add(new ReplayBuffer.LateTrajectories(7, 4, "rollout-1"));
    m.add(new ReplayBuffer.GroupClosed(7));
    m.add(new ReplayBuffer.VersionAdvanced(4));
    m.add(new ReplayBuffer.TakeBatch(4, any));
    m.add(new ReplayBuffer.BatchTrained(2, 8));
    m.add(new ReplayBuffer.Drain(any));
    m.add(new ReplayBuffer.GetStatus(any));
    m.add(new ReplayBuffer.Batch(2, 4, List.of(g), ledger, 123.5));
    m.add(new ReplayBuffer.Drained(ledger));
    m.add(new ReplayBuffer.Status(ledger, 4, 1, 2, 9));
    m.add(new Learner.Start(any));
    m.add(new Learner.SubscribeWeights(any));
    m.add(new Learner.Stop());
    m.add(new Coordinator.StepCompleted(new StepReport(4, 4, stats, ledger, 100, 200, 0.7), snap));
    m.add(new Coordinator.LearnerFailed("nan"));
    return m;
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
            Coordinator.Command.class)) {
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
