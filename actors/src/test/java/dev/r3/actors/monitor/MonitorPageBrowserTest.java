package dev.r3.actors.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.r3.actors.config.R3Config;
import dev.r3.actors.djl.ModelSizes;
import dev.r3.actors.pipeline.RolloutWorker;
import dev.r3.actors.ports.Backends;
import dev.r3.actors.run.Run;
import dev.r3.actors.testkit.EchoTask;
import dev.r3.actors.testkit.Fixtures;
import dev.r3.model.ModelWeights;
import dev.r3.model.RolloutPrecision;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The monitor page in a real browser (headless Chromium through chromedriver, from the Debian
 * packages that {@code .ci/run} installs) during a real run of the tiny DJL MoE: the page loads
 * without console errors, the tree lists every pipeline actor, the curves gain points, and a
 * rollout worker the test kills shows its restart on the page within seconds. The screenshot goes
 * to {@code target/monitor-page.png}.
 */
class MonitorPageBrowserTest {
  static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

  @TempDir Path tmp;

  @Test
  void livePage_showsTreeCurvesAndAKilledWorkersRestart() throws Exception {
    assumeTrue(
        Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
        "needs chromium and chromium-driver (apt-get install chromium chromium-driver; .ci/run"
            + " installs them)");
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    R3Config c =
        Fixtures.config(
            tmp,
            "r3.monitor.port=" + port,
            "r3.experiment.total-steps=400",
            "r3.rollout.group-size=8",
            "r3.rollout.precision=bf16",
            "r3.rollout.workers=2",
            "r3.learner.batch-groups=2",
            "r3.learner.mini-steps=2",
            "r3.learner.staleness=1",
            "r3.learner.lr=0.01",
            "r3.eval.every=10",
            "r3.eval.size=20",
            "r3.checkpoint.every=0",
            "r3.timeouts.generate=60s",
            "r3.watchdog.stall-timeout=60s");
    ModelWeights init = ModelWeights.random(ModelSizes.of("tiny", EchoTask.VOCAB), 3);
    Backends b = Fixtures.djlEcho(RolloutPrecision.BF16, (dir, w, tokenizer, meta) -> {}, init);
    Run run = Run.start(c, b, tmp.resolve("run"));
    WebDriver driver = null;
    try {
      String url = run.monitorUrl().get(30, TimeUnit.SECONDS);
      assertThat(url).isEqualTo("http://127.0.0.1:" + port + "/");
      driver = chrome();
      driver.get(url);
      WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(60));

      // The supervision tree lists the whole pipeline.
      List<String> expected =
          List.of(
              "/user",
              "/user/learner",
              "/user/buffer",
              "/user/reward",
              "/user/watchdog",
              "/user/rollout-0",
              "/user/rollout-1",
              "/user/env-0",
              "/user/env-1");
      wait.until(d -> paths(d).containsAll(expected));
      assertThat(role(driver, "/user/rollout-0")).isEqualTo("rollout");
      assertThat(role(driver, "/user/env-1")).isEqualTo("environment");

      // Curves gain points between two reads.
      wait.until(d -> points(d, "reward/mean") >= 2);
      int before = points(driver, "reward/mean");
      wait.until(d -> points(d, "reward/mean") > before);

      // A killed rollout worker: its restart count rises on the page within seconds.
      assertThat(restarts(driver, "/user/rollout-1")).isZero();
      run.system()
          .classicSystem()
          .actorSelection("/user/rollout-1")
          .tell(
              new RolloutWorker.Restart("killed by MonitorPageBrowserTest"),
              org.apache.pekko.actor.ActorRef.noSender());
      new WebDriverWait(driver, Duration.ofSeconds(5))
          .until(d -> restarts(d, "/user/rollout-1") == 1);
      assertThat(rowText(driver, "/user/rollout-1")).contains("killed by MonitorPageBrowserTest");

      // Wait for a few more points and the routing heatmap, then keep a picture of the page.
      wait.until(d -> points(d, "reward/mean") >= before + 4);
      wait.until(d -> !d.findElements(By.cssSelector("#heatmap table")).isEmpty());
      Path shot =
          ((org.openqa.selenium.TakesScreenshot) driver).getScreenshotAs(OutputType.FILE).toPath();
      Path out = Path.of("target", "monitor-page.png");
      Files.createDirectories(out.getParent());
      Files.copy(shot, out, StandardCopyOption.REPLACE_EXISTING);

      List<LogEntry> errors =
          driver.manage().logs().get(LogType.BROWSER).getAll().stream()
              .filter(e -> e.getLevel().intValue() >= Level.SEVERE.intValue())
              .toList();
      assertThat(errors).as("browser console errors").isEmpty();
    } finally {
      if (driver != null) {
        driver.quit();
      }
      run.interrupt("browser test done");
      try {
        run.done().get(60, TimeUnit.SECONDS);
      } catch (Exception ignored) {
        // an interrupted run ends with its own status; only its shutdown matters here
      }
    }
  }

  static WebDriver chrome() {
    ChromeOptions o = new ChromeOptions();
    o.setBinary(CHROMIUM.toFile());
    o.addArguments(
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1500,2300",
        "--hide-scrollbars");
    LoggingPreferences logs = new LoggingPreferences();
    logs.enable(LogType.BROWSER, Level.ALL);
    o.setCapability("goog:loggingPrefs", logs);
    ChromeDriverService service =
        new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile()).build();
    return new ChromeDriver(service, o);
  }

  // The page redraws its tables twice a second: read them in one script each (no stale elements).

  static Object js(WebDriver d, String script, Object... args) {
    return ((JavascriptExecutor) d).executeScript(script, args);
  }

  @SuppressWarnings("unchecked")
  static List<String> paths(WebDriver d) {
    return (List<String>)
        js(d, "return [...document.querySelectorAll('#actors tbody tr')].map(r => r.dataset.path)");
  }

  static String rowText(WebDriver d, String path) {
    return (String)
        js(
            d,
            "const r = document.querySelector(`#actors tr[data-path='${arguments[0]}']`);"
                + " return r ? r.innerText : '';",
            path);
  }

  static String role(WebDriver d, String path) {
    return (String)
        js(
            d,
            "const r = document.querySelector(`#actors tr[data-path='${arguments[0]}']`);"
                + " return r ? r.dataset.role : null;",
            path);
  }

  static int restarts(WebDriver d, String path) {
    Object n =
        js(
            d,
            "const r = document.querySelector(`#actors tr[data-path='${arguments[0]}'] td.restarts`);"
                + " return r ? r.textContent : '-1';",
            path);
    return Integer.parseInt(String.valueOf(n).trim());
  }

  static int points(WebDriver d, String metric) {
    Object n =
        js(
            d,
            "const c = document.querySelector(`.chart[data-metric='${arguments[0]}']`);"
                + " return c ? c.dataset.points : '0';",
            metric);
    return Integer.parseInt(String.valueOf(n));
  }
}
