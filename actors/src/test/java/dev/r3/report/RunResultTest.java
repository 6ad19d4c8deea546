package dev.r3.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a run folder says about how the run ended: its summary's status decides, not its presence.
 */
class RunResultTest {
  @TempDir Path tmp;

  private RunResult run(String summary) throws Exception {
    Path d = tmp.resolve("seed-1");
    Files.createDirectories(d);
    Files.writeString(
        d.resolve(RunDir.METRICS),
        "{\"step\": 1, \"eval/accuracy\": 0.2}\n{\"step\": 2, \"eval/accuracy\": 0.3}\n");
    Files.writeString(d.resolve(RunDir.SUMMARY), summary);
    return RunResult.load("x", 1, d, CollapseDetector.DEFAULT);
  }

  @Test
  void aFailedRunsSummary_isAFailure_withItsReason_andNoFinalAccuracy() throws Exception {
    RunResult r =
        run("{\"status\": \"failed\", \"failure\": \"dynamic sampling starved\", \"steps\": 2}");

    assertThat(r.status()).isEqualTo(RunResult.Status.FAILED);
    assertThat(r.finished()).isFalse();
    assertThat(r.exitWhy()).isEqualTo("failed: dynamic sampling starved");
    assertThat(r.finalAccuracy()).isNaN();
  }

  @Test
  void anInterruptedRunsSummary_isInterrupted_notFinished() throws Exception {
    RunResult r = run("{\"status\": \"interrupted\", \"failure\": \"SIGTERM\", \"steps\": 2}");

    assertThat(r.status()).isEqualTo(RunResult.Status.INTERRUPTED);
    assertThat(r.finished()).isFalse();
  }

  @Test
  void aFinishedRun_andAnOlderSummaryWithoutStatus_areFinished() throws Exception {
    assertThat(run("{\"status\": \"finished\", \"final_eval_accuracy\": 0.3}").finished()).isTrue();
    assertThat(run("{\"final_eval_accuracy\": 0.3}").finished()).isTrue();
  }
}
