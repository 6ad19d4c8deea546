package dev.r3.actors.pipeline;

import static dev.r3.actors.pipeline.GroupIntakeTest.finished;
import static org.assertj.core.api.Assertions.assertThat;

import dev.r3.actors.learning.DropReason;
import dev.r3.actors.learning.Ledger;
import dev.r3.actors.learning.RolloutCounters;
import dev.r3.actors.learning.ScoredGroup;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.testkit.typed.javadsl.TestInbox;
import org.junit.jupiter.api.Test;

/**
 * The learner's side of the buffer (staleness 1, two groups a batch): a request waits for two fresh
 * groups, and each batch says what the rollouts did since the previous one.
 */
class BatchServingTest {
  final Ledger ledger = new Ledger();
  final GroupIntake intake = GroupIntakeTest.intake(ledger);
  final AtomicLong nanos = new AtomicLong();
  final BatchServing serving = new BatchServing(intake, ledger, nanos::get);
  final TestInbox<ReplayBuffer.Batch> learner = TestInbox.create();

  void finish(long id, long version, long bufferAt) {
    var g = finished(id, version, 1f, 0f);
    serving.finished(g.counters(), intake.accept(g, bufferAt));
  }

  @Test
  void aRequest_isAnsweredOnceTwoFreshGroupsWait_andOnlyOnce() {
    serving.demand(new ReplayBuffer.TakeBatch(0, learner.getRef()));
    finish(1, 0, 0);
    serving.serve(0, 5);
    assertThat(learner.hasMessages()).as("one group is not a batch").isFalse();

    finish(0, 0, 0);
    finish(2, 0, 0);
    serving.serve(0, 5);
    ReplayBuffer.Batch b = learner.receiveMessage();
    assertThat(b.batchId()).isZero();
    assertThat(b.groups()).extracting(ScoredGroup::groupId).containsExactly(0L, 1L);
    assertThat(b.nextGroupId()).isEqualTo(5);
    assertThat(b.ledger().inTraining()).isEqualTo(4);

    finish(3, 0, 0);
    serving.serve(0, 5);
    assertThat(learner.hasMessages()).as("the request was answered").isFalse();
    assertThat(intake.waiting()).isEqualTo(2);
  }

  @Test
  void withoutARequest_nothingIsTakenOrDropped() {
    finish(0, 0, 0);
    finish(1, 0, 0);

    serving.serve(5, 2);

    assertThat(intake.waiting()).isEqualTo(2);
    assertThat(ledger.counts().dropped(DropReason.STALE)).isZero();
  }

  @Test
  void staleGroups_areDroppedBeforeTheBatchForms() {
    finish(0, 0, 0);
    finish(1, 2, 2);
    finish(2, 2, 2);

    serving.demand(new ReplayBuffer.TakeBatch(2, learner.getRef()));
    serving.serve(2, 3);

    assertThat(learner.receiveMessage().groups())
        .extracting(ScoredGroup::groupId)
        .containsExactly(1L, 2L);
    assertThat(ledger.counts().dropped(DropReason.STALE)).isEqualTo(2);
  }

  @Test
  void eachBatch_carriesTheTokenRateAndCountersSinceThePreviousOne_andIsNumberedInTurn() {
    var counters = RolloutCounters.prefill(10, 4, 1, 1, 0);
    serving.finished(counters, 0);
    finish(0, 0, 0);
    finish(1, 0, 0);
    nanos.set(2_000_000_000L); // 4 + 4 tokens in 2 s
    serving.demand(new ReplayBuffer.TakeBatch(0, learner.getRef()));
    serving.serve(0, 2);
    ReplayBuffer.Batch first = learner.receiveMessage();

    finish(2, 0, 0);
    finish(3, 0, 0);
    nanos.set(3_000_000_000L); // 8 tokens in the second since
    serving.demand(new ReplayBuffer.TakeBatch(0, learner.getRef()));
    serving.serve(0, 4);
    ReplayBuffer.Batch second = learner.receiveMessage();

    assertThat(first.rolloutTokensPerSecond()).isEqualTo(4.0);
    assertThat(first.rollout()).isEqualTo(counters);
    assertThat(second.batchId()).isEqualTo(first.batchId() + 1);
    assertThat(second.rolloutTokensPerSecond()).isEqualTo(8.0);
    assertThat(second.rollout()).isEqualTo(RolloutCounters.NONE);
  }

  @Test
  void aForgottenRequest_isNotAnswered() {
    serving.demand(new ReplayBuffer.TakeBatch(0, learner.getRef()));
    serving.forgetDemand();
    finish(0, 0, 0);
    finish(1, 0, 0);

    serving.serve(0, 2);

    assertThat(learner.hasMessages()).isFalse();
    assertThat(intake.waiting()).isEqualTo(2);
  }
}
