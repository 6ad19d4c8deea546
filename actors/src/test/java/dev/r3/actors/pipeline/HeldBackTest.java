package dev.r3.actors.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.r3.actors.chaos.ChaosLog;
import dev.r3.actors.learning.RolloutCounters;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Chaos's stale delay: held groups go in once past the bound, and each ending is logged once. */
class HeldBackTest {

  static ReplayBuffer.GroupFinished finished(long id, long version) {
    return new ReplayBuffer.GroupFinished(
        id, id, version, List.of(), "w0", 0.1, 0, true, "", RolloutCounters.NONE);
  }

  @Test
  void aHeldGroup_goesInOncePastTheStalenessBound_orNewerThanTheBuffer_orAtTheDrain() {
    var held = new HeldBack(new ChaosLog());
    held.hold(finished(1, 2));
    held.hold(finished(2, 3));
    held.hold(finished(3, 5));

    // at v3 with eta 1: group 3 (v5) is newer than the buffer (a learner restart undid v5)
    assertThat(held.release(3, 1, false))
        .extracting(ReplayBuffer.GroupFinished::groupId)
        .containsExactly(3L);
    assertThat(held.release(3, 1, false)).isEmpty();
    // at v4: group 1 (v2) is past the staleness bound, group 2 (v3) is not yet
    assertThat(held.release(4, 1, false))
        .extracting(ReplayBuffer.GroupFinished::groupId)
        .containsExactly(1L);
    // draining: everything goes
    assertThat(held.release(4, 1, true))
        .extracting(ReplayBuffer.GroupFinished::groupId)
        .containsExactly(2L);
    assertThat(held.release(9, 1, true)).isEmpty();
  }

  @Test
  void howAHeldGroupEnded_isLoggedOnce_andOtherGroupsAreNotLogged() {
    ChaosLog log = new ChaosLog();
    var held = new HeldBack(log);
    held.hold(finished(1, 0));

    held.ended(1, "dropped_stale");
    held.ended(1, "dropped_stale");
    held.ended(2, "dropped_stale");

    assertThat(log.handledCount(ChaosLog.STALE_DELAY, "dropped_stale")).isEqualTo(1);
  }
}
