package dev.r3.actors.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.r3.example.plugin.ParrotJar;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A cluster run of a plugin's environment where the rollout node does not have the jar at the
 * learner's path: the learner ({@code r3 train --cluster --plugin JAR}) and the node ({@code r3
 * node}) as separate JVMs on 127.0.0.1; the node fetches the jar from the learner over the cluster
 * (Kryo on Artery), verifies its SHA-256, caches it, loads it and the run trains.
 */
class ClusterPluginTest {

  @TempDir Path tmp;

  @Test
  void rolloutNodeWithoutTheJar_fetchesItFromTheLearner_andTheRunTrainsThePluginsEnvironment()
      throws Exception {
    Path jar =
        ParrotJar.write(Files.createDirectories(tmp.resolve("learner-host")).resolve("p.jar"));
    byte[] bytes = Files.readAllBytes(jar);
    String sha = PluginJar.sha256(bytes);
    Path cache = tmp.resolve("node-cache");
    Path run = tmp.resolve("run");
    Path logs = Path.of("target", "cluster-logs", "plugin").toAbsolutePath();
    Files.createDirectories(logs);
    try (ClusterProcesses c = new ClusterProcesses(logs)) {
      Process learner =
          c.learner(1, 3, run, List.of(), List.of("--env", "parrot", "--plugin", jar.toString()));
      ClusterProcesses.await(
          "the learner serving the jar",
          Duration.ofSeconds(120),
          () -> c.output("learner").contains("waiting for 1 rollout node") || !learner.isAlive());
      assertThat(c.output("learner"))
          .contains("serving plugin jar p.jar (" + jar + " on the learner, SHA-256 " + sha);
      // The node's machine has no file at the learner's path. (Moved, not deleted: the learner's
      // class loader keeps the jar it opened.)
      Files.move(jar, tmp.resolve("elsewhere.jar"));

      Process node =
          c.rolloutNode(
              "rollout-1",
              List.of(
                  "r3.cluster.plugins.cache-dir=" + cache, "r3.cluster.plugins.piece-bytes=1024"));

      // A node that cannot get the jar ends at once: fail then, not after the learner's
      // join-timeout.
      ClusterProcesses.await(
          "the run's end", Duration.ofSeconds(180), () -> !learner.isAlive() || !node.isAlive());
      assertThat(learner.waitFor(60, TimeUnit.SECONDS))
          .as(c.output("learner") + c.output("rollout-1"))
          .isTrue();
      assertThat(learner.exitValue()).as(c.output("learner")).isZero();
      assertThat(node.waitFor(60, TimeUnit.SECONDS)).as(c.output("rollout-1")).isTrue();
      assertThat(node.exitValue()).as(c.output("rollout-1")).isZero();
      Path cached = cache.resolve(sha + ".jar");
      assertThat(c.output("rollout-1"))
          .contains(
              "plugin jar p.jar (SHA-256 " + sha + "): fetched from the learner into " + cached);
      assertThat(Files.readAllBytes(cached)).isEqualTo(bytes);
      try (var files = Files.list(cache)) {
        assertThat(files.toList()).as("only the verified jar").containsExactly(cached);
      }
      JsonObject s =
          JsonParser.parseString(Files.readString(run.resolve("summary.json"))).getAsJsonObject();
      assertThat(s.get("status").getAsString()).isEqualTo("finished");
      assertThat(s.get("steps").getAsLong()).isEqualTo(3);
      assertThat(Files.readString(run.resolve("run-config.json"))).contains("parrot");
    }
  }
}
