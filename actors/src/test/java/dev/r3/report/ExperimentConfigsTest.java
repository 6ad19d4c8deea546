package dev.r3.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.r3.actors.config.ConfigLoader;
import dev.r3.actors.config.R3Config;
import dev.r3.env.Environments;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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
  void matrix_hasEightMethodsTimesTwoSettings() throws Exception {
    assertEquals(16, experiments().size());
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
   * Every shipped experiment loads through the one reader (which refuses keys reference.conf does
   * not define, in the file and its includes), and its environment accepts its free-form
   * parameters; every suite's overrides name known keys (Suite.load checks them).
   */
  @Test
  void everyShippedExperiment_loadsAndItsEnvironmentAcceptsItsParams() throws Exception {
    List<Path> files = new ArrayList<>(experiments());
    files.add(CONFIG.resolve("experiments/common.conf"));
    for (Path f : files) {
      R3Config c = ConfigLoader.load(f, List.of());
      Environments.create(c.env().name(), c.env().params()); // throws naming a bad key or value
    }
    List<Path> suites;
    try (var walk = java.nio.file.Files.walk(CONFIG.resolve("suites"))) {
      suites = walk.filter(f -> f.toString().endsWith(".conf")).sorted().toList();
    }
    assertTrue(suites.size() >= 9, suites.toString()); // quick, paper, ..., the stress pilots
    for (Path suite : suites) {
      assertFalse(Suite.load(suite).sets().isEmpty(), suite.toString());
    }
    assertTrue(ConfigFactory.defaultReference().hasPath(SuiteRunner.SEED_KEY));
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
  void stressSuite_hasThePaperMethodsAtBothSettings_threeSeeds_andItsPilotsLoad() {
    Suite stress = Suite.load(CONFIG.resolve("suites/stress.conf"));
    assertEquals(List.of(1L, 2L, 3L), stress.seeds());
    List<String> methods =
        stress.experiments().stream()
            .map(e -> ExperimentLabel.of(e.name(), e.config(), stress.setsFor(e)))
            .map(l -> l.method() + "@M" + l.miniSteps())
            .toList();
    for (String m :
        List.of("GRPO", "GRPO+TIS", "GRPO+MIS", "GRPO+R3", "GSPO", "GSPO+R3", "GRPO+R2")) {
      assertTrue(methods.contains(m + "@M1") && methods.contains(m + "@M8"), m + " in " + methods);
    }
    assertEquals(14, methods.size());
    List<Path> pilots = Suite.pilots(CONFIG.resolve("suites/stress.conf"));
    assertFalse(pilots.isEmpty());
    pilots.forEach(Suite::load);
    Suite core = Suite.load(CONFIG.resolve("suites/stress-core.conf"));
    assertEquals("stress", core.name()); // shares the stress runs, which then skips them
    assertEquals(
        List.of("grpo-m8", "grpo-r3-m8", "grpo-m1", "grpo-r3-m1"),
        core.experiments().stream().map(Suite.Entry::name).toList());
  }

  @Test
  void experimentsTheLabelCannotTellApart_areNamed_othersKeepTheirLabel() {
    Suite cb = Suite.load(CONFIG.resolve("suites/cb-check.conf")); // differ in max-batch-rows only
    java.util.Map<String, ExperimentLabel> labels = new java.util.LinkedHashMap<>();
    for (Suite.Entry e : cb.experiments()) {
      labels.put(e.name(), ExperimentLabel.of(e.name(), e.config(), cb.setsFor(e)));
    }
    labels.put("grpo-m8", new ExperimentLabel("GRPO", "M=8", 8));

    var distinct = ExperimentLabel.distinct(labels);

    assertEquals("GRPO+TIS+R3 (cb-on-64)", distinct.get("cb-on-64").method());
    assertEquals("GRPO+TIS+R3 (cb-off)", distinct.get("cb-off").method());
    assertEquals(labels.get("cb-off").setting(), distinct.get("cb-off").setting());
    assertEquals(labels.get("grpo-m8"), distinct.get("grpo-m8"));
    assertEquals(List.copyOf(labels.keySet()), List.copyOf(distinct.keySet()));
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
