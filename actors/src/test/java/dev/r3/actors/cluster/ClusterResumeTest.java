package dev.r3.actors.cluster;

import static org.assertj.core.api.Assertions.assertThat;

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
 * The learner node is the run's single point of failure; its checkpoints are not. A cluster run
 * whose learner JVM is killed with SIGKILL is continued by {@code r3 train --cluster --resume} and
 * new rollout nodes (the old ones give up on the lost learner and exit 3), and ends at its planned
 * step count with a balanced ledger.
 */
class ClusterResumeTest {
  /** Long enough that a quiet machine cannot finish the run before the kill (~10 tiny steps/s). */
  private static final int STEPS = 60;

  @TempDir Path tmp;

  @Test
  void learnerKilled_isResumedFromItsCheckpoint_withNewRolloutNodes_andFinishesTheRun()
      throws Exception {
    Path run = tmp.resolve("run");
    Path logs = Path.of("target", "cluster-logs", "resume").toAbsolutePath();
    Files.createDirectories(logs);
    List<String> more = List.of("r3.checkpoint.every=3", "r3.cluster.learner-lost-timeout=5s");
    try (ClusterProcesses first = new ClusterProcesses(logs)) {
      Process learner = first.learner(1, STEPS, run, more);
      Process node = first.rolloutNode("rollout-1");
      ClusterProcesses.await(
          "checkpoint step-3 and 4 steps",
          Duration.ofSeconds(180),
          () ->
              (Files.isRegularFile(run.resolve("checkpoints/step-3/manifest.json"))
                      && ClusterProcesses.steps(run) >= 4)
                  || !learner.isAlive());
      assertThat(learner.isAlive()).as(first.output("learner")).isTrue();
      learner.destroyForcibly(); // SIGKILL: no final checkpoint, no goodbye to the nodes
      assertThat(learner.waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertThat(node.waitFor(120, TimeUnit.SECONDS)).as(first.output("rollout-1")).isTrue();
      assertThat(node.exitValue()).as(first.output("rollout-1")).isEqualTo(3);
    }
    try (ClusterProcesses second = new ClusterProcesses(logs)) {
      Process learner = second.learnerResuming("learner-resumed", 1, run, more);
      second.rolloutNode("rollout-2");
      assertThat(learner.waitFor(300, TimeUnit.SECONDS))
          .as(second.output("learner-resumed"))
          .isTrue();
      assertThat(learner.exitValue()).as(second.output("learner-resumed")).isZero();
      assertThat(second.output("learner-resumed")).contains("resuming " + run);
    }
    JsonObject s =
        JsonParser.parseString(Files.readString(run.resolve("summary.json"))).getAsJsonObject();
    assertThat(s.get("status").getAsString()).isEqualTo("finished");
    assertThat(s.get("steps").getAsLong()).isEqualTo(STEPS);
    JsonObject ledger = s.getAsJsonObject("ledger");
    assertThat(ledger.get("balanced").getAsBoolean()).as(ledger.toString()).isTrue();
    assertThat(s.getAsJsonArray("resumes")).hasSize(1);
    assertThat(s.getAsJsonArray("resumes").get(0).getAsJsonObject().get("from_step").getAsLong())
        .isGreaterThanOrEqualTo(3);
    // metrics.jsonl describes one run: steps 1..STEPS once each.
    List<String> lines = Files.readAllLines(run.resolve("metrics.jsonl"));
    assertThat(lines).hasSize(STEPS);
    for (int i = 0; i < STEPS; i++) {
      assertThat(JsonParser.parseString(lines.get(i)).getAsJsonObject().get("step").getAsLong())
          .isEqualTo(i + 1);
    }
    assertThat(s.getAsJsonObject("cluster").getAsJsonArray("members").toString())
        .contains("rollout");
  }
}
