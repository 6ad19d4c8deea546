package dev.r3.env;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class OutcomeStatsTest {

  @Test
  void counts_areExactUnderConcurrentRecording() throws InterruptedException {
    OutcomeStats stats = new OutcomeStats();
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      Thread th =
          new Thread(
              () -> {
                for (int i = 0; i < 10_000; i++) {
                  stats.record(
                      i % 2 == 0 ? Outcome.correct("1") : Outcome.zero("", Reasons.NO_ANSWER, ""));
                }
              });
      threads.add(th);
      th.start();
    }
    for (Thread th : threads) {
      th.join();
    }
    assertThat(stats.total()).isEqualTo(40_000);
    assertThat(stats.count(Reasons.CORRECT)).isEqualTo(20_000);
    assertThat(stats.count(Reasons.NO_ANSWER)).isEqualTo(20_000);
    assertThat(stats.count("never")).isZero();
    assertThat(stats.meanReward()).isEqualTo(0.5);
  }
}
