package dev.r3.actors.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A cluster run as a user starts it: the learner ({@code r3 train --cluster}) and rollout nodes
 * ({@code r3 node}) as separate JVMs on 127.0.0.1, real Artery TCP, Kryo on the wire, the tiny
 * model trained for real.
 */
class ClusterRunTest {

  @TempDir Path tmp;

  /**
   * Long enough that the kill, the downing and more training fit in the run: the node is removed
   * about 10 s after the kill (unreachable after ~4 s, then the resolver's stable-after), and on a
   * quiet machine the tiny model trains ~10 steps a second, so 150 steps could end before the
   * removal (seen in a fresh-clone CI run: the groups were dropped by the placement deadline
   * instead). The dead node's station moves only when the next group is launched to it after the
   * removal (about 6 s later): a fresh-clone CI run of 400 steps ended 8 s after the removal with
   * the station not yet moved, so the run is long enough to outlast the move by a wide margin.
   */
  private static final int STEPS = 1500;

  /**
   * The node killed is the oldest rollout node, which hosts the shard coordinator (sharding runs on
   * role rollout): its station must still move to the survivor once the coordinator has moved there
   * too.
   */
  @Test
  void rolloutNodeKilled_isDowned_itsStationMoves_andTheRunFinishesOnTheOther() throws Exception {
    Path run = tmp.resolve("run");
    try (ClusterProcesses c = new ClusterProcesses(logs("kill-9"))) {
      // A group whose rollout is lost with no word (its station, node or report) frees its place
      // at the staleness gate after the lease, well within the learner's 300 s here (a tiny group
      // takes well under a second): once 5 such groups stopped this run at v235 for 10 minutes.
      Process learner = c.learner(2, STEPS, run, List.of("r3.timeouts.group-lease=60s"));
      Process victim = c.rolloutNode("rollout-1");
      // rollout-1 joins first, so it is the oldest rollout node and hosts the shard coordinator.
      ClusterProcesses.await(
          "rollout-1 up",
          Duration.ofSeconds(120),
          () -> c.output("learner").contains("[rollout]") || !learner.isAlive());
      Process survivor = c.rolloutNode("rollout-2");
      ClusterProcesses.await(
          "5 steps with two rollout nodes (learner: " + c.log("learner") + ")",
          Duration.ofSeconds(120),
          () -> ClusterProcesses.steps(run) >= 5 || !learner.isAlive());
      assertThat(learner.isAlive()).as(c.output("learner")).isTrue();
      String victimNode = nodeOf(c.output("rollout-1"));
      String survivorLog = "rollout-2";
      String survivorNode = nodeOf(c.output(survivorLog));

      victim.destroyForcibly(); // SIGKILL: no leaving, no goodbye
      int killedAt = ClusterProcesses.steps(run);
      ClusterProcesses.await(
          "the killed node downed and removed",
          Duration.ofSeconds(60),
          () ->
              c.output("learner")
                      .contains("member removed: " + victimNode + " [rollout] (was Down)")
                  || !learner.isAlive());

      assertThat(
              learner.waitFor(Math.round(300 * ClusterProcesses.loadStretch()), TimeUnit.SECONDS))
          .as(c.output("learner"))
          .isTrue();
      assertThat(learner.exitValue()).as(c.output("learner")).isZero();
      assertThat(
              survivor.waitFor(Math.round(30 * ClusterProcesses.loadStretch()), TimeUnit.SECONDS))
          .isTrue();
      assertThat(survivor.exitValue()).as(c.output(survivorLog)).isZero();

      JsonObject s = summary(run);
      assertThat(s.get("status").getAsString()).isEqualTo("finished");
      assertThat(s.get("steps").getAsLong()).isEqualTo(STEPS);
      assertThat(killedAt).as("killed mid-run").isLessThan(STEPS);
      // Its groups in flight were re-issued to the survivor (or, when the run was already draining,
      // dropped node_lost), never waited for until the drain timed out.
      assertThat(c.output("learner")).contains("lost with node " + victimNode);
      assertThat(c.output("learner")).doesNotContain("still open after");
      JsonObject ledger = s.getAsJsonObject("ledger");
      assertThat(ledger.get("balanced").getAsBoolean()).as(ledger.toString()).isTrue();
      assertThat(ledger.get("produced").getAsLong())
          .isEqualTo(ledger.get("trained").getAsLong() + ledger.get("dropped").getAsLong());

      JsonObject cluster = s.getAsJsonObject("cluster");
      assertThat(cluster.get("nodes_lost").getAsInt()).as(cluster.toString()).isEqualTo(1);
      // The dead node's station was re-allocated to the survivor and took groups there.
      assertThat(c.output(survivorLog))
          .contains("rollout station " + victimNode + "-w0 up on " + survivorNode);
      assertThat(cluster.get("shard_moves").getAsInt()).as(cluster.toString()).isEqualTo(1);
      JsonArray members = cluster.getAsJsonArray("members");
      assertThat(members).hasSize(3);
      long downed = 0;
      for (JsonElement e : members) {
        JsonObject m = e.getAsJsonObject();
        if (!m.get("downed").isJsonNull()) {
          downed++;
          assertThat(m.getAsJsonArray("roles").get(0).getAsString()).isEqualTo("rollout");
        }
      }
      assertThat(downed).as(members.toString()).isEqualTo(1);
      assertThat(cluster.getAsJsonObject("trajectories_on_wire").get("trajectories").getAsLong())
          .isPositive();
    }
  }

