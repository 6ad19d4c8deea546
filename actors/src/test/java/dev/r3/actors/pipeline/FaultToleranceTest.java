package dev.r3.actors.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.r3.actors.config.R3Config;
import dev.r3.actors.learning.DropReason;
import dev.r3.actors.run.Run;
import dev.r3.actors.run.RunFiles.RunSummary;
import dev.r3.actors.testkit.BigramPolicy;
import dev.r3.actors.testkit.FaultyGenerators;
import dev.r3.actors.testkit.Fixtures;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Workers that fail or stall are restarted; their work is re-issued and the ledger stays exact. */
class FaultToleranceTest {

  @TempDir Path tmp;

  @Test
  void workerFailingMidBatch_isRestarted_andNothingIsLost() {
    R3Config c = Fixtures.config(tmp, "r3.experiment.total-steps=6");
    FaultyGenerators faulty =
        new FaultyGenerators(BigramPolicy.generators(), 4, Set.of(3, 7, 8), Set.of());
    RunSummary s =
        Run.start(c, Fixtures.backends(faulty), tmp.resolve("run")).await(Duration.ofSeconds(60));

    assertThat(faulty.failures()).isEqualTo(3);
    assertThat(s.ledger().closed()).isTrue();
    assertThat(s.ledger().dropped(DropReason.WORKER_FAILED)).as("re-issued, not dropped").isZero();
    assertThat(s.steps()).isEqualTo(6);
    assertThat(s.ledger().trained()).isEqualTo(6L * 2 * 4);
  }

  @Test
  void workerFailingEveryTime_isDroppedWithReason_afterMaxRetries() {
    // One group in flight at a time (B = 1, eta = 0): calls 1 and 2 are the first group's two
    // attempts.
    R3Config c =
        Fixtures.config(
            tmp,
            "r3.experiment.total-steps=2",
            "r3.rollout.workers=1",
            "r3.faults.max-retries=1",
            "r3.learner.batch-groups=1",
            "r3.learner.staleness=0",
            "r3.learner.mini-steps=1");
    FaultyGenerators faulty =
        new FaultyGenerators(BigramPolicy.generators(), 4, Set.of(1, 2), Set.of());
    RunSummary s =
        Run.start(c, Fixtures.backends(faulty), tmp.resolve("run")).await(Duration.ofSeconds(60));

    assertThat(s.ledger().closed()).isTrue();
    // Both attempts failed before delivering anything: no trajectory was produced, one group was
    // given up.
    assertThat(s.ledger().dropped(DropReason.WORKER_FAILED)).isZero();
    assertThat(s.ledger().abandonedGroups(DropReason.WORKER_FAILED)).isEqualTo(1);
  }

  @Test
  void stalledWorker_isRestartedByWatchdog_andItsGroupReissued() {
    // The ask timeout (300 s) is longer than the test waits (120 s): only the watchdog can recover.
    R3Config c =
        Fixtures.config(
            tmp,
            "r3.experiment.total-steps=4",
            "r3.watchdog.stall-timeout=1s",
            "r3.timeouts.generate=300s");
    FaultyGenerators faulty =
        new FaultyGenerators(BigramPolicy.generators(), 4, Set.of(), Set.of(2));
    try {
      RunSummary s =
          Run.start(c, Fixtures.backends(faulty), tmp.resolve("run"))
              .await(Duration.ofSeconds(120));

      assertThat(faulty.stalls()).isEqualTo(1);
      assertThat(s.ledger().closed()).isTrue();
      assertThat(s.ledger().dropped(DropReason.WORKER_FAILED)).isZero();
      assertThat(s.steps()).isEqualTo(4);
    } finally {
      faulty.releaseStalled();
    }
  }
}
