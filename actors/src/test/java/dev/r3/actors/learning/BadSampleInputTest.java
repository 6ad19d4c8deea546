package dev.r3.actors.learning;

import static org.assertj.core.api.Assertions.assertThat;

import dev.r3.actors.djl.EnvTask;
import dev.r3.actors.ports.Task;
import dev.r3.actors.testkit.EchoTask;
import dev.r3.env.Environment;
import dev.r3.env.Episode;
import dev.r3.env.GuardedEnvironment;
import dev.r3.env.Outcome;
import dev.r3.env.RewardFunction;
import dev.r3.env.Split;
import dev.r3.env.TaskSpec;
import dev.r3.env.Turn;
import dev.r3.model.RoutingRecord;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Bad output from plugins, counted: an environment whose reward is NaN, infinite, 1e30, negative or
 * above 1, that throws or hangs; a task that hands back a non-finite reward; a rollout engine that
 * returns non-finite log-probabilities, tokens outside the vocabulary or too few log-probabilities.
 * Every one becomes a dropped sample under its reason ({@code failed_episode} for the environment,
 * {@code invalid_sample} for the engine), the ledger balances, and the good samples of the group
 * are kept.
 */
class BadSampleInputTest {
  static final EchoTask.DigitTokenizer TOK = new EchoTask.DigitTokenizer();

  /** A plugin environment (the env SPI) whose reward function misbehaves as told. */
  static final class Plugin implements Environment {
    interface Reward {
      Outcome score(String completion) throws Exception;
    }

    private final Reward reward;

    Plugin(Reward reward) {
      this.reward = reward;
    }

    @Override
    public String name() {
      return "plugin";
    }

    @Override
    public String description() {
      return "a misbehaving plugin";
    }

    @Override
    public boolean multiTurn() {
      return false;
    }

    @Override
    public int maxTurns() {
      return 1;
    }

    @Override
    public int maxTokensPerTurn() {
      return 2;
    }

    @Override
    public TaskSpec task(long seed, Split split) {
      return new TaskSpec(name(), split, seed, "5", "5", "");
    }

    @Override
    public Episode start(TaskSpec task) {
      return new Episode() {
        @Override
        public TaskSpec task() {
          return task;
        }

        @Override
        public String firstObservation() {
          return task.prompt();
        }

        @Override
        public Turn step(String out) {
          return new Turn.Done(reward().score(task, out));
        }

        @Override
        public Optional<Outcome> outcome() {
          return Optional.empty();
        }
      };
    }

    @Override
    public RewardFunction reward() {
      return (task, completion) -> {
        try {
          return reward.score(completion);
        } catch (RuntimeException e) {
          throw e;
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      };
    }
  }

  /** The plugin's answer to a well-behaved completion. */
  static Outcome fine(String c) {
    return c.equals("5") ? Outcome.correct("5") : Outcome.zero(c, "wrong", "");
  }

  static Trajectory good(int sample) {
    int[] tokens = {1, 8, 8, 2};
    return new Trajectory(
        7, sample, 5, 0, tokens, 2, new float[] {-0.5f, -0.1f}, RoutingRecord.empty(3), true);
  }

  static Trajectory withLogProbs(int sample, float... lp) {
    int[] tokens = new int[2 + lp.length];
    tokens[0] = 1;
    for (int i = 1; i < tokens.length; i++) {
      tokens[i] = 8;
    }
    return new Trajectory(
        7, sample, 5, 0, tokens, 2, lp, RoutingRecord.empty(tokens.length - 1), true);
  }

  static Trajectory withTokens(int sample, int... generated) {
    int[] tokens = new int[2 + generated.length];
    tokens[0] = 1;
    tokens[1] = 8;
    System.arraycopy(generated, 0, tokens, 2, generated.length);
    return new Trajectory(
        7,
        sample,
        5,
        0,
        tokens,
        2,
        new float[generated.length],
        RoutingRecord.empty(tokens.length - 1),
        true);
  }

  /**
   * Scores {@code bad} together with two good samples (one right, one wrong) and admits the group.
   */
  static GroupWork.Admission admitWithGood(Task task, Trajectory bad) {
    int[] wrong = {1, 8, 5, 2}; // answers "2"
    Trajectory w =
        new Trajectory(
            7, 9, 5, 0, wrong, 2, new float[] {-1f, -0.2f}, RoutingRecord.empty(3), true);
    List<ScoredTrajectory> scored = GroupWork.score(task, TOK, List.of(good(0), w, bad));
    return GroupWork.admit(7, 3, 0, scored, true);
  }

