package dev.r3.env;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.Test;

class EnvironmentsTest {

  @Test
  void builtins_areFoundByName() {
    assertThat(Environments.names()).contains("add", "calc", "countdown", "mul", "sort");
    for (String name : Environments.names()) {
      assertThat(Environments.create(name, Map.of()).name()).isEqualTo(name);
    }
  }

  @Test
  void list_saysSingleOrMultiTurn() {
    assertThat(Environments.list())
        .extracting(EnvInfo::name, EnvInfo::multiTurn)
        .contains(
            Tuple.tuple("add", false), Tuple.tuple("calc", true), Tuple.tuple("countdown", false));
    assertThat(Environments.list())
        .allSatisfy(
            i -> {
              assertThat(i.description()).isNotBlank().doesNotContain("\n");
              assertThat(i.parameters()).isNotEmpty();
            });
  }

  @Test
  void unknownName_listsKnownNames() {
    assertThatThrownBy(() -> Environments.create("addition", Map.of()))
        .isInstanceOf(EnvConfigException.class)
        .hasMessageContaining("unknown environment 'addition'")
        .hasMessageContaining("add, calc, countdown, lookup, mul, sort");
  }

  @Test
  void unknownParameter_isAnError_listingKnownParameters() {
    assertThatThrownBy(() -> Environments.create("add", Map.of("digit", "3")))
        .isInstanceOf(EnvConfigException.class)
        .hasMessageContaining("unknown parameter 'digit'")
        .hasMessageContaining("digits (integer in [1, 9], default 2)")
        .hasMessageContaining("terms");
  }

  @Test
  void badValue_namesKeyAndAllowedRange() {
    assertThatThrownBy(() -> Environments.create("add", Map.of("digits", "ten")))
        .isInstanceOf(EnvConfigException.class)
        .hasMessageContaining("'digits'")
        .hasMessageContaining("'ten'")
        .hasMessageContaining("integer in [1, 9]");
    assertThatThrownBy(() -> Environments.create("add", Map.of("digits", "0")))
        .hasMessageContaining("integer in [1, 9]");
    assertThatThrownBy(() -> Environments.create("calc", Map.of("op", "pow")))
        .hasMessageContaining("'op'")
        .hasMessageContaining("one of mul, add");
    assertThatThrownBy(() -> Environments.create("countdown", Map.of("formatReward", "NaN")))
        .hasMessageContaining("'formatReward'")
        .hasMessageContaining("number in [0.0, 0.5]");
  }

  @Test
  void values_areTrimmedAndNormalised() {
    Environment env = Environments.create("add", Map.of("digits", " 3 "));
    assertThat(env.maxTokensPerTurn()).isEqualTo(3 + 3);
  }
}
