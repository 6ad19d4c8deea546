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
    Trajectory t = new Trajectory(0, 0, 0, 0, new int[] {1, 5, 7, 2}, 2, new float[] {-0.5f, -0.25f},
        RoutingRecord.empty(3), true);
    assertThat(RlStep.alignedBehaviour(t)).containsExactly(0f, -0.5f, -0.25f);
  }

  @Test
  void groupAdvantages_centreAndScale_andFlagAllEqual() {
    float[] a = GroupAdvantages.of(new float[] {1, 0, 0, 1}, 1e-6f);
    assertThat(a[0]).isCloseTo(1f, org.assertj.core.data.Offset.offset(1e-4f));
    assertThat(a[1]).isCloseTo(-1f, org.assertj.core.data.Offset.offset(1e-4f));
    assertThat(GroupAdvantages.allEqual(new float[] {0.5f, 0.5f})).isTrue();
  }

  @Test
  void mismatch_isZeroForIdenticalPolicies_andCountsExtremeTokens() {
    Mismatch m = new Mismatch();
    m.addTokens(new float[] {0f, -1f, -2f}, new float[] {0f, -1f, -2f}, 2);
    assertThat(m.kl()).isZero();
    Mismatch x = new Mismatch();
    x.addTokens(new float[] {0f, (float) Math.log(0.9)}, new float[] {0f, (float) Math.log(0.3)}, 2);
    assertThat(x.extreme2()).isEqualTo(1.0);
    assertThat(x.kl()).isCloseTo(3 - 1 - Math.log(3), org.assertj.core.data.Offset.offset(1e-5));
  }
}
