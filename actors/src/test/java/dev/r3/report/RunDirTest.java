package dev.r3.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a suite's resume skips: {@link RunDir#finished} on the summary a run leaves. */
class RunDirTest {
  @TempDir Path tmp;

  private Path seed(String summary) throws Exception {
    Path seedDir = Files.createDirectories(tmp.resolve("seed-" + summary.hashCode()));
    Files.writeString(seedDir.resolve(RunDir.SUMMARY), summary);
    return seedDir;
  }

  @Test
  void aRunIsFinished_onlyWhenItsSummarySaysSo_orIsAnOlderOneWithoutAStatus() throws Exception {
    assertThat(RunDir.finished(seed("{\"status\": \"finished\", \"final_accuracy\": 0.4}")))
        .isTrue();
    assertThat(RunDir.finished(seed("{\"final_accuracy\": 0.4}"))).as("older run").isTrue();
    assertThat(RunDir.finished(seed("{\"status\": \"failed\", \"failure\": \"boom\"}"))).isFalse();
    assertThat(RunDir.finished(seed("{\"status\": \"interrupted\"}"))).isFalse();
    assertThat(RunDir.finished(seed("not json"))).as("a corrupt summary").isFalse();
    assertThat(RunDir.finished(Files.createDirectories(tmp.resolve("empty")))).isFalse();
    assertThat(RunDir.finished(tmp.resolve("absent"))).isFalse();
  }
}
