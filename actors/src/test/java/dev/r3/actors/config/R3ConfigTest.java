package dev.r3.actors.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class R3ConfigTest {

  @TempDir Path tmp;

  @Test
  void defaults_loadAndValidate() {
    R3Config c = ConfigLoader.load(null, List.of());
    assertThat(c.env().name()).isEqualTo("add");
    assertThat(c.algorithm().routing()).isEqualTo(R3Config.Routing.R3);
    assertThat(c.algorithm().name()).isEqualTo(R3Config.Algo.GRPO);
    assertThat(c.learner().miniSteps()).isGreaterThanOrEqualTo(1);
    assertThat(c.tableText()).contains("r3.learner.mini-steps");
  }

  @Test
  void set_overridesWithOrWithoutPrefix() {
    R3Config c =
        ConfigLoader.load(
            null,
            List.of(
                "learner.mini-steps=4",
                "r3.algorithm.routing=r2",
                "env.params.digits=3",
                "timeouts.generate=7s"));
    assertThat(c.learner().miniSteps()).isEqualTo(4);
    assertThat(c.algorithm().routing()).isEqualTo(R3Config.Routing.R2);
    assertThat(c.env().params()).containsEntry("digits", "3");
    assertThat(c.timeouts().generate()).hasSeconds(7);
  }

  @Test
  void badValue_failsNamingTheKey() {
    assertThatThrownBy(() -> ConfigLoader.load(null, List.of("learner.mini-steps=0")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("r3.learner.mini-steps must be >= 1, got 0");
    assertThatThrownBy(() -> ConfigLoader.load(null, List.of("algorithm.routing=r4")))
        .hasMessageContaining("r3.algorithm.routing must be one of recompute, r2, r3");
    assertThatThrownBy(() -> ConfigLoader.load(null, List.of("learner.staleness=-1")))
        .hasMessageContaining("r3.learner.staleness");
    assertThatThrownBy(() -> ConfigLoader.load(null, List.of("learner.lr=abc")))
        .hasMessageContaining("r3.learner.lr");
    assertThatThrownBy(() -> ConfigLoader.load(null, List.of("rollout.precision=fp4")))
        .hasMessageContaining("r3.rollout.precision");
    assertThatThrownBy(() -> ConfigLoader.load(null, List.of("timeouts.ask=0s")))
        .hasMessageContaining("r3.timeouts.ask");
  }

  @Test
  void unknownKey_isRefused() {
    assertThatThrownBy(() -> ConfigLoader.load(null, List.of("learner.ministeps=2")))
        .hasMessageContaining("unknown config key r3.learner.ministeps")
        .hasMessageContaining("did you mean r3.learner.mini-steps?");
  }

  @Test
  void unknownKeyInExperimentFile_namesFileLineAndClosestKey() throws Exception {
    Path f = tmp.resolve("exp.conf");
    Files.writeString(f, "r3 {\n  experiment.name = x\n  learner {\n    mini-stesp = 4\n  }\n}\n");
    assertThatThrownBy(() -> ConfigLoader.load(f, List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(f + " line 4: unknown key r3.learner.mini-stesp")
        .hasMessageContaining("did you mean r3.learner.mini-steps?");
  }

  @Test
  void unknownKeyInInclude_namesTheIncludedFile() throws Exception {
    Files.writeString(tmp.resolve("base.conf"), "r3.learner.batch-groups = 6\nr3.lerner.lr = 1\n");
    Files.writeString(tmp.resolve("exp.conf"), "include \"base.conf\"\nr3.experiment.name = exp\n");
    assertThatThrownBy(() -> ConfigLoader.load(tmp.resolve("exp.conf"), List.of()))
        .hasMessageContaining(tmp.resolve("base.conf") + " line 2: unknown key r3.lerner")
        .hasMessageContaining("did you mean r3.learner?");
  }

  @Test
  void unknownSectionInExperimentFile_isRefused() throws Exception {
    Path f = tmp.resolve("exp.conf");
    Files.writeString(f, "r3.experiment.name = x\nr4.learner.lr = 1\n");
    assertThatThrownBy(() -> ConfigLoader.load(f, List.of()))
        .hasMessageContaining(f + " line 2: unknown key r4");
  }

  @Test
  void envParamsInExperimentFile_areFreeForm() throws Exception {
    Path f = tmp.resolve("exp.conf");
    Files.writeString(f, "r3.env.params { digits = 1, anything-goes = 3 }\n");
    assertThat(ConfigLoader.load(f, List.of()).env().params()).containsEntry("anything-goes", "3");
  }

  @Test
  void envOption_replacesTheWholeEnvBlock() throws Exception {
    Path f = tmp.resolve("exp.conf");
    Files.writeString(f, "r3.env { name = add, params { digits = 1, terms = 3 } }\n");
    R3Config sort = ConfigLoader.load(f, List.of(), EnvChoice.of("sort", List.of()));
    assertThat(sort.env().name()).isEqualTo("sort");
    assertThat(sort.env().params()).isEmpty();
    R3Config add = ConfigLoader.load(f, List.of(), EnvChoice.of(null, List.of("digits=2")));
    assertThat(add.env().name()).isEqualTo("add");
    assertThat(add.env().params()).containsExactly(Map.entry("digits", "2"));
  }

  @Test
  void setEnvName_thatKeepsForeignParams_saysToUseEnvOption() throws Exception {
    Path f = tmp.resolve("exp.conf");
    Files.writeString(f, "r3.env { name = add, params { digits = 1, terms = 3 } }\n");
    assertThatThrownBy(() -> ConfigLoader.load(f, List.of("env.name=sort")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("sort")
        .hasMessageContaining("--env sort")
        .hasMessageContaining("--env-param");
  }

  @Test
  void crossKeyRules_nameBothKeys() {
    assertThatThrownBy(
            () ->
                ConfigLoader.load(
                    null, List.of("algorithm.tis.enabled=on", "algorithm.mis.enabled=on")))
        .hasMessageContaining("r3.algorithm.tis.enabled")
        .hasMessageContaining("r3.algorithm.mis.enabled");
  }

  @Test
  void experimentFile_includesBaseAndOverrides() throws Exception {
    Files.writeString(
        tmp.resolve("base.conf"), "r3.learner.batch-groups = 6\nr3.rollout.group-size = 4\n");
    Files.writeString(
        tmp.resolve("exp.conf"),
        "include \"base.conf\"\nr3.experiment.name = exp\nr3.learner.mini-steps = 3\n");
    R3Config c = ConfigLoader.load(tmp.resolve("exp.conf"), List.of("learner.mini-steps=2"));
    assertThat(c.experiment().name()).isEqualTo("exp");
    assertThat(c.learner().batchGroups()).isEqualTo(6);
    assertThat(c.learner().miniSteps()).isEqualTo(2);
  }

  @Test
  void missingFile_isAClearError() {
    assertThatThrownBy(() -> ConfigLoader.load(tmp.resolve("nope.conf"), List.of()))
        .hasMessageContaining("nope.conf does not exist");
  }

  @Test
  void repoExperimentFiles_allLoad() throws Exception {
    Path dir = Path.of(System.getProperty("user.dir")).resolve("../config").normalize();
    assertThat(dir).isDirectory();
    try (var files = Files.walk(dir)) {
      for (Path f :
          files
              .filter(p -> p.toString().endsWith(".conf"))
              .filter(p -> !p.getParent().endsWith("sweeps") && !p.getParent().endsWith("suites"))
              .toList()) {
        assertThat(ConfigLoader.load(f, List.of())).as(f.toString()).isNotNull();
      }
    }
  }
}
