package dev.r3.actors.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.typesafe.config.ConfigFactory;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The monitor's HTTP server, over real HTTP on loopback. */
class MonitorServerTest {
  static final ActorTestKit kit = ActorTestKit.create();
  static final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @org.junit.jupiter.api.BeforeAll
  static void kamon() {
    // As ./r3 train does (Metrics.start): Kamon's modules tick only once it is initialised.
    kamon.Kamon.initWithoutAttaching(ConfigFactory.load());
  }

  @AfterAll
  static void down() {
    kit.shutdownTestKit();
  }

  static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  record Started(ActorRef<Monitor.Command> monitor, String url) {}

  static Started start(MonitorSettings s) throws Exception {
    CompletableFuture<String> url = new CompletableFuture<>();
    ActorRef<Monitor.Command> m = kit.spawn(Monitor.create(s, url));
    return new Started(m, url.get(20, TimeUnit.SECONDS));
  }

  static HttpResponse<String> get(String url, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10));
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static Map<String, Object> row(long step) {
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("step", step);
    r.put("reward/mean", 0.25);
    r.put("routing/disagreement/layer_1", 0.125);
    r.put("ledger/produced", 32L);
    return r;
  }

  @Test
  void servesPageApiAndPrometheus_onLoopback() throws Exception {
    int port = freePort();
    Started s = start(new MonitorSettings(port, "127.0.0.1", ""));
    assertThat(s.url()).isEqualTo("http://127.0.0.1:" + port + "/");
    s.monitor().tell(new Monitor.RunStarted("exp", "/tmp/run", 3, List.of()));
    s.monitor().tell(new Monitor.StepLogged(row(1)));
    s.monitor().tell(new Monitor.StepLogged(row(2)));

    HttpResponse<String> page = get(s.url());
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.body()).contains("uPlot.min.js").contains("monitor.js");
    assertThat(get(s.url() + "uPlot.min.js").body()).contains("uPlot");
    assertThat(get(s.url() + "uPlot.LICENSE").body()).contains("MIT");

    JsonObject state = JsonParser.parseString(get(s.url() + "api/state").body()).getAsJsonObject();
    assertThat(state.getAsJsonObject("run").get("name").getAsString()).isEqualTo("exp");
    assertThat(state.getAsJsonObject("ledger").get("produced").getAsLong()).isEqualTo(32);
    JsonObject m =
        JsonParser.parseString(get(s.url() + "api/metrics?since=1").body()).getAsJsonObject();
    assertThat(m.getAsJsonArray("rows")).hasSize(1);
    HttpResponse<String> bad = get(s.url() + "api/metrics?since=yesterday");
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(bad.body()).contains("since").contains("yesterday");
    assertThat(get(s.url() + "api/nothing").statusCode()).isEqualTo(404);

    // Kamon publishes on its tick: the step's numbers appear under the r3_ names.
    TestProbe<Object> probe = kit.createTestProbe();
    probe.awaitAssert(
        Duration.ofSeconds(20),
        Duration.ofMillis(500),
        () -> {
          String prom = get(s.url() + "metrics").body();
          assertThat(prom).contains("r3_reward_mean 0.25");
          assertThat(prom).contains("r3_routing_disagreement_layer{layer=\"1\"} 0.125");
          return null;
        });
    kit.stop(s.monitor());
  }

  @Test
  void portInUse_fallsBackToAFreePort() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
      Started s = start(new MonitorSettings(taken.getLocalPort(), "127.0.0.1", ""));
      assertThat(s.url())
          .startsWith("http://127.0.0.1:")
          .doesNotContain(":" + taken.getLocalPort());
      assertThat(get(s.url() + "api/state").statusCode()).isEqualTo(200);
      kit.stop(s.monitor());
    }
  }

  @Test
  void withToken_everyRequestMustCarryIt() throws Exception {
    Started s = start(new MonitorSettings(freePort(), "127.0.0.1", "s3cret"));
    String base = s.url().replace("?token=TOKEN", "");
    assertThat(get(base + "api/state").statusCode()).isEqualTo(401);
    assertThat(get(base).statusCode()).isEqualTo(401);
    assertThat(get(base + "api/state", "Authorization", "Bearer wrong").statusCode())
        .isEqualTo(401);
    assertThat(get(base + "api/state", "Authorization", "Bearer s3cret").statusCode())
        .isEqualTo(200);
    assertThat(get(base + "?token=s3cret").statusCode()).isEqualTo(200);
    kit.stop(s.monitor());
  }

  @Test
  void nonLoopbackHost_withoutToken_isRefusedAtStart() {
    var conf =
        ConfigFactory.parseString("r3.monitor { port = 8265, host = \"0.0.0.0\", token = \"\" }")
            .withFallback(ConfigFactory.defaultReference())
            .resolve();
    assertThatThrownBy(() -> MonitorSettings.from(conf))
        .hasMessageContaining("r3.monitor.token")
        .hasMessageContaining("0.0.0.0");
  }

  @Test
  void events_streamsMetricsRowsAndState() throws Exception {
    Started s = start(new MonitorSettings(freePort(), "127.0.0.1", ""));
    s.monitor().tell(new Monitor.RunStarted("exp", "/tmp/run", 3, List.of()));
    s.monitor().tell(new Monitor.StepLogged(row(1)));
    HttpRequest req =
        HttpRequest.newBuilder(URI.create(s.url() + "api/events"))
            .header("Accept", "text/event-stream")
            .build();
    HttpResponse<java.io.InputStream> resp =
        http.send(req, HttpResponse.BodyHandlers.ofInputStream());
    assertThat(resp.headers().firstValue("content-type").orElse(""))
        .startsWith("text/event-stream");
    List<String> events = new ArrayList<>();
    try (BufferedReader r =
        new BufferedReader(new InputStreamReader(resp.body(), StandardCharsets.UTF_8))) {
      String line;
      String type = null;
      String data = null;
      boolean sentSecond = false;
      while ((line = r.readLine()) != null && events.size() < 8) {
        if (line.startsWith("event:")) {
          type = line.substring(6).trim();
        } else if (line.startsWith("data:")) {
          data = line.substring(5);
        } else if (line.isEmpty() && type != null) { // end of one event
          events.add(type);
          if (type.equals("metrics")) {
            JsonObject m = JsonParser.parseString(data).getAsJsonObject();
            long step = m.getAsJsonArray("rows").get(0).getAsJsonObject().get("step").getAsLong();
            events.add("row " + step);
            if (!sentSecond) {
              s.monitor().tell(new Monitor.StepLogged(row(2)));
              sentSecond = true;
            }
          }
          type = null;
        }
      }
    }
    assertThat(events).contains("state", "row 1", "row 2");
    assertThat(events.indexOf("row 1")).isLessThan(events.indexOf("row 2"));
    kit.stop(s.monitor());
  }

  /** The Kamon modules this JVM has registered for monitor servers. */
  static List<String> monitorReporters() {
    return scala.jdk.javaapi.CollectionConverters.asJava(
            kamon.Kamon.status().moduleRegistry().modules())
        .stream()
        .map(kamon.status.Status.Module::name)
        .filter(n -> n.startsWith("r3-monitor-prometheus"))
        .toList();
  }

  static boolean free(int port) {
    try (ServerSocket s = new ServerSocket(port, 50, java.net.InetAddress.getLoopbackAddress())) {
      return true;
    } catch (java.io.IOException e) {
      return false;
    }
  }

  @Test
  void twoMonitorsInOneJvm_eachScrapeCarriesTheRun() throws Exception {
    Started a = start(new MonitorSettings(freePort(), "127.0.0.1", ""));
    Started b = start(new MonitorSettings(freePort(), "127.0.0.1", ""));
    a.monitor().tell(new Monitor.StepLogged(row(1)));
    TestProbe<Object> probe = kit.createTestProbe();
    probe.awaitAssert(
        Duration.ofSeconds(20),
        Duration.ofMillis(500),
        () -> {
          assertThat(get(a.url() + "metrics").body()).contains("r3_reward_mean 0.25");
          assertThat(get(b.url() + "metrics").body()).contains("r3_reward_mean 0.25");
          return null;
        });
    kit.stop(a.monitor());
    kit.stop(b.monitor());
  }

  @Test
  void aMonitorStoppedBeforeItsServerBinds_releasesThePortAndTheReporter() throws Exception {
    int port = freePort();
    ActorRef<Monitor.Command> m =
        kit.spawn(
            Monitor.create(new MonitorSettings(port, "127.0.0.1", ""), new CompletableFuture<>()));
    kit.stop(m); // before the bind completes, in all likelihood
    TestProbe<Object> probe = kit.createTestProbe();
    probe.awaitAssert(
        Duration.ofSeconds(20),
        Duration.ofMillis(200),
        () -> {
          assertThat(free(port)).as("port %d released", port).isTrue();
          assertThat(monitorReporters()).isEmpty();
          return null;
        });
    // and stays released: the late bind does not take it afterwards
    Thread.sleep(1000);
    assertThat(free(port)).as("port %d still released", port).isTrue();
    assertThat(monitorReporters()).isEmpty();
  }
}