  static void checkLedger(GroupWork.Admission a, int samples) {
    Ledger l = new Ledger();
    l.produced(samples);
    l.drop(a.failed(), DropReason.FAILED_EPISODE);
    l.drop(a.invalid(), DropReason.INVALID_SAMPLE);
    l.drop(a.allEqual(), DropReason.ALL_EQUAL);
    if (a.kept() != null) {
      l.startTraining(a.kept().members().size());
      l.trained(a.kept().members().size());
    }
    assertThat(l.checkClosed().produced()).isEqualTo(samples);
  }

  @Test
  void pluginEnvironmentRewards_outOfContract_areFailedEpisodes_withTheirReason() {
    List<Plugin.Reward> bad = new ArrayList<>();
    for (double r :
        new double[] {
          Double.NaN,
          Double.POSITIVE_INFINITY,
          Double.NEGATIVE_INFINITY,
          1e30,
          -1,
          -1e-9,
          1.0001,
          Double.MAX_VALUE,
          -Double.MIN_VALUE
        }) {
      bad.add(c -> c.equals("1") ? new Outcome(r, c, "x", "", false) : fine(c));
    }
    bad.add(c -> c.equals("1") ? null : fine(c));
    bad.add(
        c -> {
          if (!c.equals("1")) {
            return fine(c);
          }
          throw new ArithmeticException("verifier divided by zero");
        });
    bad.add(
        c -> {
          if (!c.equals("1")) {
            return fine(c);
          }
          Thread.sleep(5_000);
          return Outcome.correct(c);
        });
    int cases = 0;
    for (Plugin.Reward r : bad) {
      Task task = new EnvTask(GuardedEnvironment.wrap(new Plugin(r), Duration.ofMillis(200)));
      // The bad sample's completion is "1": the branch where the plugin misbehaves.
      GroupWork.Admission a = admitWithGood(task, withTokens(2, 4, 2));
      assertThat(a.failed()).as("case %d", cases).isEqualTo(1);
      assertThat(a.invalid()).isZero();
      assertThat(a.kept()).isNotNull();
      assertThat(a.kept().members()).hasSize(2);
      checkLedger(a, 3);
      cases++;
    }
    // A task (the pipeline's port) that hands back a non-finite reward itself.
    for (float r : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
      Task task =
          new Task() {
            @Override
            public String prompt(long seed, Split split) {
              return "5";
            }

            @Override
            public Verdict score(long seed, Split split, String completion) {
              return completion.startsWith("5")
                  ? new Verdict(1f, true, false, "correct")
                  : completion.startsWith("1")
                      ? new Verdict(r, false, false, "??")
                      : new Verdict(0f, false, false, "wrong");
            }
          };
      GroupWork.Admission a = admitWithGood(task, withTokens(2, 4, 2));
      assertThat(a.failed()).isEqualTo(1);
      assertThat(GroupWork.score(task, TOK, List.of(withTokens(2, 4, 2))).get(0).reason())
          .contains("non-finite reward");
      checkLedger(a, 3);
      cases++;
    }
    assertThat(cases).isEqualTo(15);
  }

  @Test
  void engineOutputTheLearnerCannotUse_isAnInvalidSample_namedAndCounted() {
    Task task = new EchoTask();
    List<Trajectory> bad = new ArrayList<>();
    for (float lp : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
      bad.add(withLogProbs(2, -0.1f, lp));
      bad.add(withLogProbs(2, lp, -0.1f));
    }
    for (int t :
        new int[] {-1, EchoTask.VOCAB, EchoTask.VOCAB + 1, Integer.MAX_VALUE, Integer.MIN_VALUE}) {
      bad.add(withTokens(2, t, 2));
    }
    int[] tokens = {1, 8, 8, 2};
    bad.add(new Trajectory(7, 2, 5, 0, tokens, 2, new float[1], RoutingRecord.empty(3), true));
    bad.add(new Trajectory(7, 2, 5, 0, tokens, 2, new float[3], RoutingRecord.empty(3), true));
    bad.add(new Trajectory(7, 2, 5, 0, tokens, 2, null, RoutingRecord.empty(3), true));
    bad.add(new Trajectory(7, 2, 5, 0, tokens, 4, new float[0], RoutingRecord.empty(3), true));
    bad.add(new Trajectory(7, 2, 5, 0, tokens, 0, new float[4], RoutingRecord.empty(3), true));
    for (Trajectory t : bad) {
      ScoredTrajectory s = GroupWork.score(task, TOK, List.of(t)).get(0);
      assertThat(s.failed()).as("%s", t).isTrue();
      assertThat(s.reason()).startsWith(GroupWork.INVALID);
      GroupWork.Admission a = admitWithGood(task, t);
      assertThat(a.invalid()).as("%s: %s", t, s.reason()).isEqualTo(1);
      assertThat(a.failed()).isZero();
      assertThat(a.kept().members()).hasSize(2);
      checkLedger(a, 3);
    }
    assertThat(bad).hasSize(16);
    assertThat(GroupWork.invalid(good(0), EchoTask.VOCAB)).isNull();
  }
}
