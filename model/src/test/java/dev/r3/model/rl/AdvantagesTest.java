package dev.r3.model.rl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.r3.model.rl.Advantages.Scale;
import java.util.List;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.FloatRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

class AdvantagesTest {
  private static final float EPS = Advantages.DEFAULT_EPS;

  @Test
  void sampleStd_dividesByGMinusOne() {
    // mean 0.5, squared deviations sum to 1, sample var 1/3: A = +-0.5 / sqrt(1/3) = +-0.8660254
    Advantages.Group g = Advantages.group(new float[] {1, 0, 0, 1}, Scale.SAMPLE_STD, EPS);
    assertThat(g.mean()).isEqualTo(0.5f);
    assertThat(g.std()).isCloseTo(0.5773503f, within(1e-6f));
    assertThat(g.advantages())
        .containsExactly(
            new float[] {0.8660254f, -0.8660254f, -0.8660254f, 0.8660254f}, within(2e-6f));
    assertThat(g.allEqual()).isFalse();
  }

  @Test
  void populationStd_dividesByG() {
    // population std 0.5: A = +-0.5 / (0.5 + 1e-6) = +-0.999998
    Advantages.Group g = Advantages.group(new float[] {1, 0, 0, 1}, Scale.POPULATION_STD, EPS);
    assertThat(g.std()).isEqualTo(0.5f);
    assertThat(g.advantages())
        .containsExactly(new float[] {0.999998f, -0.999998f, -0.999998f, 0.999998f}, within(1e-6f));
  }

  @Test
  void noScale_onlyCentres() {
    Advantages.Group g = Advantages.group(new float[] {3, 1, 2}, Scale.NONE, EPS);
    assertThat(g.advantages()).containsExactly(1f, -1f, 0f);
  }

  @Test
  void allEqualGroup_isFlaggedAndZero() {
    // 0.1f three times: the double mean is not exactly 0.1f, yet the group must read as all-equal
    Advantages.Group g = Advantages.group(new float[] {0.1f, 0.1f, 0.1f}, Scale.SAMPLE_STD, EPS);
    assertThat(g.allEqual()).isTrue();
    assertThat(g.advantages()).containsExactly(0f, 0f, 0f);
    assertThat(Advantages.group(new float[] {1f}, Scale.SAMPLE_STD, EPS).allEqual()).isTrue();
  }

  @Test
  void batch_flagsEachGroup() {
    Advantages.Batch b = Advantages.batch(new float[] {1, 0, 0, 1, 1, 1, 1, 1}, 4, Scale.NONE, EPS);
    assertThat(b.advantages()).containsExactly(0.5f, -0.5f, -0.5f, 0.5f, 0f, 0f, 0f, 0f);
    assertThat(b.allEqual()).containsExactly(false, true);
    assertThat(b.degenerateGroups()).isEqualTo(1);
  }

  @Test
  void badInput_isRejected() {
    assertThatThrownBy(() -> Advantages.batch(new float[5], 2, Scale.NONE, EPS))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Advantages.group(new float[] {0, Float.NaN}, Scale.NONE, EPS))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Property(tries = 300)
  void normalisedGroup_hasMeanZeroAndUnitStd(
      @ForAll @Size(min = 2, max = 16) List<@FloatRange(min = -10, max = 10) Float> rewards,
      @ForAll boolean population) {
    float[] r = new float[rewards.size()];
    for (int i = 0; i < r.length; i++) {
      r[i] = rewards.get(i);
    }
    Scale scale = population ? Scale.POPULATION_STD : Scale.SAMPLE_STD;
    Advantages.Group g = Advantages.group(r, scale, EPS);
    // a spread comparable to eps would be scaled to less than unit std, by design
    Assume.that(!g.allEqual() && g.std() > 1e-2f);

    double mean = 0;
    for (float a : g.advantages()) {
      mean += a;
    }
    mean /= r.length;
    double squares = 0;
    for (float a : g.advantages()) {
      squares += (a - mean) * (a - mean);
    }
    double std = Math.sqrt(squares / (population ? r.length : r.length - 1));
    assertThat(mean).isCloseTo(0, within(1e-5));
    assertThat(std).isCloseTo(1, within(1e-3));
  }
}
