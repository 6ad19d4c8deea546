package dev.r3.actors.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.typesafe.config.ConfigFactory;
import dev.r3.actors.config.R3Config;
import dev.r3.actors.djl.CheckpointFiles;
import dev.r3.actors.djl.ModelSizes;
import dev.r3.actors.ports.Backends;
import dev.r3.actors.run.MetricNames;
import dev.r3.actors.run.Resume;
import dev.r3.actors.run.Run;
import dev.r3.actors.run.RunFiles.RunSummary;
import dev.r3.actors.run.RunStatus;
import dev.r3.actors.testkit.EchoTask;
import dev.r3.actors.testkit.Fixtures;
import dev.r3.model.ModelWeights;
import dev.r3.model.RolloutPrecision;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The monitor of a real run (tiny DJL MoE, echo task, real checkpoints), over real HTTP: the
 * Prometheus scrape carries the one vocabulary ({@link MetricNames}) and nothing of the old
 * dialect, and a resumed run's monitor shows the steps its run folder logged before.
 */
class MonitorRunTest {
  static final ModelWeights INIT = ModelWeights.random(ModelSizes.of("tiny", EchoTask.VOCAB), 5);
  static final HttpClient HTTP = HttpClient.newHttpClient();

  /** Names the pipeline exported before the one vocabulary (Kamon {@code r3.buffer.size}, ...). */
  static final List<String> OLD_PREFIXES =
      List.of("r3_buffer_", "r3_learner_", "r3_rollout_tokens", "r3_rollout_trajectories");

  @TempDir Path tmp;

  @BeforeAll
  static void kamon() {
    // As ./r3 train does (Metrics.start), with a faster tick than the run's 5 s.
    kamon.Kamon.initWithoutAttaching(
        ConfigFactory.parseString("kamon.metric.tick-interval = 1s")
            .withFallback(ConfigFactory.load()));
  }

  static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  R3Config config(int port) {
    return Fixtures.config(
        tmp,
        "r3.monitor.port=" + port,
        "r3.experiment.total-steps=100000", // interrupted by the test, never finished
        "r3.rollout.workers=1",
        "r3.rollout.group-size=4",
        "r3.learner.batch-groups=2",
        "r3.learner.mini-steps=2",
        "r3.learner.staleness=0",
        "r3.learner.lr=0.01",
        "r3.eval.every=2",
        "r3.eval.size=8",
        "r3.checkpoint.every=40",
        "r3.algorithm.dynamic-sampling=off",
        "r3.timeouts.generate=60s",
        "r3.watchdog.stall-timeout=60s");
  }

  static Backends djl() {
    return Fixtures.djlEcho(RolloutPrecision.BF16, CheckpointFiles.writer(), INIT);
  }

  static String get(String url) throws Exception {
    return HTTP.send(
            HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }

  /** The metric families of a Prometheus text scrape ({@code # TYPE family type} lines). */
  static Set<String> families(String scrape) {
    return scrape
        .lines()
        .filter(l -> l.startsWith("# TYPE "))
        .map(l -> l.split(" ")[2])
        .collect(Collectors.toCollection(TreeSet::new));
  }

  static void await(Duration limit, java.util.concurrent.Callable<Boolean> done) throws Exception {
    long end = System.nanoTime() + limit.toNanos();
    while (!done.call()) {
      if (System.nanoTime() > end) {
        throw new AssertionError("not within " + limit);
      }
      Thread.sleep(200);
    }
  }

  @Test
  void liveRun_exportsOnlyTheVocabulary_andItsResumeShowsTheEarlierSteps() throws Exception {
    Path dir = tmp.resolve("run");
    R3Config c = config(freePort());
    Run run = Run.start(c, djl(), dir);
    long stoppedAt;
    try {
      String url = run.monitorUrl().get(30, TimeUnit.SECONDS);
      // Kamon publishes on its tick: wait for the step, actor and rollout series (Kamon's registry
      // is the JVM's: other tests may have published some of them already).
      List<String> expected =
          List.of(
              "r3_step",
              "r3_reward_mean",
              "r3_losses_pg_loss",
              "r3_losses_approx_kl",
              "r3_mismatch_kl",
              "r3_routing_disagreement_layer",
              "r3_ledger_produced",
              "r3_actor_restarts",
              "r3_actor_processing_seconds",
              "r3_actor_mailbox",
              "r3_actor_in_flight",
              "r3_rollout_routing_bytes");
      String[] scrape = {""};
      await(
          Duration.ofSeconds(90),
          () -> {
            scrape[0] = get(url + "metrics");
            return families(scrape[0]).containsAll(expected)
                && scrape[0].contains("actor=\"/user/learner\"");
          });
      Set<String> r3 =
          families(scrape[0]).stream()
              .filter(f -> f.startsWith("r3_"))
              .collect(Collectors.toCollection(TreeSet::new));
      assertThat(r3)
          .as("every r3_ family on /metrics is a name of MetricNames.ALL")
          .allMatch(MetricNames::isVocabularyFamily);
      assertThat(r3)
          .as("no name of the old dialect")
          .noneMatch(f -> OLD_PREFIXES.stream().anyMatch(f::startsWith));
      await(
          Duration.ofSeconds(60),
          () -> Files.readAllLines(dir.resolve("metrics.jsonl")).size() >= 3);
    } finally {
      run.interrupt("MonitorRunTest: resume it");
      RunSummary stopped = run.await(Duration.ofSeconds(120));
      assertThat(stopped.status()).isEqualTo(RunStatus.INTERRUPTED);
      stoppedAt = stopped.steps();
    }
    assertThat(stoppedAt).isGreaterThanOrEqualTo(3);

    // The resumed run's monitor starts with the steps and evaluations logged before.
    R3Config again = config(freePort());
    Run resumed = Run.start(again, djl(), dir, Resume.load(dir, again, INIT, false));
    try {
      String url = resumed.monitorUrl().get(30, TimeUnit.SECONDS);
      JsonObject m = JsonParser.parseString(get(url + "api/metrics?since=0")).getAsJsonObject();
      JsonArray rows = m.getAsJsonArray("rows");
      assertThat(rows.size()).isGreaterThanOrEqualTo((int) stoppedAt);
      for (int i = 0; i < stoppedAt; i++) {
        assertThat(rows.get(i).getAsJsonObject().get("step").getAsLong()).isEqualTo(i + 1);
      }
      assertThat(rows.get(0).getAsJsonObject().has("reward/mean")).isTrue();
      assertThat(m.getAsJsonArray("evals").get(0).getAsJsonObject().get("version").getAsLong())
          .isZero();
      JsonObject state = JsonParser.parseString(get(url + "api/state")).getAsJsonObject();
      assertThat(state.getAsJsonObject("run").get("resumed_from_step").getAsLong())
          .isEqualTo(stoppedAt);
      assertThat(state.getAsJsonObject("run").get("step").getAsLong())
          .isGreaterThanOrEqualTo(stoppedAt);
    } finally {
      resumed.interrupt("MonitorRunTest done");
      resumed.await(Duration.ofSeconds(120));
    }
  }
}
