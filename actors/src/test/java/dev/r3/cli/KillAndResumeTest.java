package dev.r3.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.r3.report.ChildJvm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./r3 train} in a child JVM, killed with SIGKILL in the middle of its steps, then {@code
 * ./r3 train --resume} in another: the run ends at its planned step count, its ledger balances over
 * the whole run (what the checkpoint had buffered counted as lost_in_crash), metrics.jsonl holds
 * each step once and summary.json lists the resume.
 */
class KillAndResumeTest {

  @TempDir Path tmp;

  static final String EXPERIMENT =
      """
      r3 {
        experiment { name = "kill-resume", total-steps = 30, progress-bar = off }
        model.size = tiny
        warm-start.enabled = off
        env { name = "add", params { digits = 1, terms = 2 } }
        algorithm.dynamic-sampling = off
        rollout { workers = 1, group-size = 4 }
        learner { batch-groups = 2, mini-steps = 2, staleness = 1 }
        eval { every = 10, size = 16 }
        checkpoint.every = 3
      }
      """;

  private Process start(Path log, String... args) throws Exception {
    return new ProcessBuilder(ChildJvm.r3(List.of("-Xmx1g"), List.of(args)))
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
  }

  /** {@code ./r3 train} of {@link #EXPERIMENT} into {@code run}, logging to {@code <name>.log}. */
  private Process train(String name, Path run) throws Exception {
    Path conf = Files.writeString(tmp.resolve(name + ".conf"), EXPERIMENT);
    return start(
        tmp.resolve(name + ".log"), "train", "--config", conf.toString(), "--out", run.toString());
  }

  interface Condition {
    boolean holds() throws IOException;
  }

  /** Waits (at most 120 s) until {@code condition} holds or {@code p} has ended. */
  private static void awaitWhileAlive(Process p, Condition condition) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (System.nanoTime() < deadline && p.isAlive() && !condition.holds()) {
      Thread.sleep(10);
    }
  }

  @Test
  void killedMidStep_thenResumed_endsAtItsPlannedStep_withABalancedLedger() throws Exception {
    Path run = tmp.resolve("run");
    Process first = train("first", run);
    Path metrics = run.resolve("metrics.jsonl");
    awaitWhileAlive(
        first,
        () ->
            Files.isRegularFile(run.resolve("checkpoints/step-3/manifest.json"))
                && Files.readAllLines(metrics).size() >= 4);
    assertThat(first.isAlive())
        .as("still running at the kill: %s", Files.readString(tmp.resolve("first.log")))
        .isTrue();
    first.destroyForcibly(); // SIGKILL: no hook, no final checkpoint
    first.waitFor(30, TimeUnit.SECONDS);
    assertThat(run.resolve("summary.json")).doesNotExist();
    int loggedBeforeKill = Files.readAllLines(metrics).size();

    Process second = start(tmp.resolve("second.log"), "train", "--resume", run.toString());
    assertThat(second.waitFor(180, TimeUnit.SECONDS)).isTrue();
    assertThat(second.exitValue()).as(Files.readString(tmp.resolve("second.log"))).isZero();

    JsonObject s =
        JsonParser.parseString(Files.readString(run.resolve("summary.json"))).getAsJsonObject();
    assertThat(s.get("status").getAsString()).isEqualTo("finished");
    assertThat(s.get("steps").getAsLong()).isEqualTo(30);
    JsonObject ledger = s.getAsJsonObject("ledger");
    assertThat(ledger.get("balanced").getAsBoolean()).isTrue();
    assertThat(ledger.get("produced").getAsLong())
        .isEqualTo(ledger.get("trained").getAsLong() + ledger.get("dropped").getAsLong());
    assertThat(s.getAsJsonArray("resumes")).hasSize(1);
    JsonObject resume = s.getAsJsonArray("resumes").get(0).getAsJsonObject();
    long from = resume.get("from_step").getAsLong();
    assertThat(from).isPositive().isLessThan(30).matches(f -> f % 3 == 0);
    assertThat(ledger.getAsJsonObject("dropped_by_reason").get("lost_in_crash").getAsLong())
        .isEqualTo(resume.get("lost_in_crash").getAsLong());
    List<Long> steps = new ArrayList<>();
    for (String l : Files.readAllLines(metrics)) {
      steps.add(JsonParser.parseString(l).getAsJsonObject().get("step").getAsLong());
    }
    assertThat(steps)
        .containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(1, 30).boxed().toList());
    if (loggedBeforeKill > from) {
      assertThat(run.resolve("metrics.superseded.jsonl")).isRegularFile();
    }
  }

  @Test
  void sigterm_stopsCleanlyWithAFinalCheckpoint_andResumeFinishesTheRun() throws Exception {
    Path run = tmp.resolve("term");
    Process first = train("term-first", run);
    Path metrics = run.resolve("metrics.jsonl");
    awaitWhileAlive(
        first, () -> Files.isRegularFile(metrics) && Files.readAllLines(metrics).size() >= 2);
    first.destroy(); // SIGTERM
    assertThat(first.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String log = Files.readString(tmp.resolve("term-first.log"));
    assertThat(first.exitValue()).as(log).isEqualTo(TrainCommand.INTERRUPTED);
    JsonObject s =
        JsonParser.parseString(Files.readString(run.resolve("summary.json"))).getAsJsonObject();
    assertThat(s.get("status").getAsString()).isEqualTo("interrupted");
    assertThat(s.get("failure").getAsString()).isEqualTo("SIGTERM");
    long stoppedAt = s.get("steps").getAsLong();
    assertThat(run.resolve("checkpoints/step-" + stoppedAt + "/optimizer.safetensors"))
        .isRegularFile();

    Process second = start(tmp.resolve("term-second.log"), "train", "--resume", run.toString());
    assertThat(second.waitFor(180, TimeUnit.SECONDS)).isTrue();
    assertThat(second.exitValue()).as(Files.readString(tmp.resolve("term-second.log"))).isZero();
    JsonObject done =
        JsonParser.parseString(Files.readString(run.resolve("summary.json"))).getAsJsonObject();
    assertThat(done.get("status").getAsString()).isEqualTo("finished");
    assertThat(done.get("steps").getAsLong()).isEqualTo(30);
    assertThat(done.getAsJsonObject("ledger").get("balanced").getAsBoolean()).isTrue();
    assertThat(done.getAsJsonArray("resumes").get(0).getAsJsonObject().get("from_step").getAsLong())
        .isEqualTo(stoppedAt);
  }
}
