package dev.r3.env;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An environment that lives outside this module: compiled from source at test time into a jar that
 * is not on the class path, then found by its configured name alone.
 */
class PluginLoadingTest {
  private static final String PLUGIN_SOURCE =
      """
            package demo.plugin;

            import dev.r3.env.*;
            import java.util.*;

            public final class EchoProvider implements EnvironmentProvider {
                public String name() { return "echo-plugin"; }
                public String description() { return "repeat the number"; }
                public List<ParamSpec> parameters() {
                    return List.of(ParamSpec.integer("max", 100, 2, 1000, "numbers below max"));
                }
                public Environment create(Map<String, String> raw) {
                    int max = Params.parse(name(), raw, parameters()).getInt("max");
                    return new Environment() {
                        public String name() { return "echo-plugin"; }
                        public String description() { return "repeat the number"; }
                        public boolean multiTurn() { return false; }
                        public int maxTurns() { return 1; }
                        public int maxTokensPerTurn() { return 8; }
                        public TaskSpec task(long seed, Split split) {
                            String n = Long.toString(Math.floorMod(seed, (long) max));
                            return new TaskSpec(name(), split, seed, "echo " + n + "=", n, "");
                        }
                        public RewardFunction reward() {
                            return (t, c) -> c.strip().equals(t.expected())
                                    ? Outcome.correct(c.strip()) : Outcome.zero(c, Reasons.WRONG_ANSWER, "");
                        }
                        public Optional<List<String>> oracle(TaskSpec t) { return Optional.of(List.of(t.expected())); }
                        public Episode start(TaskSpec t) {
                            return new Episode() {
                                Outcome outcome;
                                public TaskSpec task() { return t; }
                                public String firstObservation() { return t.prompt(); }
                                public Turn step(String out) {
                                    outcome = reward().score(t, out);
                                    return new Turn.Done(outcome);
                                }
                                public Optional<Outcome> outcome() { return Optional.ofNullable(outcome); }
                            };
                        }
                    };
                }
            }
            """;

  @TempDir static Path dir;
  static Path jar;

