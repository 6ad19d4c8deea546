package dev.r3.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The shipped experiment matrix and suites (config/ at the repository root): every experiment file
 * parses and says, through its settings, what its name says; every suite loads.
 */
class ExperimentConfigsTest {
  private static final Path CONFIG = Path.of("..", "config").toAbsolutePath().normalize();

  private static List<Path> experiments() throws Exception {
    try (Stream<Path> s = Files.list(CONFIG.resolve("experiments"))) {
      return s.filter(p -> p.getFileName().toString().matches("(grpo|gspo).*-m\\d+\\.conf"))
          .sorted()
          .toList();
    }
  }

  @Test
  void matrix_hasSevenMethodsTimesTwoSettings() throws Exception {
    assertEquals(14, experiments().size());
  }

  @Test
  void eachExperiment_labelFromSettingsMatchesItsName() throws Exception {
    for (Path p : experiments()) {
      String name = p.getFileName().toString().replace(".conf", "");
      ExperimentLabel l = ExperimentLabel.of("unnamed", p, List.of());
      String expected = name.replaceFirst("-m\\d+$", "").toUpperCase().replace('-', '+');
      assertEquals(expected, l.method(), name);
      assertEquals(name.endsWith("-m8") ? 8 : 1, l.miniSteps(), name);
      assertTrue(l.setting().contains("lr="), name + ": " + l.setting());
    }
  }

  @Test
  void higherLearningRate_atSingleMiniStep() throws Exception {
    String m1 =
        ExperimentLabel.of("x", CONFIG.resolve("experiments/grpo-m1.conf"), List.of()).setting();
    String m8 =
        ExperimentLabel.of("x", CONFIG.resolve("experiments/grpo-m8.conf"), List.of()).setting();
    double lr1 = Double.parseDouble(m1.replaceFirst(".*lr=", ""));
    double lr8 = Double.parseDouble(m8.replaceFirst(".*lr=", ""));
    assertTrue(lr1 > lr8, m1 + " vs " + m8);
  }

  /**
   * HOCON silently accepts a misspelt key in a file ({@code train} refuses unknown keys only in
   * --set), so every key the experiment files and suite overrides set must exist in the pipeline's
   * reference.conf. Skipped until that reference.conf is on the classpath.
   */
  private static final String ENV_PARAMS = "r3.env.params.";

  @Test
  void everyKeyWeSet_existsInReferenceConf() throws Exception {
    com.typesafe.config.Config ref = com.typesafe.config.ConfigFactory.defaultReference();
    org.junit.jupiter.api.Assumptions.assumeTrue(
        ref.hasPath("r3.learner.mini-steps"), "the pipeline's reference.conf is not merged yet");
    List<Path> files = new java.util.ArrayList<>(experiments());
    files.add(CONFIG.resolve("experiments/common.conf"));
    for (Path f : files) {
      com.typesafe.config.Config c =
          com.typesafe.config.ConfigFactory.parseFile(f.toFile()).resolve();
      java.util.Map<String, String> envParams = new java.util.LinkedHashMap<>();
      for (var e : c.entrySet()) {
        if (e.getKey().startsWith(ENV_PARAMS)) {
          // Free-form by design: the environment validates its own parameters (below).
          envParams.put(
              e.getKey().substring(ENV_PARAMS.length()), String.valueOf(e.getValue().unwrapped()));
          continue;
        }
        assertTrue(
            ref.hasPath(e.getKey()),
            f.getFileName() + ": " + e.getKey() + " is not in reference.conf");
      }
      String env =
          c.hasPath("r3.env.name") ? c.getString("r3.env.name") : ref.getString("r3.env.name");
      dev.r3.env.Environments.create(env, envParams); // throws naming a bad key or value
    }
    for (String suite : List.of("quick", "paper", "paper-fp8")) {
      for (String kv : Suite.load(CONFIG.resolve("suites/" + suite + ".conf")).sets()) {
        String key = kv.substring(0, kv.indexOf('=')).trim();
        assertTrue(ref.hasPath(key), suite + ".conf: " + key + " is not in reference.conf");
      }
    }
    assertTrue(ref.hasPath(SuiteRunner.SEED_KEY));
  }

  @Test
  void suites_load() {
    Suite quick = Suite.load(CONFIG.resolve("suites/quick.conf"));
    assertEquals("quick", quick.name());
    assertTrue(quick.experiments().size() >= 3);
    Suite paper = Suite.load(CONFIG.resolve("suites/paper.conf"));
    assertEquals(14, paper.experiments().size());
    assertEquals(List.of(1L, 2L, 3L), paper.seeds());
    Suite fp8 = Suite.load(CONFIG.resolve("suites/paper-fp8.conf"));
    assertEquals("paper-fp8", fp8.name());
    assertEquals("r3.rollout.precision=fp8", fp8.sets().get(fp8.sets().size() - 1));
  }

  @Test
  void suiteOverride_changesTheLabel() {
    ExperimentLabel l =
        ExperimentLabel.of(
            "x",
            CONFIG.resolve("experiments/grpo-m8.conf"),
            List.of("r3.learner.mini-steps=4", "algorithm.tis.enabled=on"));
    assertEquals("GRPO+TIS", l.method());
    assertEquals(4, l.miniSteps());
  }
}
