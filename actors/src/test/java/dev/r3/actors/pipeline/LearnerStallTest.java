package dev.r3.actors.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.r3.actors.learning.DropReason;
import dev.r3.actors.learning.LedgerCounts;
import dev.r3.actors.testkit.Fixtures;
import java.nio.file.Path;
import java.time.Duration;
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

  static LedgerCounts ledger(long produced, long allEqual) {
    long[] dropped = new long[DropReason.values().length];
    dropped[DropReason.ALL_EQUAL.ordinal()] = allEqual;
    return new LedgerCounts(produced, produced - allEqual, 0, 0, dropped);
  }

  @Test
  void starvation_isCountedSinceTheLastBatch_andNeedsTenBatchesOfSamples() {
    LedgerCounts before = ledger(100_000, 50_000); // a history of informative groups
    // A pilot run's ledger at its stall: 1,111,776 of 1,130,336 samples dropped all-equal overall.
    assertThat(LearnerStall.starved(before, ledger(110_000, 59_500), 128)).isTrue();
    assertThat(LearnerStall.starved(before, ledger(110_000, 58_000), 128))
        .as("80% since the last batch")
        .isFalse();
    assertThat(LearnerStall.starved(before, ledger(101_000, 51_000), 128))
        .as("fewer than ten batches of samples")
        .isFalse();
  }

  @Test
  void starvation_saysTheShareSinceTheLastBatch_andTheWaysOut() {
    var status = new ReplayBuffer.Status(ledger(110_000, 59_500), 145, 7, 9, 2327);

    String why =
        LearnerStall.starvation("b", 145, Duration.ofSeconds(120), ledger(100_000, 50_000), status);

    assertThat(why)
        .contains("dynamic sampling starved the learner")
        .contains("for 120 s at version 145")
        .contains("9500 of the 10000 samples produced since the last batch (95.0%)")
        .contains("7 fresh groups waiting, 9 running")
        .contains("r3.algorithm.dynamic-sampling off")
        .contains("r3.timeouts.starved = 0");
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
