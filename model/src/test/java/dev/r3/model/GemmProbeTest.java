package dev.r3.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** No timing assertions: the machine is shared; the rate is reported, not judged. */
class GemmProbeTest {

  @Test
  void measure_returnsAPositiveFiniteRate() {
    GemmProbe.Result r = GemmProbe.measure(64, 32, 16, 1, 3);
    assertThat(r.gflops()).isPositive().isFinite();
    assertThat(r.bestGflops()).isGreaterThanOrEqualTo(r.gflops()).isFinite();
    assertThat(r.flops()).isEqualTo(2.0 * 64 * 32 * 16);
    assertThat(r.threads()).isPositive();
  }

  @Test
  void modelShape_returnsAPositiveFiniteRate() {
    GemmProbe.Result r = GemmProbe.modelShape();
    System.out.println(r);
    assertThat(r.gflops()).isPositive().isFinite();
    assertThat(new int[] {r.m(), r.k(), r.n()}).containsExactly(2048, 128, 512);
  }

  @Test
  void measure_rejectsEmptyShapes() {
    assertThatThrownBy(() -> GemmProbe.measure(0, 1, 1, 0, 1))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
