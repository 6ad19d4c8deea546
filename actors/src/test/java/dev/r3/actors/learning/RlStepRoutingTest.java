package dev.r3.actors.learning;

import static org.assertj.core.api.Assertions.assertThat;

import dev.r3.actors.config.R3Config;
import dev.r3.actors.djl.DjlTrainer;
import dev.r3.actors.djl.ModelSizes;
import dev.r3.actors.ports.PolicyTrainer;
import dev.r3.actors.testkit.EchoTask;
import dev.r3.actors.testkit.Fixtures;
import dev.r3.model.ModelConfig;
import dev.r3.model.ModelWeights;
import dev.r3.model.RoutingMode;
import dev.r3.model.RoutingRecord;
import dev.r3.model.ScoreResult;
import dev.r3.model.Sequence;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which routing each mini-step of {@link RlStep} replays, on the real tiny MoE trainer: R2 replays
 * what the trainer itself routed when it scored pi_prox (before the first mini-step), in every
 * mini-step, even after the weights moved; R3 replays the rollout's record; recompute replays
 * nothing. The "rollout" records come from a second, differently initialised model, so they differ
 * from the trainer's own routing and the three cases cannot be confused.
 */
class RlStepRoutingTest {
  private static final int MINI_STEPS = 3;

  @TempDir Path tmp;

  @Test
  void r2_replaysTheRoutingScoredBeforeTheFirstMiniStep_inEveryMiniStep() {
    Observed seen = run(R3Config.Routing.R2);

    assertThat(seen.scoreModes.get(0)).isEqualTo(RoutingMode.RECOMPUTE);
    List<RoutingRecord> captured = seen.scoreRouting.get(0);
    assertThat(seen.stepModes).hasSize(MINI_STEPS).containsOnly(RoutingMode.REPLAY);
    assertThat(seen.stepReplay).containsExactlyElementsOf(captured);
    assertThat(seen.stepReplay).isNotEqualTo(seen.rollout);
    // After the first update, the trainer's own routing has moved on somewhere, but R2 keeps the
    // captured one: a later mini-step that recomputed would not see these records.
    assertThat(seen.naturalAfter).isNotEqualTo(captured);
  }

  @Test
  void step_readsTheModelShapeWithoutCopyingTheWeightsToTheHost() {
    for (R3Config.Routing routing : R3Config.Routing.values()) {
      assertThat(run(routing).weightCopies).as(routing.name()).isZero();
    }
  }

  @Test
  void r3_replaysTheRolloutRecords_recomputeReplaysNothing() {
    Observed r3 = run(R3Config.Routing.R3);
    assertThat(r3.scoreModes.get(0)).isEqualTo(RoutingMode.REPLAY);
    assertThat(r3.stepModes).containsOnly(RoutingMode.REPLAY);
    assertThat(r3.stepReplay).containsExactlyElementsOf(r3.rollout);

    Observed recompute = run(R3Config.Routing.RECOMPUTE);
    assertThat(recompute.stepModes).containsOnly(RoutingMode.RECOMPUTE);
    assertThat(recompute.stepReplay).isEmpty();
  }

  /** What the trainer was asked to do during one RlStep. */
  private static final class Observed {
    final List<RoutingMode> scoreModes = new ArrayList<>();
    final List<List<RoutingRecord>> scoreRouting = new ArrayList<>();
    final List<RoutingMode> stepModes = new ArrayList<>();
    final List<RoutingRecord> stepReplay = new ArrayList<>();
    List<RoutingRecord> rollout;
    List<RoutingRecord> naturalAfter;
    int weightCopies; // weights() calls during RlStep.run
  }

  private Observed run(R3Config.Routing routing) {
    R3Config c =
        Fixtures.config(
            tmp,
            "r3.algorithm.routing=" + routing.name().toLowerCase(),
            "r3.learner.lr=0.05",
            "r3.learner.mini-steps=" + MINI_STEPS);
    ModelWeights trained = ModelWeights.random(ModelSizes.of("tiny", EchoTask.VOCAB), 3);
    ModelWeights other = ModelWeights.random(ModelSizes.of("tiny", EchoTask.VOCAB), 11);
    Observed seen = new Observed();
    try (PolicyTrainer real = DjlTrainer.factory().open(trained, c);
        PolicyTrainer engine = DjlTrainer.factory().open(other, c)) {
      List<Trajectory> trajs = trajectories(6);
      seen.rollout =
          engine
              .score(trajs.stream().map(Trajectory::sequence).toList(), RoutingMode.RECOMPUTE, null)
              .routing();
      List<ScoredGroup> groups = new ArrayList<>();
      for (int g = 0; g < 2; g++) {
        List<ScoredTrajectory> members = new ArrayList<>();
        for (int s = 0; s < 3; s++) {
          int i = g * 3 + s;
          Trajectory t = trajs.get(i);
          Trajectory withRouting =
              new Trajectory(
                  t.groupId(),
                  t.sample(),
                  t.episodeSeed(),
                  t.version(),
                  t.tokens(),
                  t.promptLength(),
                  t.logProbs(),
                  seen.rollout.get(i),
                  true);
          members.add(new ScoredTrajectory(withRouting, s == 0 ? 1f : 0f, s == 0, false, "x"));
        }
        groups.add(new ScoredGroup(g, g, 0, members));
      }
      PolicyTrainer watched = watching(real, seen);
      new RlStep(c.algorithm(), MINI_STEPS, false).run(watched, null, 0, groups);
      seen.naturalAfter =
          real.score(trajs.stream().map(Trajectory::sequence).toList(), RoutingMode.RECOMPUTE, null)
              .routing();
    }
    return seen;
  }

  private static PolicyTrainer watching(PolicyTrainer t, Observed seen) {
    return new PolicyTrainer() {
      @Override
      public ScoreResult score(List<Sequence> s, RoutingMode mode, List<RoutingRecord> replay) {
        ScoreResult out = t.score(s, mode, replay);
        seen.scoreModes.add(mode);
        seen.scoreRouting.add(out.routing());
        return out;
      }

      @Override
      public MiniStepResult step(MiniBatch b) {
        seen.stepModes.add(b.mode());
        if (b.replay() != null) {
          seen.stepReplay.addAll(b.replay());
        }
        return t.step(b);
      }

      @Override
      public ModelWeights weights() {
        seen.weightCopies++;
        return t.weights();
      }

      @Override
      public ModelConfig config() {
        return t.config();
      }
    };
  }

  /** Echo-task-like sequences: a 3-token prompt and a 4-token answer, ids in groups 0 and 1. */
  private static List<Trajectory> trajectories(int n) {
    Random rnd = new Random(5);
    List<Trajectory> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int[] tokens = new int[7];
      for (int j = 0; j < tokens.length; j++) {
        tokens[j] = 1 + rnd.nextInt(EchoTask.VOCAB - 1);
      }
      float[] lp = new float[4];
      Arrays.fill(lp, -1.5f);
      out.add(new Trajectory(i / 3, i % 3, i, 0, tokens, 3, lp, RoutingRecord.empty(6), true));
    }
    return out;
  }
}
