package dev.r3.actors.wire;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import com.esotericsoftware.kryo.serializers.CollectionSerializer;
import com.esotericsoftware.kryo.serializers.MapSerializer;
import dev.r3.actors.cluster.LearnerNode;
import dev.r3.actors.cluster.PluginJar;
import dev.r3.actors.cluster.PluginServer;
import dev.r3.actors.cluster.RemoteActors;
import dev.r3.actors.cluster.RolloutStation;
import dev.r3.actors.cluster.WeightsCache;
import dev.r3.actors.cluster.WeightsPublisher;
import dev.r3.actors.learning.DropReason;
import dev.r3.actors.learning.LedgerCounts;
import dev.r3.actors.learning.RolloutCounters;
import dev.r3.actors.learning.ScoredGroup;
import dev.r3.actors.learning.ScoredTrajectory;
import dev.r3.actors.learning.StepReport;
import dev.r3.actors.learning.StepStats;
import dev.r3.actors.learning.Trajectory;
import dev.r3.actors.learning.WeightsSnapshot;
import dev.r3.actors.pipeline.Coordinator;
import dev.r3.actors.pipeline.EnvironmentActor;
import dev.r3.actors.pipeline.GroupRollout;
import dev.r3.actors.pipeline.Learner;
import dev.r3.actors.pipeline.ReplayBuffer;
import dev.r3.actors.pipeline.RewardActor;
import dev.r3.actors.pipeline.RolloutWorker;
import dev.r3.model.HostTensor;
import dev.r3.model.ModelConfig;
import dev.r3.model.ModelWeights;
import dev.r3.model.OptimizerState;
import dev.r3.model.RoutingRecord;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;

/**
 * The closed list of classes that may cross a node, in a fixed order (Kryo ids follow the order, so
 * both ends must run the same build). Adding a message means adding it here; the serializer refuses
 * anything else.
 */
final class WireRegistry {
  private WireRegistry() {}

  /** Every message class (the serializer-binding marker's implementations). */
  public static final List<Class<?>> MESSAGES =
      List.of(
          EnvironmentActor.MakePrompt.class,
          EnvironmentActor.Prompt.class,
          EnvironmentActor.PromptFailed.class,
          RolloutWorker.Generate.class,
          RolloutWorker.UseWeights.class,
          RolloutWorker.Ping.class,
          RolloutWorker.Restart.class,
          RolloutWorker.Generated.class,
          RolloutWorker.GenerationFailed.class,
          RolloutWorker.Pong.class,
          RewardActor.Score.class,
          RewardActor.Scored.class,
          ReplayBuffer.GroupFinished.class,
          ReplayBuffer.GroupAbandoned.class,
          ReplayBuffer.VersionAdvanced.class,
          ReplayBuffer.TakeBatch.class,
          ReplayBuffer.BatchTrained.class,
          ReplayBuffer.Drain.class,
          ReplayBuffer.GetStatus.class,
          ReplayBuffer.Batch.class,
          ReplayBuffer.Drained.class,
          ReplayBuffer.Status.class,
          Learner.Start.class,
          Learner.SubscribeWeights.class,
          Learner.Stop.class,
          Coordinator.StepCompleted.class,
          Coordinator.LearnerFailed.class,
          RolloutWorker.Started.class,
          RolloutWorker.Cancel.class,
          ReplayBuffer.LateTrajectories.class,
          ReplayBuffer.GroupClosed.class,
          Learner.Interrupt.class,
          Coordinator.LearnerStopped.class,
          Coordinator.Interrupt.class,
          RolloutWorker.RewindWeights.class,
          ReplayBuffer.Rewind.class,
          // cluster
          ReplayBuffer.GroupPlaced.class,
          ReplayBuffer.StationsJoined.class,
          ReplayBuffer.NodeLost.class,
          RolloutStation.Launch.class,
          RolloutStation.AbortGroup.class,
          WeightsPublisher.Register.class,
          WeightsPublisher.FetchChunk.class,
          WeightsPublisher.SyncReport.class,
          WeightsCache.Announce.class,
          WeightsCache.Chunk.class,
          WeightsCache.ChunkUnavailable.class,
          LearnerNode.GetRunSpec.class,
          LearnerNode.RunSpec.class,
          LearnerNode.NodeReady.class,
          RemoteActors.Report.class,
          PluginServer.FetchPiece.class,
          PluginServer.Piece.class,
          PluginServer.Refused.class,
          // incremental routing transport
          RolloutWorker.RoutingPiece.class,
          ReplayBuffer.RoutingPiece.class);

