package dev.r3.env;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.r3.env.MisbehavingEnvironment.Fault;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class GuardedEnvironmentTest {
  private static final Duration BUDGET = Duration.ofMillis(200);

  private static GuardedEnvironment guard(Fault fault) {
    return GuardedEnvironment.wrap(new MisbehavingEnvironment(fault), BUDGET);
  }

  private static Outcome end(Turn t) {
    assertThat(t).isInstanceOf(Turn.Done.class);
    return ((Turn.Done) t).outcome();
  }

  @Test
  void healthyEnvironment_passesThrough() {
    GuardedEnvironment env = guard(Fault.NONE);
    Episode e = env.start(1, Split.TRAIN);
    assertThat(e.firstObservation()).isEqualTo("p1=");
    assertThat(end(e.step("ok"))).isEqualTo(Outcome.correct("ok"));
    assertThat(env.stats().count(Reasons.CORRECT)).isEqualTo(1);
  }

  @Test
  void exceptionInStep_endsEpisodeAsFailed_withReason() {
    GuardedEnvironment env = guard(Fault.THROW_STEP);
    Episode e = env.start(1, Split.TRAIN);
    Outcome o = end(e.step("ok"));
    assertThat(o.failed()).isTrue();
    assertThat(o.reward()).isZero();
    assertThat(o.reason()).isEqualTo(Reasons.ENV_EXCEPTION);
    assertThat(o.detail()).contains("NullPointerException").contains("bug in step");
    assertThat(e.outcome()).contains(o);
    assertThatThrownBy(() -> e.step("again")).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void stepPastTimeBudget_endsEpisodeAsFailed_andFreesTheThread() throws Exception {
    MisbehavingEnvironment inner = new MisbehavingEnvironment(Fault.HANG_STEP);
    GuardedEnvironment env = GuardedEnvironment.wrap(inner, BUDGET);
    long t0 = System.nanoTime();
    Outcome o = end(env.start(1, Split.TRAIN).step("ok"));
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertThat(o.failed()).isTrue();
    assertThat(o.reason()).isEqualTo(Reasons.ENV_TIMEOUT);
    assertThat(o.detail()).contains("200 ms");
    assertThat(ms).isLessThan(5_000);
    assertThat(inner.interrupted.await(5, TimeUnit.SECONDS))
        .as("hanging call interrupted")
        .isTrue();
  }

  @Test
  void callThatIgnoresInterrupts_stillReturnsOnTime() {
    GuardedEnvironment env =
        GuardedEnvironment.wrap(
            new MisbehavingEnvironment(Fault.IGNORE_INTERRUPT), Duration.ofMillis(50));
    long t0 = System.nanoTime();
    assertThat(end(env.start(1, Split.TRAIN).step("ok")).reason()).isEqualTo(Reasons.ENV_TIMEOUT);
    assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(250);
  }

  @Test
  void failureToMakeTask_givesAnEpisodeThatIsAlreadyOver() {
    GuardedEnvironment env = guard(Fault.THROW_TASK);
    Episode e = env.start(3, Split.EVAL);
    assertThat(e.outcome()).isPresent();
    assertThat(e.outcome().get().failed()).isTrue();
    assertThat(e.outcome().get().detail()).contains("no task today");
    assertThat(e.task().seed()).isEqualTo(3);
    assertThat(e.firstObservation()).isEmpty();
    assertThatThrownBy(() -> env.task(3, Split.EVAL))
        .isInstanceOf(GuardedEnvironment.EnvironmentFailure.class)
        .hasMessageContaining("no task today");
  }

  @Test
  void failureToStart_givesAnEpisodeThatIsAlreadyOver() {
    GuardedEnvironment env = guard(Fault.THROW_START);
    Episode e = env.start(3, Split.TRAIN);
    assertThat(e.outcome()).map(Outcome::reason).contains(Reasons.ENV_EXCEPTION);
    // A caller that steps without looking gets the failure once, then the usual misuse error.
    assertThat(end(e.step("ok"))).isEqualTo(e.outcome().get());
    assertThatThrownBy(() -> e.step("ok")).isInstanceOf(IllegalStateException.class);
    assertThat(env.stats().failed()).isEqualTo(1);
  }

  @Test
  void nullTurn_isAProtocolFailure() {
    Outcome o = end(guard(Fault.NULL_TURN).start(1, Split.TRAIN).step("ok"));
    assertThat(o.reason()).isEqualTo(Reasons.ENV_PROTOCOL);
    assertThat(o.failed()).isTrue();
  }

  @Test
  void episodeThatNeverEnds_isCutAtMaxTurns() {
    Episode e = guard(Fault.ENDLESS).start(1, Split.TRAIN);
    assertThat(e.step("a")).isInstanceOf(Turn.Continue.class);
    assertThat(e.step("b")).isInstanceOf(Turn.Continue.class);
    Outcome o = end(e.step("c"));
    assertThat(o.reason()).isEqualTo(Reasons.ENV_PROTOCOL);
    assertThat(o.detail()).contains("maxTurns 3");
  }

  @Test
  void rewardFunction_isGuardedToo() {
    TaskSpec task = new TaskSpec("faulty", Split.TRAIN, 0, "p=", "ok", "");
    assertThat(guard(Fault.THROW_SCORE).reward().score(task, "ok"))
        .extracting(Outcome::reason, Outcome::failed)
        .containsExactly(Reasons.ENV_EXCEPTION, true);
    assertThat(guard(Fault.HANG_SCORE).reward().score(task, "ok").reason())
        .isEqualTo(Reasons.ENV_TIMEOUT);
    assertThat(guard(Fault.BAD_REWARD).reward().score(task, "ok").detail()).contains("[0, 1]");
  }

  @Test
  void callerGoesOn_afterFailures() {
    OutcomeStats stats = new OutcomeStats();
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      GuardedEnvironment bad =
          GuardedEnvironment.wrap(new MisbehavingEnvironment(Fault.HANG_STEP), BUDGET, pool, stats);
      GuardedEnvironment good =
          GuardedEnvironment.wrap(new MisbehavingEnvironment(Fault.NONE), BUDGET, pool, stats);
      for (int i = 0; i < 3; i++) {
        end(bad.start(i, Split.TRAIN).step("ok"));
        assertThat(end(good.start(i, Split.TRAIN).step("ok")).reward()).isEqualTo(1.0);
      }
      assertThat(stats.counts())
          .containsEntry(Reasons.ENV_TIMEOUT, 3L)
          .containsEntry(Reasons.CORRECT, 3L);
      assertThat(stats.failed()).isEqualTo(3);
      assertThat(stats.meanReward()).isEqualTo(0.5);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void builtinMalformedOutputs_areCountedPerReason() {
    GuardedEnvironment env = GuardedEnvironment.wrap(Environments.create("add", Map.of()));
    for (String out : new String[] {"", "x", "9999999", "-1", "1 2"}) {
      Outcome o = end(env.start(0, Split.TRAIN).step(out));
      assertThat(o.reward()).isZero();
      assertThat(o.failed()).isFalse();
    }
    assertThat(env.stats().counts())
        .containsEntry(Reasons.NO_ANSWER, 1L)
        .containsEntry(Reasons.NOT_A_NUMBER, 2L)
        .containsEntry(Reasons.TOO_LONG, 1L)
        .containsEntry(Reasons.WRONG_ANSWER, 1L);
    assertThat(env.stats().total()).isEqualTo(5);
  }

  @Test
  void shutDownExecutor_failsTheEpisodeInsteadOfThrowing() {
    ExecutorService pool = Executors.newSingleThreadExecutor();
    pool.shutdownNow();
    GuardedEnvironment env =
        GuardedEnvironment.wrap(
            new MisbehavingEnvironment(Fault.NONE), BUDGET, pool, new OutcomeStats());
    assertThat(env.start(1, Split.TRAIN).outcome())
        .map(Outcome::reason)
        .contains(Reasons.ENV_EXCEPTION);
  }

  @Test
  void budget_mustBePositive() {
    assertThatThrownBy(
            () -> GuardedEnvironment.wrap(new MisbehavingEnvironment(Fault.NONE), Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
