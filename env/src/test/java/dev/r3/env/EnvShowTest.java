package dev.r3.env;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class EnvShowTest {

  @Test
  void list_hasOneLinePerEnvironment_withTurnMode() {
    String text = EnvShow.list();
    assertThat(text.lines())
        .anySatisfy(l -> assertThat(l).startsWith("add ").contains("single-turn"));
    assertThat(text.lines())
        .anySatisfy(l -> assertThat(l).startsWith("calc ").contains("multi-turn"));
    assertThat(text.lines()).hasSizeGreaterThanOrEqualTo(5);
  }

  @Test
  void show_playsTheOracle_andReportsRewardOne() {
    String text = EnvShow.render("calc", 7);
    assertThat(text)
        .contains("prompt    calc ")
        .contains("model 1   <calc>")
        .contains("env 1     <result>")
        .contains("reward    1.0 (correct)")
        .contains("seed      7 (train)");
  }

  @Test
  void show_isDeterministicBySeed() {
    assertThat(EnvShow.render("countdown", 3)).isEqualTo(EnvShow.render("countdown", 3));
    assertThat(EnvShow.render("add", Map.of("digits", "3"), 5, Split.EVAL))
        .contains("(eval)")
        .contains("digits=3");
  }

  @Test
  void show_unknownName_listsKnownNames() {
    assertThatThrownBy(() -> EnvShow.render("nope", 1))
        .isInstanceOf(EnvConfigException.class)
        .hasMessageContaining("add, calc, countdown, lookup, mul, sort");
  }
}