  /** Field types of the messages. */
  public static final List<Class<?>> DATA =
      List.of(
          Trajectory.class,
          ScoredTrajectory.class,
          ScoredGroup.class,
          WeightsSnapshot.class,
          LedgerCounts.class,
          StepStats.class,
          StepReport.class,
          DropReason.class,
          ModelConfig.class,
          HostTensor.class,
          OptimizerState.class,
          GroupRollout.Order.class,
          RemoteActors.ActorEvent.class,
          PluginJar.class,
          RolloutCounters.class);

  /**
   * Nesting a message may reach (records in lists in records: about 6); more is a malformed frame
   * that would otherwise overflow the stack.
   */
  static final int MAX_DEPTH = 32;

  /** One instance of each class of the JDK's immutable lists (List.of by size, Stream.toList). */
  private static final List<List<?>> IMMUTABLE_LISTS =
      List.of(List.of(), List.of(1), List.of(1, 2, 3), Stream.of(1, 2, 3).toList());

  public static Kryo newKryo(ActorRefResolver resolver) {
    Kryo k = new Kryo();
    k.setRegistrationRequired(true);
    k.setReferences(false);
    // JDK types that fields use.
    k.register(int[].class);
    k.register(float[].class);
    k.register(byte[].class);
    k.register(long[].class);
    k.register(double[].class);
    k.register(int[][].class);
    k.register(String.class);
    k.setMaxDepth(MAX_DEPTH);
    k.register(ArrayList.class, new BoundedArrayList());
    k.register(LinkedHashMap.class, new BoundedLinkedHashMap());
    BoundedImmutableList immutable = new BoundedImmutableList();
    for (List<?> sample : IMMUTABLE_LISTS) {
      k.register(sample.getClass(), immutable);
    }
    k.register(Collections.unmodifiableList(new ArrayList<>()).getClass(), new ListCopy());
    k.register(Collections.unmodifiableList(new LinkedList<>()).getClass(), new ListCopy());
    // Model types with compact or validated forms.
    k.register(RoutingRecord.class, new RoutingRecordSerializer());
    k.register(ModelWeights.class, new ModelWeightsSerializer());
    for (Class<?> c : DATA) {
      k.register(c);
    }
    ActorRefSerializer refs = new ActorRefSerializer(resolver);
    k.addDefaultSerializer(ActorRef.class, refs);
    k.register(actorRefClass(), refs);
    for (Class<?> c : MESSAGES) {
      k.register(c);
    }
    return k;
  }

  private static Class<?> actorRefClass() {
    try {
      return Class.forName("org.apache.pekko.actor.typed.internal.adapter.ActorRefAdapter");
    } catch (ClassNotFoundException e) {
      throw new IllegalStateException("Pekko's typed ActorRef class moved: update WireRegistry", e);
    }
  }

  /** Routing ids in their compact form: one byte per (position, layer, slot) when E <= 256. */
  static final class RoutingRecordSerializer extends Serializer<RoutingRecord> {
    RoutingRecordSerializer() {
      setImmutable(true);
    }

    @Override
    public void write(Kryo kryo, Output out, RoutingRecord r) {
      out.writeVarInt(r.positions(), true);
      out.writeVarInt(r.layers(), true);
      out.writeVarInt(r.k(), true);
      out.writeVarInt(r.numExperts(), true);
      byte[] ids = r.compactIds();
      out.writeVarInt(ids.length, true);
      out.writeBytes(ids);
    }

    @Override
    public RoutingRecord read(Kryo kryo, Input in, Class<? extends RoutingRecord> type) {
      int positions = in.readVarInt(true);
      int layers = in.readVarInt(true);
      int k = in.readVarInt(true);
      int experts = in.readVarInt(true);
      int n = in.readVarInt(true);
      if (layers == 0) {
        in.readBytes(n);
        return RoutingRecord.empty(positions);
      }
      return RoutingRecord.fromCompact(positions, layers, k, experts, in.readBytes(n));
    }
  }

  /** Weights as config + named host tensors, rebuilt (and shape-checked) by the constructor. */
  static final class ModelWeightsSerializer extends Serializer<ModelWeights> {
    ModelWeightsSerializer() {
      setImmutable(true);
    }

