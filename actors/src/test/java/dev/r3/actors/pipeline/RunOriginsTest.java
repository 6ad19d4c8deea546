package dev.r3.actors.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.r3.actors.learning.DropReason;
import dev.r3.actors.learning.LedgerCounts;
import dev.r3.actors.run.Resume;
import dev.r3.actors.run.TrainingState;
import dev.r3.actors.testkit.BigramPolicy;
import dev.r3.model.ModelWeights;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Where a run's learner and buffer start: new, resumed, or a learner restarted mid-run. */
class RunOriginsTest {
  static final ModelWeights INITIAL = BigramPolicy.initial();

  /** A checkpoint of step 6 at version 6: 40 trajectories trained from 10 groups, 14 admitted. */
  static Resume checkpoint() {
    var ledger = new LedgerCounts(42, 40, 0, 0, new long[DropReason.values().length]);
    var st = new TrainingState(6, 6, 14, 10, ledger, List.of(), Map.of(), "", List.of(), 1.0);
    return new Resume(Path.of("ckpt/step-6"), INITIAL, null, st, Map.of());
  }

  @Test
  void aNewRun_startsAtVersion0_fromTheInitialWeights_withAFreshBuffer() {
    Learner.Origin learner = RunOrigins.learner(null, INITIAL);

    assertThat(learner.version()).isZero();
    assertThat(learner.policy()).isSameAs(INITIAL);
    assertThat(learner.nextGroupId()).isZero();
    assertThat(learner.rewind()).isNull();
    assertThat(RunOrigins.buffer(null)).isSameAs(ReplayBuffer.Origin.FRESH);
  }

  @Test
  void aResumedRun_startsBothWhereTheCheckpointLeftThem_withoutARewind() {
    Resume r = checkpoint();

    Learner.Origin learner = RunOrigins.learner(r, null);
    ReplayBuffer.Origin buffer = RunOrigins.buffer(r);

    assertThat(learner.version()).isEqualTo(6);
    assertThat(learner.policy()).isSameAs(INITIAL);
    assertThat(learner.nextGroupId()).isEqualTo(14);
    assertThat(learner.rewind()).isNull();
    assertThat(buffer).isEqualTo(new ReplayBuffer.Origin(6, 14, 10, r.state().ledger()));
  }

  @Test
  void aRestartedLearner_startsFromTheCheckpoint_andRewindsTheBufferToIt() {
    Learner.Origin learner = RunOrigins.restartedLearner(checkpoint());

    assertThat(learner.version()).isEqualTo(6);
    assertThat(learner.nextGroupId()).isEqualTo(14);
    assertThat(learner.rewind()).isEqualTo(new ReplayBuffer.Rewind(6, 40, 10));
  }
}
