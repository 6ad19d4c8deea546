package dev.r3.actors.learning;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class LedgerTest {

  @Test
  void everyTrajectory_isTrainedOrDropped() {
    Ledger l = new Ledger();
    l.produced(8);
    l.drop(3, DropReason.ALL_EQUAL);
    l.startTraining(4);
    l.producedAndDropped(2, DropReason.WORKER_FAILED);
    assertThat(l.counts().closed()).isFalse();
    l.trained(4);
    l.drop(1, DropReason.RUN_ENDED);
    LedgerCounts c = l.checkClosed();
    assertThat(c.produced()).isEqualTo(10);
    assertThat(c.trained()).isEqualTo(4);
    assertThat(c.droppedTotal()).isEqualTo(6);
    assertThat(c.dropped(DropReason.WORKER_FAILED)).isEqualTo(2);
  }

  @Test
  void openLedger_failsTheCheck_withItsCounts() {
    Ledger l = new Ledger();
    l.produced(4);
    assertThatThrownBy(l::checkClosed)
        .hasMessageContaining("produced=4")
        .hasMessageContaining("buffered=4");
  }

  @Test
  void trainingMoreThanBuffered_isRefused() {
    Ledger l = new Ledger();
    l.produced(2);
    assertThatThrownBy(() -> l.startTraining(3)).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> l.trained(1)).isInstanceOf(IllegalStateException.class);
  }
}