    @Override
    public void write(Kryo kryo, Output out, ModelWeights w) {
      kryo.writeObject(out, w.config());
      out.writeVarInt(w.tensors().size(), true);
      for (Map.Entry<String, HostTensor> e : w.tensors().entrySet()) {
        out.writeString(e.getKey());
        kryo.writeObject(out, e.getValue());
      }
    }

    @Override
    public ModelWeights read(Kryo kryo, Input in, Class<? extends ModelWeights> type) {
      ModelConfig c = kryo.readObject(in, ModelConfig.class);
      int n = in.readVarInt(true);
      Map<String, HostTensor> m = new LinkedHashMap<>();
      for (int i = 0; i < n; i++) {
        m.put(in.readString(), kryo.readObject(in, HostTensor.class));
      }
      return new ModelWeights(c, m);
    }
  }

  /** Pekko refs as their serialization format, resolved on arrival. */
  static final class ActorRefSerializer extends Serializer<ActorRef<?>> {
    private final ActorRefResolver resolver;

    ActorRefSerializer(ActorRefResolver resolver) {
      this.resolver = resolver;
      setImmutable(true);
    }

    @Override
    public void write(Kryo kryo, Output out, ActorRef<?> ref) {
      if (resolver == null) {
        throw new IllegalStateException("ActorRefs can only be serialized inside an actor system");
      }
      out.writeString(resolver.toSerializationFormat(ref));
    }

    @Override
    public ActorRef<?> read(Kryo kryo, Input in, Class<? extends ActorRef<?>> type) {
      if (resolver == null) {
        throw new IllegalStateException(
            "ActorRefs can only be deserialized inside an actor system");
      }
      return resolver.resolveActorRef(in.readString());
    }
  }

  /** Refuses a count read out of garbage: every element takes at least one byte of the frame. */
  static void requireElements(Input in, int n, String what) {
    if (in instanceof BoundedInput b) {
      b.requireElements(n, 1, what);
    }
  }

  /** ArrayList, pre-sized only for a count the frame can hold. */
  @SuppressWarnings({"rawtypes", "unchecked"})
  static final class BoundedArrayList extends CollectionSerializer<ArrayList> {
    @Override
    protected ArrayList create(Kryo kryo, Input in, Class<? extends ArrayList> type, int size) {
      requireElements(in, size, "list");
      return new ArrayList(size);
    }
  }

  /** LinkedHashMap, pre-sized only for a count the frame can hold. */
  @SuppressWarnings({"rawtypes", "unchecked"})
  static final class BoundedLinkedHashMap extends MapSerializer<LinkedHashMap> {
    @Override
    protected LinkedHashMap create(
        Kryo kryo, Input in, Class<? extends LinkedHashMap> type, int size) {
      requireElements(in, size, "map");
      return new LinkedHashMap(size);
    }
  }

  /**
   * The JDK's immutable lists ({@code List.of}, {@code Stream.toList}), read back as such: Kryo's
   * own serializer for them allocates for any count a frame claims.
   */
  static final class BoundedImmutableList extends CollectionSerializer<List<Object>> {
    BoundedImmutableList() {
      setElementsCanBeNull(false);
    }

    @Override
    protected List<Object> create(
        Kryo kryo, Input in, Class<? extends List<Object>> type, int size) {
      requireElements(in, size, "list");
      return new ArrayList<>(size);
    }

    @Override
    public List<Object> read(Kryo kryo, Input in, Class<? extends List<Object>> type) {
      List<Object> list = super.read(kryo, in, type);
      return list == null ? null : List.of(list.toArray());
    }

    @Override
    protected List<Object> createCopy(Kryo kryo, List<Object> original) {
      return new ArrayList<>(original.size());
    }

    @Override
    public List<Object> copy(Kryo kryo, List<Object> original) {
      return List.copyOf(super.copy(kryo, original));
    }
  }

  /** Unmodifiable JDK lists read back as immutable copies. */
  static final class ListCopy extends Serializer<List<?>> {
    @Override
    public void write(Kryo kryo, Output out, List<?> list) {
      out.writeVarInt(list.size(), true);
      for (Object o : list) {
        kryo.writeClassAndObject(out, o);
      }
    }

    @Override
    public List<?> read(Kryo kryo, Input in, Class<? extends List<?>> type) {
      int n = in.readVarInt(true);
      if (n > in.limit() - in.position()) {
        throw new KryoException(
            "list of " + n + " elements in " + (in.limit() - in.position()) + " bytes");
      }
      List<Object> out = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        out.add(kryo.readClassAndObject(in));
      }
      return Collections.unmodifiableList(out);
    }
  }
}
