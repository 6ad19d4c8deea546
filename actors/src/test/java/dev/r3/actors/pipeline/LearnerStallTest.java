package dev.r3.actors.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.r3.actors.learning.DropReason;
import dev.r3.actors.learning.LedgerCounts;
import dev.r3.actors.testkit.Fixtures;
import java.nio.file.Path;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/** What a stalled learner says: enough to tell a slow step from a starved buffer. */
class LearnerStallTest {

  @Test
  void aMissingBatch_namesTheBufferTheDeadlineAndWhatTheBufferHeld() {
    var c = Fixtures.config(Path.of("target"));
    var status =
        new ReplayBuffer.Status(
            new LedgerCounts(9, 0, 0, 9, new long[DropReason.values().length]), 3, 1, 4, 7);

    String why = LearnerStall.noBatch(c, "pekko://r3/user/buffer", 3, status, null);

    assertThat(why)
        .contains("no batch from the replay buffer (pekko://r3/user/buffer)")
        .contains("r3.timeouts.step = " + c.timeouts().step())
        .contains("at version 3")
        .contains("1 fresh groups waiting (a batch needs " + c.learner().batchGroups() + ")")
        .contains("4 groups running, 7 accepted");
  }

  @Test
  void aBufferStarvedByEqualRewards_isDiagnosedAsDynamicSamplingStarvation() {
    var c = Fixtures.config(Path.of("target"));
    long[] dropped = new long[DropReason.values().length];
    dropped[DropReason.ALL_EQUAL.ordinal()] = 1_570_192; // a pilot run's ledger at its stall
    var starved =
        new ReplayBuffer.Status(
            new LedgerCounts(1_588_808, 18_560, 0, 56, dropped), 145, 7, 9, 2327);
    dropped[DropReason.ALL_EQUAL.ordinal()] = 40;
    var healthy = new ReplayBuffer.Status(new LedgerCounts(100, 0, 0, 60, dropped), 3, 1, 4, 7);

    assertThat(LearnerStall.noBatch(c, "b", 145, starved, null))
        .contains("Dynamic sampling starved: 1570192 of the 1588808 samples produced (98.8%)")
        .contains("r3.algorithm.dynamic-sampling off");
    assertThat(LearnerStall.noBatch(c, "b", 3, healthy, null)).doesNotContain("starved");
  }

  @Test
  void aBufferThatDidNotAnswer_isSaidSo() {
    var c = Fixtures.config(Path.of("target"));

    String why = LearnerStall.noBatch(c, "b", 0, null, new TimeoutException("ask timed out"));

    assertThat(why)
        .contains("the buffer did not answer a status request")
        .contains("ask timed out");
  }

  @Test
  void aLongStep_namesTheStepAndItsSize() {
    var c = Fixtures.config(Path.of("target"));

    assertThat(LearnerStall.stepStillRunning(c, 4))
        .startsWith("learner step 5 still running after r3.timeouts.step")
        .contains(c.learner().miniSteps() + " mini-steps on " + c.learner().batchGroups());
  }
}
