package dev.r3.model;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;
import static org.assertj.core.api.Assertions.assertThat;

class DjlProbeTest {
  @Test
  void engineLoads() {
    System.out.println(Engine.getInstance().getEngineName() + " " + Engine.getInstance().getVersion());
    try (NDManager m = NDManager.newBaseManager()) {
      assertThat(m.ones(new ai.djl.ndarray.types.Shape(2, 2)).sum().getFloat()).isEqualTo(4f);
    }
  }
}
