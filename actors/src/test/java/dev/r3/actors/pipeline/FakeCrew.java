package dev.r3.actors.pipeline;

import dev.r3.actors.learning.ScoredTrajectory;
import dev.r3.actors.learning.Trajectory;
import dev.r3.actors.pipeline.EnvironmentActor.MakePrompt;
import dev.r3.actors.pipeline.EnvironmentActor.Prompt;
import dev.r3.actors.pipeline.RewardActor.Score;
import dev.r3.actors.pipeline.RewardActor.Scored;
import dev.r3.actors.pipeline.RolloutWorker.Cancel;
import dev.r3.actors.pipeline.RolloutWorker.Generate;
import dev.r3.actors.pipeline.RolloutWorker.Generated;
import dev.r3.actors.pipeline.RolloutWorker.GenerationFailed;
import dev.r3.actors.pipeline.RolloutWorker.Started;
import dev.r3.actors.testkit.BigramPolicy;
import dev.r3.model.RoutingRecord;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Scripted stand-ins for the environment, rollout worker and reward actors, so that the real {@link
 * ReplayBuffer} and {@link GroupRollout} can be driven through every interleaving a test wants.
 * Trajectories are tiny but valid (routing records that pass the buffer's alignment check for
 * {@link BigramPolicy#config()}), and rewards alternate 0/1 within a group so that dynamic sampling
 * keeps every group.
 */
final class FakeCrew {
  private FakeCrew() {}

  /** What a scripted worker does with one request. */
  sealed interface Action permits Deliver, DeliverInPieces, FailAfterPieces, Fail, Hang {}

  /**
   * Start at once, deliver after {@code delay}, stamped with {@code version} (or the request's
   * minimum version when negative).
   */
  record Deliver(long version, Duration delay) implements Action {}

  /**
   * Start and deliver at once, as the real worker does: each routing record in two pieces (position
   * 0, then position 1) ahead of the trajectories, which carry none; sample {@code mangled}'s
   * pieces are lost ({@code lose} = its second piece never sent) or swapped (sent second piece
   * first).
   */
  record DeliverInPieces(int mangled, boolean lose) implements Action {}

  /**
   * Start, ship the first routing piece of every sample, then fail (started): a worker lost in the
   * middle of its episodes. Nothing is delivered (nothing produced).
   */
  record FailAfterPieces() implements Action {}

  /** Answer failed at once. */
  record Fail(boolean started) implements Action {}

  /**
   * Start, then never finish on its own; on {@link Cancel} either deliver anyway (the result raced
   * the cancel) or answer cancelled.
   */
  record Hang(boolean deliverOnCancel) implements Action {}

  @FunctionalInterface
  interface Script {
    Action on(Generate request);
  }

  static Behavior<EnvironmentActor.Command> env() {
    return Behaviors.receive(EnvironmentActor.Command.class)
        .onMessage(
            MakePrompt.class,
            m -> {
              m.replyTo()
                  .tell(
                      new Prompt(
                          m.groupId(),
                          m.episodeSeed(),
                          new int[] {1, 3 + (int) Math.floorMod(m.episodeSeed(), 10L)}));
              return Behaviors.same();
            })
        .build();
  }

  static Behavior<RewardActor.Command> reward() {
    return Behaviors.receive(RewardActor.Command.class)
        .onMessage(
            Score.class,
            m -> {
              List<ScoredTrajectory> out = new ArrayList<>();
              for (Trajectory t : m.trajectories()) {
                boolean right = t.sample() % 2 == 0;
                out.add(new ScoredTrajectory(t, right ? 1f : 0f, right, false, "scripted"));
              }
              m.replyTo().tell(new Scored(m.groupId(), out));
              return Behaviors.same();
            })
        .build();
  }

  /**
   * @param sent counts every trajectory the worker sends (delivered, late or not)
   */
  static Behavior<RolloutWorker.Command> worker(String name, Script script, AtomicLong sent) {
    return Behaviors.setup(
        ctx -> {
          Map<String, Generate> hanging = new HashMap<>();
          return Behaviors.receive(RolloutWorker.Command.class)
              .onMessage(
                  Generate.class,
                  g -> {
                    Action a = script.on(g);
                    if (a instanceof Fail f) {
                      g.replyTo()
                          .tell(
                              new GenerationFailed(
                                  g.groupId(), g.attempt(), name, "scripted", f.started()));
                      return Behaviors.same();
                    }
                    g.replyTo().tell(new Started(g.groupId(), g.attempt(), name));
                    if (a instanceof FailAfterPieces) {
                      Generated unsent = delivered(name, g, g.minVersion(), new AtomicLong());
                      for (Trajectory t : unsent.trajectories()) {
                        g.replyTo()
                            .tell(
                                new RolloutWorker.RoutingPiece(
                                    g.groupId(),
                                    g.attempt(),
                                    t.sample(),
                                    0,
                                    t.routing().slice(0, 1)));
                      }
                      g.replyTo()
                          .tell(
                              new GenerationFailed(
                                  g.groupId(), g.attempt(), name, "scripted: lost", true));
                    } else if (a instanceof DeliverInPieces p) {
                      Generated whole = delivered(name, g, g.minVersion(), sent);
                      List<Trajectory> stripped = new ArrayList<>();
                      for (Trajectory t : whole.trajectories()) {
                        RolloutWorker.RoutingPiece first =
                            new RolloutWorker.RoutingPiece(
                                g.groupId(), g.attempt(), t.sample(), 0, t.routing().slice(0, 1));
                        RolloutWorker.RoutingPiece second =
                            new RolloutWorker.RoutingPiece(
                                g.groupId(), g.attempt(), t.sample(), 1, t.routing().slice(1, 2));
                        boolean mangled = t.sample() == p.mangled();
                        if (mangled && !p.lose()) {
                          g.replyTo().tell(second);
                        }
                        g.replyTo().tell(first);
                        if (!mangled) {
                          g.replyTo().tell(second);
                        }
                        stripped.add(t.withRouting(null));
                      }
                      g.replyTo()
                          .tell(
                              new Generated(
                                  g.groupId(), g.attempt(), name, g.minVersion(), stripped, 0.01));
                    } else if (a instanceof Deliver d) {
                      long v = d.version() < 0 ? g.minVersion() : d.version();
                      ctx.scheduleOnce(d.delay(), g.replyTo(), delivered(name, g, v, sent));
                    } else {
                      hanging.put(g.groupId() + "/" + g.attempt(), g);
                    }
                    return Behaviors.same();
                  })
              .onMessage(
                  Cancel.class,
                  c -> {
                    Generate g = hanging.remove(c.groupId() + "/" + c.attempt());
                    if (g == null) {
                      return Behaviors.same();
                    }
                    Action a = script.on(g);
                    if (a instanceof Hang h && h.deliverOnCancel()) {
                      g.replyTo().tell(delivered(name, g, g.minVersion(), sent));
                    } else {
                      g.replyTo()
                          .tell(
                              new GenerationFailed(
                                  g.groupId(), g.attempt(), name, "cancelled", true));
                    }
                    return Behaviors.same();
                  })
              .onMessage(RolloutWorker.Ping.class, p -> Behaviors.same())
              .onMessage(RolloutWorker.UseWeights.class, u -> Behaviors.same())
              .build();
        });
  }

  static Generated delivered(String worker, Generate g, long version, AtomicLong sent) {
    List<Trajectory> ts = new ArrayList<>();
    for (int i = 0; i < g.samples(); i++) {
      int[] tokens = new int[] {g.prompt()[0], g.prompt()[1], 3 + i % 10};
      int positions = tokens.length - 1;
      int[] ids = new int[positions * BigramPolicy.TOP_K];
      for (int p = 0; p < positions; p++) {
        ids[p * 2] = 0;
        ids[p * 2 + 1] = 1;
      }
      RoutingRecord r =
          RoutingRecord.of(positions, 1, BigramPolicy.TOP_K, BigramPolicy.EXPERTS, ids);
      ts.add(
          new Trajectory(
              g.groupId(), i, g.episodeSeed(), version, tokens, 2, new float[] {-1f}, r, true));
    }
    sent.addAndGet(ts.size());
    return new Generated(g.groupId(), g.attempt(), worker, version, ts, 0.01);
  }
}
