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
   * instead).
   */
  private static final int STEPS = 400;

  @Test
  void rolloutNodeKilled_isDowned_andTheRunFinishesOnTheOther() throws Exception {
    Path run = tmp.resolve("run");
    try (ClusterProcesses c = new ClusterProcesses(logs("kill-9"))) {
      // A group whose rollout is lost with no word (its station, node or report) frees its place
      // at the staleness gate after the lease, well within the learner's 300 s here (a tiny group
      // takes well under a second): once 5 such groups stopped this run at v235 for 10 minutes.
      Process learner = c.learner(2, STEPS, run, List.of("r3.timeouts.group-lease=60s"));
      Process survivor = c.rolloutNode("rollout-1");
      Process victim = c.rolloutNode("rollout-2");
      ClusterProcesses.await(
          "5 steps with two rollout nodes (learner: " + c.log("learner") + ")",
          Duration.ofSeconds(120),
          () -> ClusterProcesses.steps(run) >= 5 || !learner.isAlive());
      assertThat(learner.isAlive()).as(c.output("learner")).isTrue();
      String victimNode = nodeOf(c.output("rollout-2"));

      victim.destroyForcibly(); // SIGKILL: no leaving, no goodbye
      int killedAt = ClusterProcesses.steps(run);
      ClusterProcesses.await(
          "the killed node downed and removed",
          Duration.ofSeconds(60),
          () ->
              c.output("learner")
                      .contains("member removed: " + victimNode + " [rollout] (was Down)")
                  || !learner.isAlive());

      assertThat(learner.waitFor(300, TimeUnit.SECONDS)).as(c.output("learner")).isTrue();
      assertThat(learner.exitValue()).as(c.output("learner")).isZero();
      assertThat(survivor.waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertThat(survivor.exitValue()).as(c.output("rollout-1")).isZero();

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

  @Test
  void rolloutNodeJoiningLate_receivesWorkWithinSeconds() throws Exception {
    Path run = tmp.resolve("run");
    try (ClusterProcesses c = new ClusterProcesses(logs("late-join"))) {
      // Long enough that the run is still going when the late node is up; stopped once it has work.
      Process learner = c.learner(1, 100_000, run, List.of());
      Process first = c.rolloutNode("rollout-1");
      ClusterProcesses.await(
          "3 steps with one rollout node",
          Duration.ofSeconds(120),
          () -> ClusterProcesses.steps(run) >= 3 || !learner.isAlive());
      assertThat(learner.isAlive()).as(c.output("learner")).isTrue();

      c.rolloutNode("rollout-2");
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
