package dev.r3.actors.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pekko Management on real cluster nodes: {@code r3 train --cluster} and {@code r3 node} as
 * separate JVMs on 127.0.0.1 form their cluster by Cluster Bootstrap (no seed node, no {@code
 * --join}) from config discovery listing both nodes' management endpoints (the code path deploy/k8s
 * takes with kubernetes-api discovery), and answer {@code /ready} and {@code /alive} over HTTP: the
 * learner is alive but not ready while the bootstrap waits for the second contact point, both are
 * ready once the cluster has formed and the rollout node's station is placed, and the run trains to
 * its end.
 */
class ClusterBootstrapTest {
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  @TempDir Path tmp;

  @Test
  void nodesWithoutSeeds_formTheClusterByBootstrap_andServeReadinessAndLiveness() throws Exception {
    Path run = tmp.resolve("run");
    Path logs = Path.of("target", "cluster-logs", "bootstrap").toAbsolutePath();
    Files.createDirectories(logs);
    int learnerPort = ClusterProcesses.freePort();
    int nodePort = ClusterProcesses.freePort();
    List<String> bootstrap =
        List.of(
            "r3.cluster.bootstrap.method=config",
            "r3.cluster.bootstrap.required-contact-points=2",
            "r3.cluster.bootstrap.contact-points=[\"127.0.0.1:"
                + learnerPort
                + "\",\"127.0.0.1:"
                + nodePort
                + "\"]");
    try (ClusterProcesses cluster = new ClusterProcesses(logs)) {
      List<String> learnerSets = new ArrayList<>(bootstrap);
      learnerSets.add("r3.cluster.management.port=" + learnerPort);
      Process learner = cluster.learner(1, 3, run, learnerSets);
      String l = "http://127.0.0.1:" + learnerPort;
      ClusterProcesses.await(
          "the learner's management endpoint",
          Duration.ofSeconds(60),
          () -> status(l + "/alive") == 200 || !learner.isAlive());
      assertThat(learner.isAlive()).as(cluster.output("learner")).isTrue();
      // Alone, the learner is no member: the bootstrap waits for the second contact point.
      assertThat(status(l + "/ready")).as(cluster.output("learner")).isNotEqualTo(200);
      assertThat(body(l + "/cluster/members")).contains("\"members\":[]");

      List<String> nodeSets = new ArrayList<>(bootstrap);
      nodeSets.add("r3.cluster.management.port=" + nodePort);
      Process node = cluster.bootstrappedNode("rollout-1", nodeSets);
      String n = "http://127.0.0.1:" + nodePort;
      ClusterProcesses.await(
          "both nodes ready",
          Duration.ofSeconds(90),
          () ->
              (status(l + "/ready") == 200 && status(n + "/ready") == 200)
                  || !learner.isAlive()
                  || !node.isAlive());
      assertThat(status(n + "/alive")).as(cluster.output("rollout-1")).isEqualTo(200);
      assertThat(cluster.output("learner")).contains("they join by cluster bootstrap");
      assertThat(cluster.output("rollout-1")).contains("cluster bootstrap: discovery config");

      assertThat(learner.waitFor(180, TimeUnit.SECONDS)).as(cluster.output("learner")).isTrue();
      assertThat(learner.exitValue()).as(cluster.output("learner")).isZero();
      assertThat(node.waitFor(60, TimeUnit.SECONDS)).as(cluster.output("rollout-1")).isTrue();
      assertThat(node.exitValue()).as(cluster.output("rollout-1")).isZero();
    }
    JsonObject s =
        JsonParser.parseString(Files.readString(run.resolve("summary.json"))).getAsJsonObject();
    assertThat(s.get("status").getAsString()).isEqualTo("finished");
    assertThat(s.get("steps").getAsLong()).isEqualTo(3);
  }

  /** The HTTP status of GET url, or -1 when nothing answers. */
  static int status(String url) {
    try {
      return HTTP.send(get(url), HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (java.io.IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  static String body(String url) throws Exception {
    return HTTP.send(get(url), HttpResponse.BodyHandlers.ofString()).body();
  }

  private static HttpRequest get(String url) {
    return HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).GET().build();
  }
}
