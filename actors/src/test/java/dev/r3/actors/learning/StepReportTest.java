package dev.r3.actors.learning;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** A step's metrics line: the batch moves from in-training to trained, rates from the stats. */
class StepReportTest {

  @Test
  void theStepsBatch_countsAsTrained_andTheRatesComeFromItsStats() {
    long[] dropped = new long[DropReason.values().length];
    dropped[DropReason.STALE.ordinal()] = 3;
    var batchLedger = new LedgerCounts(40, 10, 8, 19, dropped);
    var stats = new StepStats(2, 8, 500, 0.5, 0.25, 0, 0, 0, 1.0, 1.0, 0, 0.5, 1, 2.0, Map.of());

    StepReport r = StepReport.of(3, stats, batchLedger, 8, 123.0, 4.0, RolloutCounters.NONE);

    assertThat(r.step()).isEqualTo(3);
    assertThat(r.version()).isEqualTo(3);
    assertThat(r.ledger().trained()).isEqualTo(18);
    assertThat(r.ledger().inTraining()).isZero();
    assertThat(r.ledger().buffered()).isEqualTo(19);
    assertThat(r.ledger().dropped(DropReason.STALE)).isEqualTo(3);
    assertThat(r.rolloutTokensPerSecond()).isEqualTo(123.0);
    assertThat(r.trainTokensPerSecond()).isCloseTo(250.0, within(1e-9));
    assertThat(r.learnerBusyFrac()).isCloseTo(0.5, within(1e-9));
  }

  @Test
  void theBusyFraction_isAtMostOne() {
    var stats = new StepStats(1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2.0, Map.of());
    var ledger = new LedgerCounts(1, 0, 1, 0, new long[DropReason.values().length]);

    assertThat(StepReport.of(1, stats, ledger, 1, 0, 1.0, RolloutCounters.NONE).learnerBusyFrac())
        .isEqualTo(1.0);
  }
}
