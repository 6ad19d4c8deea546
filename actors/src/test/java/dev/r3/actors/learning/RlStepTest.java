package dev.r3.actors.learning;

import static org.assertj.core.api.Assertions.assertThat;

import dev.r3.model.RoutingRecord;
import java.util.List;
import org.junit.jupiter.api.Test;

class RlStepTest {

  @Test
  void split_coversAllItems_inMNearlyEqualContiguousParts() {
    List<int[]> parts = RlStep.split(10, 3);
    assertThat(parts).hasSize(3);
    assertThat(parts.get(0)).containsExactly(0, 4);
    assertThat(parts.get(1)).containsExactly(4, 7);
    assertThat(parts.get(2)).containsExactly(7, 10);
    assertThat(RlStep.split(2, 5)).hasSize(2);
  }

  @Test
  void behaviourLogProbs_alignWithTokensAfterTheFirst() {
    // prompt [1, 5] (2 tokens), generated [7, 2]: tokens[1..3] -> positions 0..2; generated at 1, 2
    Trajectory t =
        new Trajectory(
            0,
            0,
            0,
            0,
            new int[] {1, 5, 7, 2},
            2,
            new float[] {-0.5f, -0.25f},
            RoutingRecord.empty(3),
            true);
    assertThat(RlStep.alignedBehaviour(t)).containsExactly(0f, -0.5f, -0.25f);
  }
}
