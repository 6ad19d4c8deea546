package dev.r3.actors.wire;

import dev.r3.actors.cluster.LearnerNode;
import dev.r3.actors.cluster.PluginJar;
import dev.r3.actors.cluster.PluginServer;
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
import dev.r3.actors.testkit.BigramPolicy;
import dev.r3.model.OptimizerState;
import dev.r3.model.RoutingRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;

/** Real messages for wire tests: one of every registered class, with realistic field values. */
final class WireExamples {
  private WireExamples() {}

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

  /** One example of every registered message (ActorRefs are probes of {@code kit}). */
  static List<Object> everyMessage(ActorTestKit kit) {
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
        new StepStats(
            2,
            8,
            30,
            0.5,
            0.5,
            1e-3,
            0,
            Double.NaN,
            0.1,
            0.2,
            0.05,
            0.5,
            1,
            0.3,
            Map.of("losses/approx_kl", 1e-4, "routing/disagreement/layer_1", 0.01));
    WeightsSnapshot snap = new WeightsSnapshot(3, BigramPolicy.initial());
    List<Object> m = new ArrayList<>();
    m.add(new EnvironmentActor.MakePrompt(7, 99, any));
    m.add(new EnvironmentActor.Prompt(7, 99, new int[] {1, 5}));
    m.add(new EnvironmentActor.PromptFailed(7, "boom"));
    m.add(new RolloutWorker.Generate(7, 2, 99, new int[] {1, 5}, 4, 2, 1234, any));
    m.add(new RolloutWorker.UseWeights(snap));
    m.add(new RolloutWorker.Ping(any));
    m.add(new RolloutWorker.Restart("stalled"));
    RolloutCounters counters = new RolloutCounters(512, 96, 24, 18, 1 << 20, 16, 48, 3_072);
    m.add(
        new RolloutWorker.Generated(
            7, 2, "rollout-0", 3, new ArrayList<>(List.of(t.withRouting(null))), 0.25, counters));
    m.add(new RolloutWorker.GenerationFailed(7, 2, "rollout-0", "restarting", true));
    m.add(new RolloutWorker.Pong("rollout-0", 3, true, 120, 5, 1));
    m.add(new RewardActor.Score(7, List.of(t), any));
    m.add(new RewardActor.Scored(7, List.of(st)));
    m.add(
        new ReplayBuffer.GroupFinished(
            7, 99, 3, List.of(st), "rollout-0", 0.2, 1, true, "5f3a/2", counters));
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
    m.add(new ReplayBuffer.Batch(2, 4, List.of(g), ledger, 123.5, 17, counters));
    m.add(new ReplayBuffer.Drained(ledger));
    m.add(new ReplayBuffer.Status(ledger, 4, 1, 2, 9));
    m.add(new Learner.Start(any));
    m.add(new Learner.SubscribeWeights(any));
    m.add(new Learner.Stop());
    OptimizerState opt = OptimizerState.fresh(BigramPolicy.config(), 1e-3f);
    m.add(
        new Coordinator.StepCompleted(
            new StepReport(4, 4, stats, ledger, 100, 200, 0.7, counters), snap, opt, 17));
    m.add(new Coordinator.LearnerFailed("nan"));
    m.add(new Learner.Interrupt());
    m.add(new Coordinator.LearnerStopped(snap, opt, 17, null));
    m.add(new Coordinator.Interrupt("SIGINT"));
    m.add(new RolloutWorker.RewindWeights(snap));
    m.add(new ReplayBuffer.Rewind(3, 12, 4));
    // cluster
    GroupRollout.Order order = new GroupRollout.Order(7, 99, 1234, 3, 4);
    m.add(new ReplayBuffer.GroupPlaced(7, 1, "127.0.0.1:25521"));
    m.add(new ReplayBuffer.StationsJoined(List.of("127.0.0.1:25521-w0", "127.0.0.1:25521-w1")));
    m.add(new ReplayBuffer.NodeLost("127.0.0.1:25521"));
    m.add(new RolloutStation.Launch(order, 1, any));
    m.add(new RolloutStation.AbortGroup(7, "run ended"));
    m.add(new WeightsPublisher.Register(any));
    m.add(new WeightsPublisher.FetchChunk(3, 2, any));
    m.add(new WeightsPublisher.SyncReport("127.0.0.1:25521", 3, 48_000, 0.12));
    m.add(new WeightsCache.Announce(3, "ab12", 48_000, 16_384, any, 1_700_000_000_000L));
    m.add(new WeightsCache.Chunk(3, 2, new byte[] {1, 2, 3}));
    m.add(new WeightsCache.ChunkUnavailable(3, 2, 5));
    m.add(new LearnerNode.GetRunSpec(any));
    m.add(
        new LearnerNode.RunSpec(
            "{\"experiment\":{}}",
            "{}",
            0,
            any,
            List.of(new PluginJar("/opt/r3/parrot.jar", "ab12", 4242)),
            any));
    m.add(new PluginServer.FetchPiece("ab12", 131_072, 131_072, any));
    m.add(new PluginServer.Piece("ab12", 131_072, new byte[] {1, 2, 3}));
    m.add(new PluginServer.Refused("ab12", "the learner serves no plugin jar with this digest"));
    m.add(new LearnerNode.NodeReady("127.0.0.1:25521", List.of("127.0.0.1:25521-w0")));
    m.add(
        new dev.r3.actors.cluster.RemoteActors.Report(
            "127.0.0.1:25521",
            List.of(
                new dev.r3.actors.cluster.RemoteActors.ActorEvent(
                    "/system/sharding/rollout-station/a/a/worker",
                    "rollout",
                    "failed",
                    "java.lang.IllegalStateException: boom",
                    1L,
                    2L,
                    3L,
                    4L,
                    0,
                    1))));
    m.add(new RolloutWorker.RoutingPiece(7, 2, 1, 1, t.routing().slice(1, 3)));
    m.add(new ReplayBuffer.RoutingPiece(7, "5f3a/2", 1, 1, t.routing().slice(1, 3)));
    return m;
  }
}
