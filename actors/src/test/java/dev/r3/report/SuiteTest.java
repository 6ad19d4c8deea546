package dev.r3.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SuiteTest {
  @TempDir Path tmp;

  @BeforeEach
  void experiments() {
    Fixtures.write(tmp.resolve("config/experiments/a.conf"), "r3.learner.mini-steps = 8\n");
    Fixtures.write(tmp.resolve("config/experiments/b.conf"), "r3.learner.mini-steps = 1\n");
  }

  private Suite load(String body) {
    Path f = tmp.resolve("config/suites/s.conf");
    Fixtures.write(f, body);
    return Suite.load(f);
  }

  @Test
  void minimalSuite_takesDefaults() {
    Suite s = load("suite { experiments = [\"experiments/a.conf\"] }");
    assertEquals("s", s.name());
    assertEquals(List.of(1L), s.seeds());
    assertEquals(tmp.resolve("config/experiments/a.conf"), s.experiments().get(0).config());
    assertEquals("a", s.experiments().get(0).name());
    assertEquals(Suite.DEFAULT_JVM_OPTIONS, s.jvmOptions());
    assertEquals(Duration.ZERO, s.runTimeout());
    assertEquals(Suite.MismatchStep.OFF, s.mismatch());
    assertEquals(1, s.jobs(2));
    assertEquals(4, s.jobs(8));
    assertEquals(1, s.jobs(1));
  }

  @Test
  void fullSuite_isRead() {
    Suite s =
        load(
            """
        suite {
          name = q
          seeds = [3, 5]
          parallelism = 2
          run-timeout = 90s
          set = ["r3.experiment.total-steps=5"]
          experiments = [
            "experiments/a.conf"
            { config = "experiments/b.conf", name = b-fp8, set = ["r3.rollout.precision=fp8"] }
          ]
          collapse { window-steps = 7 }
          mismatch { enabled = on, args = ["--quick"] }
        }
        """);
    assertEquals(new Suite.MismatchStep(true, List.of("--quick")), s.mismatch());
    assertEquals("q", s.name());
    assertEquals(List.of(3L, 5L), s.seeds());
    assertEquals(2, s.jobs(16));
    assertEquals(Duration.ofSeconds(90), s.runTimeout());
    assertEquals("b-fp8", s.experiments().get(1).name());
    assertEquals(
        List.of("r3.experiment.total-steps=5", "r3.rollout.precision=fp8"),
        s.setsFor(s.experiments().get(1)));
    assertEquals(7, s.collapse().windowSteps());
    assertEquals(0.5, s.collapse().fraction());
    assertEquals(
        Path.of("runs").toAbsolutePath().resolve("q/b-fp8/seed-5"),
        s.seedDir(s.experiments().get(1), 5));
  }

  @Test
  void seedsCount_andOverride() {
    Suite s = load("suite { seeds = 3, experiments = [\"experiments/a.conf\"] }");
    assertEquals(List.of(1L, 2L, 3L), s.seeds());
    assertEquals(List.of(1L, 2L), s.withSeeds(2).seeds());
  }

  @Test
  void mistakes_failWithAClearMessage() {
    assertTrue(
        assertThrows(
                IllegalArgumentException.class,
                () -> load("suite { experiments = [\"experiments/missing.conf\"] }"))
            .getMessage()
            .contains("missing.conf"));
    assertTrue(
        assertThrows(
                IllegalArgumentException.class,
                () ->
                    load(
                        "suite { experiments = [\"experiments/a.conf\", \"experiments/a.conf\"] }"))
            .getMessage()
            .contains("twice"));
    assertThrows(IllegalArgumentException.class, () -> load("suite { }"));
    assertThrows(IllegalArgumentException.class, () -> load("r3 { }"));
    assertThrows(
        IllegalArgumentException.class,
        () -> load("suite { set = [\"no-equals\"], experiments = [\"experiments/a.conf\"] }"));
    assertThrows(IllegalArgumentException.class, () -> Suite.load(tmp.resolve("nope.conf")));
  }

  @Test
  void unknownSuiteKey_namesLineAndClosestKey() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                load("suite {\n  experiments = [\"experiments/a.conf\"]\n  parallelizm = 2\n}\n"));
    assertTrue(
        e.getMessage().contains("s.conf line 3: unknown key suite.parallelizm"), e.getMessage());
    assertTrue(e.getMessage().contains("did you mean suite.parallelism?"), e.getMessage());
  }

  @Test
  void unknownKeyInSetOrExperiment_failsAtLoad() {
    IllegalArgumentException set =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                load(
                    "suite {\n  experiments = [\"experiments/a.conf\"]\n"
                        + "  set = [\"r3.learner.ministeps=2\"]\n}\n"));
    assertTrue(set.getMessage().contains("s.conf line 3"), set.getMessage());
    assertTrue(set.getMessage().contains("did you mean r3.learner.mini-steps?"), set.getMessage());
    Fixtures.write(tmp.resolve("config/experiments/c.conf"), "r3.learner.mini-step = 8\n");
    IllegalArgumentException exp =
        assertThrows(
            IllegalArgumentException.class,
            () -> load("suite { experiments = [\"experiments/c.conf\"] }"));
    assertTrue(
        exp.getMessage().contains("c.conf line 1: unknown key r3.learner.mini-step"),
        exp.getMessage());
  }
}
