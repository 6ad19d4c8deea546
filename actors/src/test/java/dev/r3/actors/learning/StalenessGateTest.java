package dev.r3.actors.learning;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/**
 * The gate's arithmetic (DESIGN.md section 4). How the buffer counts what it passes in is tested on
 * the real buffer: ReplayBufferTest.
 */
class StalenessGateTest {

  @Test
  void capacity_is_etaPlusVersionPlusOne_batches() {
    StalenessGate g = new StalenessGate(1, 4);
    assertThat(g.capacity(0)).isEqualTo(8);
    assertThat(g.capacity(3)).isEqualTo(20);
    assertThat(g.mayAdmit(19, 0, 3)).isTrue();
    assertThat(g.mayAdmit(18, 2, 3)).isFalse();
    assertThat(g.admissible(10, 3, 3)).isEqualTo(7);
  }

  @Test
  void etaZero_admitsExactlyOneBatchPerVersion() {
    StalenessGate g = new StalenessGate(0, 2);
    assertThat(g.admissible(0, 0, 0)).isEqualTo(2);
    assertThat(g.admissible(2, 0, 1)).isEqualTo(2);
    assertThat(g.fresh(1, 1)).isTrue();
    assertThat(g.fresh(0, 1)).isFalse();
  }

  @Test
  void fresh_allowsAtMostEtaVersionsOfLag() {
    StalenessGate g = new StalenessGate(2, 1);
    assertThat(g.fresh(3, 5)).isTrue();
    assertThat(g.fresh(2, 5)).isFalse();
  }

  @Test
  void badSettings_areRefused() {
    assertThatThrownBy(() -> new StalenessGate(-1, 2)).hasMessageContaining("eta");
    assertThatThrownBy(() -> new StalenessGate(0, 0)).hasMessageContaining("batch");
  }
}