  /** Over TLS (r3.cluster.tls, stores made by keytool), as a deployment off loopback runs. */
  @Test
  void overTls_rolloutNodeJoiningLate_receivesWorkWithinSeconds() throws Exception {
    Path run = tmp.resolve("run");
    TlsStores stores = TlsStores.shared();
    List<String> tls = TlsStores.sets(stores.nodeKeys(), stores.trust());
    try (ClusterProcesses c = new ClusterProcesses(logs("late-join"))) {
      c.env.put(ClusterTls.PASSWORD_ENV, TlsStores.PASSWORD);
      int monitorPort = ClusterProcesses.freePort();
      List<String> learnerSets = new java.util.ArrayList<>(tls);
      learnerSets.add("r3.monitor.port=" + monitorPort);
      // Long enough that the run is still going when the late node is up; stopped once it has work.
      Process learner = c.learner(1, 100_000, run, learnerSets);
      Process first = c.rolloutNode("rollout-1", tls);
      ClusterProcesses.await(
          "3 steps with one rollout node",
          Duration.ofSeconds(120),
          () -> ClusterProcesses.steps(run) >= 3 || !learner.isAlive());
      assertThat(learner.isAlive()).as(c.output("learner")).isTrue();

      c.rolloutNode("rollout-2", tls);
      ClusterProcesses.await(
          "the late node ready", Duration.ofSeconds(120), () -> ready(c.output("rollout-2")));
      String lateNode = nodeOf(c.output("rollout-2"));
      ClusterProcesses.await(
          "a group on the late node " + lateNode,
          Duration.ofSeconds(30),
          () -> c.output("learner").contains("first group on node " + lateNode));
      var seconds =
          java.util.regex.Pattern.compile(
                  "first group on node "
                      + java.util.regex.Pattern.quote(lateNode)
                      + ", ([0-9.]+) s")
              .matcher(c.output("learner"));
      assertThat(seconds.find()).isTrue();
      assertThat(Double.parseDouble(seconds.group(1))).isLessThan(10);
      assertThat(c.output("rollout-2")).contains("rollout station " + lateNode + "-w0 up");
      assertThat(first.isAlive()).isTrue();
      assertThat(c.output("learner")).contains("cluster transport: tls-tcp");
      // The late node's actors are on the learner's monitor page, with their node.
      ClusterProcesses.await(
          "the late node's station, worker, environment, reward and watchdog on the monitor",
          Duration.ofSeconds(30),
          () -> {
            java.util.Set<String> roles = new java.util.HashSet<>();
            for (JsonElement e : monitorActors(monitorPort)) {
              JsonObject a = e.getAsJsonObject();
              if (a.get("node").getAsString().endsWith("@" + lateNode)
                  && "running".equals(a.get("state").getAsString())) {
                roles.add(a.get("role").getAsString());
              }
            }
            return roles.containsAll(
                List.of("station", "rollout", "environment", "reward", "watchdog"));
          });

      // SIGTERM: the learner stops after the step in flight with a final checkpoint (as in one
      // JVM, so --cluster --resume continues it); then the rollout nodes see it leave and exit 0.
      learner.destroy();
      assertThat(learner.waitFor(120, TimeUnit.SECONDS)).as(c.output("learner")).isTrue();
      assertThat(learner.exitValue()).as(c.output("learner")).isEqualTo(130);
      JsonObject s = summary(run);
      assertThat(s.get("status").getAsString()).isEqualTo("interrupted");
      try (var dirs = Files.list(run.resolve("checkpoints"))) {
        assertThat(dirs.anyMatch(d -> Files.isRegularFile(d.resolve("manifest.json"))))
            .as("a final checkpoint")
            .isTrue();
      }
      assertThat(first.waitFor(60, TimeUnit.SECONDS)).as(c.output("rollout-1")).isTrue();
      assertThat(first.exitValue()).as(c.output("rollout-1")).isZero();
      assertThat(c.output("rollout-2")).contains("cluster transport: tls-tcp");
    }
  }

  /** The actors of the learner's monitor ({@code /api/state}); none while it does not answer. */
  private static JsonArray monitorActors(int port) {
    try {
      var client = java.net.http.HttpClient.newHttpClient();
      var response =
          client.send(
              java.net.http.HttpRequest.newBuilder(
                      java.net.URI.create("http://127.0.0.1:" + port + "/api/state"))
                  .timeout(Duration.ofSeconds(10))
                  .build(),
              java.net.http.HttpResponse.BodyHandlers.ofString());
      return JsonParser.parseString(response.body()).getAsJsonObject().getAsJsonArray("actors");
    } catch (Exception e) {
      return new JsonArray();
    }
  }

  private static boolean ready(String log) {
    return log.contains(": ready, ");
  }

  private static Path logs(String test) throws java.io.IOException {
    // Kept after the test (target/), so a failure in CI can be read.
    Path p = Path.of("target", "cluster-logs", test).toAbsolutePath();
    Files.createDirectories(p);
    return p;
  }

  private static String nodeOf(String log) {
    var matcher = java.util.regex.Pattern.compile("rollout node (\\S+): ready").matcher(log);
    assertThat(matcher.find()).as(log).isTrue();
    return matcher.group(1);
  }

  private static JsonObject summary(Path run) throws Exception {
    return JsonParser.parseString(Files.readString(run.resolve("summary.json"))).getAsJsonObject();
  }
}
