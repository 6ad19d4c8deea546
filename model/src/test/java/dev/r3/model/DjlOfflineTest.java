package dev.r3.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * DJL must never download anything (DESIGN.md section 5): libtorch comes from the {@code
 * pytorch-native-cpu} jar, unpacked into ENGINE_CACHE_DIR, with {@code ai.djl.offline=true}.
 *
 * <p>The engine load is observed in a fresh JVM ({@link OfflineEngineCheck}), because in this test
 * JVM another test may already have loaded the engine, and the guards must be in place before the
 * first DJL class runs. The child gets the same class path and the same DJL settings as this JVM.
 */
class DjlOfflineTest {
  private static List<String> lines;
  private static String output;

  @TempDir static Path emptyCache;

  @BeforeAll
  static void runChildJvm() throws IOException, InterruptedException {
    output =
        runChild(System.getProperty("java.class.path"), System.getProperty("ENGINE_CACHE_DIR"));
    lines = checks(output);
  }

  /**
   * Runs {@link OfflineEngineCheck} in a fresh JVM with this JVM's DJL settings; returns its
   * output.
   */
  static String runChild(String classPath, String engineCacheDir)
      throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx512m");
    for (String key : List.of("ai.djl.offline", "DJL_CACHE_DIR", "ai.djl.default_engine")) {
      String v = System.getProperty(key);
      if (v != null) {
        cmd.add("-D" + key + "=" + v);
      }
    }
    cmd.add("-DENGINE_CACHE_DIR=" + engineCacheDir);
    cmd.add("-cp");
    cmd.add(classPath);
    cmd.add(OfflineEngineCheck.class.getName());
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("OMP_NUM_THREADS", "1");
    pb.environment()
        .remove("ENGINE_CACHE_DIR"); // DJL reads the environment before system properties
    pb.environment().remove("PYTORCH_LIBRARY_PATH");
    Process p = pb.start();
    byte[] out = p.getInputStream().readAllBytes();
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("child JVM finished").isTrue();
    String text = new String(out, StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as("child JVM exit status; output:\n%s", text).isZero();
    return text;
  }

  static List<String> checks(String text) {
    return text.lines().filter(l -> l.startsWith("R3CHECK ")).map(l -> l.substring(8)).toList();
  }

  /**
   * The class path entries of this JVM. Surefire starts tests with a manifest-only jar whose {@code
   * Class-Path} attribute lists the real entries; expand it.
   */
  static List<String> classPathEntries() throws IOException {
    List<String> entries = new ArrayList<>();
    for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
      if (e.endsWith(".jar")) {
        try (JarFile jar = new JarFile(e)) {
          Manifest mf = jar.getManifest();
          String cp = mf == null ? null : mf.getMainAttributes().getValue("Class-Path");
          if (cp != null && !cp.isBlank()) {
            URI base = Path.of(e).toUri();
            for (String u : cp.trim().split("\\s+")) {
              entries.add(Path.of(base.resolve(u)).toString());
            }
            continue;
          }
        }
      }
      entries.add(e);
    }
    return entries;
  }

  private static String value(String key) {
    return value(lines, output, key);
  }

  private static String value(List<String> lines, String output, String key) {
    return lines.stream()
        .filter(l -> l.startsWith(key + "="))
        .map(l -> l.substring(key.length() + 1))
        .findFirst()
        .orElseThrow(() -> new AssertionError("child reported no " + key + "; output:\n" + output));
  }

  private static List<String> values(String key) {
    return values(lines, key);
  }

  private static List<String> values(List<String> lines, String key) {
    return lines.stream()
        .filter(l -> l.startsWith(key + "="))
        .map(l -> l.substring(key.length() + 1))
        .toList();
  }

  @Test
  void buildRunsDjlOffline_withAProjectLocalCache() {
    assertThat(System.getProperty("ai.djl.offline")).isEqualTo("true");
    assertThat(System.getProperty("ENGINE_CACHE_DIR")).isNotBlank();
    assertThat(value("offlineProperty")).isEqualTo("true");
    assertThat(value("offlineMode")).isEqualTo("true");
  }

  @Test
  void engineLoads_withZeroNetworkAttempts() {
    assertThat(value("engine")).startsWith("PyTorch 2.7.1");
    assertThat(value("sum")).isEqualTo("4.0");
    assertThat(value("loadUrlEvents")).as("http(s) URLs parsed or opened while loading").isEmpty();
    assertThat(value("loadProxyEvents")).as("HTTP requests while loading").isEmpty();
  }

  @Test
  void libtorch_comesFromTheBundledJar_intoTheCacheDir() throws IOException {
    assertThat(value("bundledJar")).contains("pytorch-native-cpu").contains("linux-x86_64.jar!");
    String version = value("bundledVersion"); // e.g. 2.7.1-20250812-cpu-linux-x86_64
    assertThat(values("log")).anyMatch(l -> l.startsWith("Found bundled PyTorch package"));
    // /proc/self/maps shows real paths: resolve links in the configured cache dir too
    Path cache = Path.of(System.getProperty("ENGINE_CACHE_DIR")).toRealPath();
    List<String> mapped = values("mapped");
    assertThat(mapped).anyMatch(m -> m.endsWith("/libtorch_cpu.so"));
    assertThat(values("log"))
        .anyMatch(
            l ->
                l.startsWith("Using cache dir: ")
                    && Path.of(l.substring(17))
                        .startsWith(Path.of(System.getProperty("ENGINE_CACHE_DIR"))));
    for (String m : mapped) {
      Path lib = Path.of(m);
      assertThat(lib).startsWith(cache);
      assertThat(lib.getParent().getFileName().toString()).isEqualTo(version);
    }
  }

  @Test
  void guards_doCatchDjlsDownloadCall_andOtherHttpStacks() {
    // With offline mode switched off, DJL's own openUrl on the libtorch index reaches the guard.
    assertThat(value("controlOpenUrl"))
        .startsWith("refused: R3 offline guard refused https://publish.djl.ai/");
    assertThat(value("controlUrlEvents"))
        .contains("parse https://publish.djl.ai/pytorch/2.7.1/files.txt")
        .contains("connect https://publish.djl.ai/pytorch/2.7.1/files.txt");
    assertThat(value("controlHttpClient")).startsWith("refused");
    assertThat(value("controlProxyEvents")).contains("select https://publish.djl.ai/");
  }

  @Test
  void withoutTheBundledJar_djlReachesForTheNetwork_andTheGuardSeesIt() throws Exception {
    // Negative control: drop pytorch-native-cpu from the class path and start from an empty cache.
    // DJL then goes to its downloader; offline mode makes it fail, and the guard records the URL,
    // so
    // the zero-attempt assertion above would fail if the bundled jar ever stopped being used.
    List<String> entries = classPathEntries();
    assertThat(entries).anyMatch(e -> e.contains("pytorch-native-cpu"));
    String cp =
        entries.stream()
            .filter(e -> !e.contains("pytorch-native-cpu"))
            .collect(Collectors.joining(File.pathSeparator));
    String out = runChild(cp, emptyCache.toString());
    List<String> l = checks(out);
    assertThat(values(l, "engine")).as("engine must not load without libtorch").isEmpty();
    assertThat(value(l, out, "engineError")).isNotBlank();
    assertThat(value(l, out, "loadUrlEvents")).contains("parse https://publish.djl.ai/pytorch/");
  }
}
