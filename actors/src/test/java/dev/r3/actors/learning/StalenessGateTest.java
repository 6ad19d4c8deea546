package dev.r3.actors.learning;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * The buffer's rules simulated under random interleavings of group completions, drops and learner
 * steps: admission never exceeds (eta + v + 1) * B, and nothing is trained more than eta versions
 * after it was generated.
 */
class StalenessGateTest {

  @Property(tries = 300)
  void admission_neverBeyondBound_andStalenessAtMostEta(
      @ForAll @IntRange(min = 0, max = 3) int eta,
      @ForAll @IntRange(min = 1, max = 4) int b,
      @ForAll long seed) {
    StalenessGate gate = new StalenessGate(eta, b);
    Random rnd = new Random(seed);
    List<Long> running = new ArrayList<>(); // version each running group was admitted at
    ArrayDeque<Long> waiting = new ArrayDeque<>(); // generation version of accepted groups, FIFO
    long accepted = 0;
    long version = 0;
    int steps = 0;
    for (int event = 0; event < 400 && steps < 20; event++) {
      while (gate.mayAdmit(accepted, running.size(), version)) {
        running.add(version);
      }
      assertThat(accepted + running.size()).isLessThanOrEqualTo(gate.capacity(version));
      int choice = rnd.nextInt(3);
      if (choice < 2 && !running.isEmpty()) {
        long gen = running.remove(rnd.nextInt(running.size())); // groups finish in any order
        if (rnd.nextInt(4) == 0) {
          continue; // dropped (all-equal): not accepted
        }
        accepted++;
        waiting.add(gen);
      } else if (waiting.size() >= b) {
        final long now = version;
        waiting.removeIf(g -> !gate.fresh(g, now)); // the buffer drops stale groups before a batch
        if (waiting.size() >= b) {
          for (int i = 0; i < b; i++) {
            long gen = waiting.poll();
            assertThat(version - gen).isBetween(0L, (long) eta);
          }
          version++;
          steps++;
        }
      }
    }
  }

  @Property(tries = 100)
  void etaZero_admitsExactlyOneBatchPerVersion(
      @ForAll @IntRange(min = 1, max = 8) int b, @ForAll @IntRange(min = 0, max = 50) int version) {
    StalenessGate gate = new StalenessGate(0, b);
    long accepted = (long) version * b; // every earlier batch was accepted and trained
    assertThat(gate.admissible(accepted, 0, version)).isEqualTo(b);
    assertThat(gate.mayAdmit(accepted, b, version)).isFalse();
  }
}
