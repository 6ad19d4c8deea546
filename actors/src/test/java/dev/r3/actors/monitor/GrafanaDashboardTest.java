package dev.r3.actors.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.typesafe.config.ConfigFactory;
import dev.r3.actors.learning.DropReason;
import dev.r3.actors.learning.LedgerCounts;
import dev.r3.actors.learning.RolloutCounters;
import dev.r3.actors.learning.StepReport;
import dev.r3.actors.learning.StepStats;
import dev.r3.actors.run.StepRow;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** deploy/grafana/r3-dashboard.json queries only series the monitor's /metrics exports. */
class GrafanaDashboardTest {
  static final Path DASHBOARD = Path.of("..", "deploy", "grafana", "r3-dashboard.json");
  static final Pattern SERIES = Pattern.compile("\\br3_[a-z0-9_]+");
  static final ActorTestKit kit = ActorTestKit.create();

  @BeforeAll
  static void kamon() {
    kamon.Kamon.initWithoutAttaching(ConfigFactory.load()); // as ./r3 train does
  }

  @AfterAll
  static void down() {
    kit.shutdownTestKit();
  }

  static Set<String> queried() throws Exception {
    JsonObject d = JsonParser.parseString(Files.readString(DASHBOARD)).getAsJsonObject();
    Set<String> out = new TreeSet<>();
    for (JsonElement p : d.getAsJsonArray("panels")) {
      JsonObject panel = p.getAsJsonObject();
      if (!panel.has("targets")) {
        continue;
      }
      for (JsonElement t : panel.getAsJsonArray("targets")) {
        Matcher m = SERIES.matcher(t.getAsJsonObject().get("expr").getAsString());
        while (m.find()) {
          out.add(m.group());
        }
      }
    }
    return out;
  }

  /** A step as the learner reports it, every measure present. */
  static StepReport step() {
    var diagnostics = new LinkedHashMap<String, Double>();
    diagnostics.put("losses/pg_loss", -0.01);
    diagnostics.put("losses/approx_kl", 1e-4);
    diagnostics.put("losses/clip_frac", 0.02);
    diagnostics.put("mismatch/kl", 2e-4);
    diagnostics.put("mismatch/extreme_2", 1e-3);
    diagnostics.put("routing/disagreement", 0.01);
    diagnostics.put("routing/disagreement/layer_0", 0.02);
    diagnostics.put("routing/disagreement/layer_1", 0.0);
    StepStats s =
        new StepStats(
            2, 16, 64, 0.5, 0.5, 2e-4, 1e-3, 0.01, 0.1, 1.5, 0.02, 0.5, 1, 0.2, diagnostics);
    long[] dropped = new long[DropReason.values().length];
    dropped[DropReason.STALE.ordinal()] = 3;
    return new StepReport(
        7, 7, s, new LedgerCounts(40, 32, 0, 5, dropped), 900, 1200, 0.6, RolloutCounters.NONE);
  }

  @Test
  void everySeriesTheDashboardQueries_isExported() throws Exception {
    Set<String> queried = queried();
    assertThat(queried).contains("r3_reward_mean", "r3_routing_disagreement_layer");
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    CompletableFuture<String> url = new CompletableFuture<>();
    ActorRef<Monitor.Command> monitor =
        kit.spawn(Monitor.create(new MonitorSettings(port, "127.0.0.1", ""), url));
    String base = url.get(20, TimeUnit.SECONDS);
    monitor.tell(new Monitor.StepLogged(StepRow.of(step())));
    var evalRow = new LinkedHashMap<String, Object>();
    evalRow.put("step", 7L);
    evalRow.put("eval/accuracy", 0.4);
    monitor.tell(new Monitor.EvalLogged(evalRow));
    // One supervised actor that fails once: the actor series, failures included.
    ActorRef<String> a =
        kit.spawn(
            Behaviors.supervise(new Supervised(monitor).report("rollout", MonitorTest.fragile()))
                .onFailure(SupervisorStrategy.restart()),
            "dashboard-worker");
    a.tell("hello");
    a.tell("boom");
    a.tell("hello");

    HttpClient http = HttpClient.newHttpClient();
    TestProbe<Object> probe = kit.createTestProbe();
    probe.awaitAssert(
        Duration.ofSeconds(25),
        Duration.ofSeconds(1),
        () -> {
          String scrape =
              http.send(
                      HttpRequest.newBuilder(URI.create(base + "metrics")).build(),
                      HttpResponse.BodyHandlers.ofString())
                  .body();
          Set<String> exported = new TreeSet<>();
          Matcher m = Pattern.compile("(?m)^(r3_[a-z0-9_]+)").matcher(scrape);
          while (m.find()) {
            exported.add(m.group(1));
          }
          assertThat(exported).as("exported series").containsAll(queried);
          return null;
        });
    kit.stop(monitor);
  }
}
