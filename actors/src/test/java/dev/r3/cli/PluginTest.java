package dev.r3.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.r3.actors.config.ConfigLoader;
import dev.r3.actors.config.R3Config;
import dev.r3.actors.djl.ProductionBackends;
import dev.r3.env.EnvConfigException;
import dev.r3.example.plugin.ParrotJar;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Environment plugins: a jar built here from the example provider (public SPI only, registered in
 * no services file on the class path) is found by name only with {@code --plugin}, listed by {@code
 * env list --plugin}, and trained for a few steps, also as a child run of {@code ./r3 compare
 * --plugin}; a missing or broken jar fails at start naming it, on a rollout node too. The first
 * test runs first: it shows the name unknown before any test loads the jar into this JVM.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PluginTest {
  @TempDir Path tmp;

  /** The example plugin's classes and its services entry, as a jar. */
  private Path pluginJar() throws IOException {
    return ParrotJar.write(tmp.resolve("parrot.jar"));
  }

  @Test
  @Order(1)
  void pluginJar_isListed_andTrainedByName_onlyWithPlugin() throws Exception {
    Path jar = pluginJar();
    String[] train = {
      "train",
      "--env",
      "parrot",
      "--set",
      "warm-start.enabled=off",
      "--set",
      "model.size=tiny",
      "--set",
      "experiment.total-steps=2",
      "--set",
      "experiment.progress-bar=off",
      "--set",
      "rollout.group-size=4",
      "--set",
      "learner.batch-groups=2",
      "--set",
      "algorithm.dynamic-sampling=off",
      "--set",
      "eval.size=8",
      "--set",
      "experiment.out-dir=" + tmp.resolve("runs")
    };
    CliRun without = CliRun.of(train);
    assertThat(without.code()).isNotZero();
    assertThat(without.err()).contains("unknown environment 'parrot'");

    CliRun list = CliRun.of("env", "list", "--plugin", jar.toString());
    assertThat(list.code()).isZero();
    assertThat(list.out()).contains("parrot");

    String[] withPlugin = new String[train.length + 2];
    System.arraycopy(train, 0, withPlugin, 0, train.length);
    withPlugin[train.length] = "--plugin";
    withPlugin[train.length + 1] = jar.toString();
    CliRun run = CliRun.of(withPlugin);
    assertThat(run.code()).as(run.err()).isZero();
    assertThat(run.out()).contains("2 steps");
  }

  @Test
  void missingOrBrokenJar_failsAtStart_namingIt() throws Exception {
    CliRun missing = CliRun.of("train", "--plugin", tmp.resolve("nope.jar").toString());
    assertThat(missing.code()).isNotZero();
    assertThat(missing.err()).contains("nope.jar").contains("does not exist");

    Path notAJar = tmp.resolve("text.jar");
    Files.writeString(notAJar, "hello");
    CliRun bad = CliRun.of("env", "list", "--plugin", notAJar.toString());
    assertThat(bad.code()).isNotZero();
    assertThat(bad.err()).contains("text.jar").contains("not a jar");

    Path broken = tmp.resolve("broken.jar");
    try (OutputStream f = Files.newOutputStream(broken);
        JarOutputStream out = new JarOutputStream(f)) {
      out.putNextEntry(new JarEntry("META-INF/services/dev.r3.env.EnvironmentProvider"));
      out.write("com.example.Missing\n".getBytes(StandardCharsets.UTF_8));
      out.closeEntry();
    }
    CliRun brk = CliRun.of("train", "--plugin", broken.toString());
    assertThat(brk.code()).isNotZero();
    assertThat(brk.err()).contains("broken.jar").contains("com.example.Missing");
  }

  @Test
  void compare_passesThePluginToItsChildRun_whichTrainsTheEnvironmentByName() throws Exception {
    Path jar = pluginJar();
    Path exp = tmp.resolve("config/experiments/parrot.conf");
    Files.createDirectories(exp.getParent());
    Files.writeString(
        exp,
        """
        r3 {
          env.name = parrot
          warm-start.enabled = off
          model.size = tiny
          experiment { total-steps = 2, progress-bar = off }
          rollout.group-size = 4
          learner.batch-groups = 2
          algorithm.dynamic-sampling = off
          eval.size = 8
        }
        """);
    Path suite = tmp.resolve("config/suites/p.conf");
    Files.createDirectories(suite.getParent());
    Path runs = tmp.resolve("runs");
    Files.writeString(
        suite,
        "suite { name = p, seeds = 1, jvm-options = [\"-Xmx1g\"], runs-dir = \""
            + runs
            + "\", experiments = [\"experiments/parrot.conf\"] }\n");

    CliRun missing =
        CliRun.of(
            "compare", "--suite", suite.toString(), "--plugin", tmp.resolve("nope.jar").toString());
    assertThat(missing.code()).isNotZero();
    assertThat(missing.err()).contains("nope.jar").contains("does not exist");
    assertThat(runs).doesNotExist(); // nothing started

    CliRun run =
        CliRun.of(
            "compare",
            "--suite",
            suite.toString(),
            "--plugin",
            jar.toString(),
            "--out",
            tmp.resolve("report").toString());
    assertThat(run.code()).as(run.err()).isZero();
    assertThat(run.err()).contains("1 of 1 runs finished");
    Path seed = runs.resolve("p/parrot/seed-1");
    assertThat(Files.readString(seed.resolve("run-config.json")))
        .as("the child recorded the jar with its run")
        .contains("parrot.jar");
  }

  @Test
  void aRolloutNodeWithoutTheRunsPluginJar_failsAtStartNamingIt() {
    R3Config c =
        ConfigLoader.load(
            null, List.of("r3.env.plugins=[\"" + tmp.resolve("elsewhere/parrot.jar") + "\"]"));
    assertThatThrownBy(() -> ProductionBackends.rollouts(c))
        .isInstanceOf(EnvConfigException.class)
        .hasMessageContaining("elsewhere/parrot.jar")
        .hasMessageContaining("does not exist");
  }
}
