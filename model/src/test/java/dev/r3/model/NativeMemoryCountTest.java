package dev.r3.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

/** The process-wide counters that ./r3 soak samples see arrays in nested managers. */
class NativeMemoryCountTest {
  @Test
  void liveArrays_countsArraysInSubManagers_andDropsThemWhenClosed() {
    long before = NativeMemory.liveArrays();
    try (NDManager m = NDManager.newBaseManager();
        NDManager sub = m.newSubManager()) {
      m.zeros(new Shape(2));
      sub.ones(new Shape(3));
      sub.ones(new Shape(3));
      assertThat(NativeMemory.liveArrays()).isEqualTo(before + 3);
    }
    assertThat(NativeMemory.liveArrays()).isEqualTo(before);
    assertThat(NativeMemory.rssKb()).isPositive();
  }
}
