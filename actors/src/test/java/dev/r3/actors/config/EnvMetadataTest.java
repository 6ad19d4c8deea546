package dev.r3.actors.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EnvMetadataTest {

  private static final Map<String, String> TRAINED_ON =
      EnvMetadata.entries(new R3Config.Env("add", Map.of("terms", "3", "digits", "1")));

  @Test
  void checkpointRecords_nameAndParams_andTheyAreReadBack() {
    assertThat(TRAINED_ON)
        .containsEntry("env", "add")
        .containsEntry("env_params", "{\"digits\":\"1\",\"terms\":\"3\"}");
    EnvMetadata m = EnvMetadata.choose(EnvChoice.NONE, TRAINED_ON, "add");
    assertThat(m.name()).isEqualTo("add");
    assertThat(m.params()).containsOnly(Map.entry("digits", "1"), Map.entry("terms", "3"));
    assertThat(m.describe()).contains("digits=1").contains("checkpoint's metadata");
  }

  @Test
  void envParamOption_replacesTheRecordedParams_keepsTheRecordedEnv() {
    EnvMetadata m = EnvMetadata.choose(EnvChoice.of(null, List.of("digits=2")), TRAINED_ON, "sort");
    assertThat(m.name()).isEqualTo("add");
    assertThat(m.params()).containsOnly(Map.entry("digits", "2"));
    assertThat(m.source()).contains("--env-param");
  }

  @Test
  void envOption_replacesEverything_withTheEnvironmentsDefaults() {
    EnvMetadata m = EnvMetadata.choose(EnvChoice.of("sort", List.of()), TRAINED_ON, "add");
    assertThat(m.name()).isEqualTo("sort");
    assertThat(m.params()).isEmpty();
    assertThat(m.source()).isEqualTo("--env, its default parameters");
  }

  @Test
  void noCheckpoint_orOneRecordingNothing_fallsBackAndSaysSo() {
    assertThat(EnvMetadata.choose(EnvChoice.NONE, null, "add").describe())
        .isEqualTo("add {} (from the default, its default parameters)");
    assertThat(EnvMetadata.choose(EnvChoice.NONE, Map.of("step", "3"), "add").source())
        .contains("records no environment");
    assertThat(EnvMetadata.choose(EnvChoice.NONE, Map.of("env", "mul"), "add").describe())
        .startsWith("mul {}")
        .contains("records no parameters");
  }

  @Test
  void damagedParams_areRefused_namingTheKey() {
    Map<String, String> bad = Map.of("env", "add", "env_params", "[1, 2]");
    assertThatThrownBy(() -> EnvMetadata.choose(EnvChoice.NONE, bad, "add"))
        .hasMessageContaining("env_params")
        .hasMessageContaining("[1, 2]");
  }
}