  @BeforeAll
  static void buildPluginJar() throws Exception {
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    assumeTrue(javac != null, "needs a JDK with javax.tools");
    Path src = dir.resolve("src/demo/plugin/EchoProvider.java");
    Files.createDirectories(src.getParent());
    Files.writeString(src, PLUGIN_SOURCE);
    Path classes = Files.createDirectories(dir.resolve("classes"));
    // The SPI types come from this module's compiled classes.
    String spi =
        Path.of(Environment.class.getProtectionDomain().getCodeSource().getLocation().toURI())
            .toString();
    int rc =
        javac.run(
            null,
            null,
            null,
            "-d",
            classes.toString(),
            "-classpath",
            spi,
            "--release",
            "17",
            src.toString());
    assertThat(rc).as("plugin compiles").isZero();
    jar = dir.resolve("echo-plugin.jar");
    try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar));
        Stream<Path> files = Files.walk(classes)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        add(out, classes.relativize(f).toString().replace('\\', '/'), Files.readAllBytes(f));
      }
      add(
          out,
          "META-INF/services/dev.r3.env.EnvironmentProvider",
          "demo.plugin.EchoProvider\n".getBytes(StandardCharsets.UTF_8));
    }
  }

  private static void add(JarOutputStream out, String name, byte[] bytes) throws IOException {
    out.putNextEntry(new JarEntry(name));
    out.write(bytes);
    out.closeEntry();
  }

  private static URLClassLoader loader(Path... jars) throws IOException {
    URL[] urls = new URL[jars.length];
    for (int i = 0; i < jars.length; i++) {
      urls[i] = jars[i].toUri().toURL();
    }
    return new URLClassLoader(urls, PluginLoadingTest.class.getClassLoader());
  }

  @Test
  void plugin_isNotVisibleWithoutItsJar() {
    assertThat(Environments.names()).doesNotContain("echo-plugin");
  }

  @Test
  void pluginJar_isFoundByNameAlone() throws Exception {
    try (URLClassLoader cl = loader(jar)) {
      Environment env = Environments.create("echo-plugin", Map.of("max", "50"), cl);
      assertThat(env.getClass().getClassLoader()).isSameAs(cl);
      Episode e = env.start(7, Split.TRAIN);
      assertThat(e.firstObservation()).isEqualTo("echo 7=");
      assertThat(((Turn.Done) e.step("7")).outcome().reward()).isEqualTo(1.0);
      // built-ins stay visible through the same loader
      assertThat(Environments.names(cl)).contains("echo-plugin", "add", "calc");
      assertThat(Environments.list(cl)).extracting(EnvInfo::name).contains("echo-plugin");
    }
  }

  @Test
  void pluginJar_onContextClassLoader_isFoundByConfiguredName() throws Exception {
    Thread t = Thread.currentThread();
    ClassLoader before = t.getContextClassLoader();
    try (URLClassLoader cl = loader(jar)) {
      t.setContextClassLoader(cl);
      Environment env = Environments.create("echo-plugin", Map.of());
      assertThat(env.sftCorpus(3, 1)).hasSize(3); // the default SFT corpus works through the oracle
      assertThat(EnvShow.render("echo-plugin", 42)).contains("reward    1.0 (correct)");
    } finally {
      t.setContextClassLoader(before);
    }
  }

  @Test
  void pluginParameters_areCheckedLikeBuiltins() throws Exception {
    try (URLClassLoader cl = loader(jar)) {
      assertThatThrownBy(() -> Environments.create("echo-plugin", Map.of("max", "1"), cl))
          .isInstanceOf(EnvConfigException.class)
          .hasMessageContaining("'max'")
          .hasMessageContaining("integer in [2, 1000]");
    }
  }

  @Test
  void brokenPlugin_doesNotHideOthers_andIsReported() throws Exception {
    Path broken = dir.resolve("broken.jar");
    try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(broken))) {
      add(
          out,
          "META-INF/services/dev.r3.env.EnvironmentProvider",
          "demo.plugin.DoesNotExist\n".getBytes(StandardCharsets.UTF_8));
    }
    try (URLClassLoader cl = loader(broken, jar)) {
      assertThat(Environments.names(cl)).contains("echo-plugin", "add");
      assertThatThrownBy(() -> Environments.create("nope", Map.of(), cl))
          .isInstanceOf(EnvConfigException.class)
          .hasMessageContaining("echo-plugin")
          .hasMessageContaining("DoesNotExist");
    }
  }

  @Test
  void nameClaimedTwice_isRejectedNamingBothProviders() throws Exception {
    // A plugin that claims a built-in name must not silently replace or shadow it.
    Path clash = dir.resolve("clash.jar");
    Path classes = Files.createDirectories(dir.resolve("clash-classes"));
    Path src = dir.resolve("clash-src/demo/clash/AddClash.java");
    Files.createDirectories(src.getParent());
    Files.writeString(
        src,
        """
                package demo.clash;
                public final class AddClash implements dev.r3.env.EnvironmentProvider {
                    public String name() { return "add"; }
                    public String description() { return "another add"; }
                    public dev.r3.env.Environment create(java.util.Map<String, String> p) {
                        throw new UnsupportedOperationException();
                    }
                }
                """);
    String spi =
        Path.of(Environment.class.getProtectionDomain().getCodeSource().getLocation().toURI())
            .toString();
    assertThat(
            ToolProvider.getSystemJavaCompiler()
                .run(null, null, null, "-d", classes.toString(), "-classpath", spi, src.toString()))
        .isZero();
    try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(clash))) {
      add(
          out,
          "demo/clash/AddClash.class",
          Files.readAllBytes(classes.resolve("demo/clash/AddClash.class")));
      add(
          out,
          "META-INF/services/dev.r3.env.EnvironmentProvider",
          "demo.clash.AddClash\n".getBytes(StandardCharsets.UTF_8));
    }
    try (URLClassLoader cl = loader(clash)) {
      assertThatThrownBy(() -> Environments.create("add", Map.of(), cl))
          .isInstanceOf(EnvConfigException.class)
          .hasMessageContaining("several providers")
          .hasMessageContaining("demo.clash.AddClash")
          .hasMessageContaining("Builtins$Add");
      assertThat(Environments.create("mul", Map.of(), cl).name()).isEqualTo("mul");
    }
  }
}
