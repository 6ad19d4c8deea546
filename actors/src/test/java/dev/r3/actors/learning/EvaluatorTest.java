package dev.r3.actors.learning;

import static org.assertj.core.api.Assertions.assertThat;

import dev.r3.actors.ports.Generator;
import dev.r3.actors.testkit.EchoTask;
import dev.r3.model.Generation;
import dev.r3.model.RoutingRecord;
import dev.r3.model.SamplingParams;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class EvaluatorTest {

  /** Answers every prompt correctly (echoes its digit) and records what it was asked. */
  private static final class Echoing implements Generator {
    final List<int[]> asked = new ArrayList<>();

    @Override
    public List<Generation> generate(List<int[]> prompts, SamplingParams params) {
      List<Generation> out = new ArrayList<>();
      for (int[] p : prompts) {
        asked.add(p);
        int[] t = Arrays.copyOf(p, p.length + 2);
        t[p.length] = p[p.length - 1];
        t[p.length + 1] = EchoTask.EOS;
        out.add(new Generation(t, p.length, new float[2], RoutingRecord.empty(t.length - 1), true));
      }
      return out;
    }
  }

  @Test
  void evaluatesDistinctProblems_eachOnce_andReportsHowMany() {
    // EchoTask has 10 problems (one digit each): 50 episodes drawn with replacement would count
    // most of them five times over.
    Echoing g = new Echoing();
    Evaluator ev =
        new Evaluator(
            EchoTask::new,
            new EchoTask.DigitTokenizer(),
            w -> g,
            7,
            50,
            new SamplingParams(0.05f, 1f, 2, EchoTask.EOS, 0));
    Evaluator.Result r = ev.evaluate(0, null);
    assertThat(r.episodes()).isEqualTo(10);
    assertThat(r.accuracy()).isEqualTo(1.0);
    Set<String> distinct = new HashSet<>();
    g.asked.forEach(p -> distinct.add(Arrays.toString(p)));
    assertThat(g.asked).hasSize(10);
    assertThat(distinct).hasSize(10);
  }

  @Test
  void asksForFewerThanTheSplitHolds_getsThatManyDistinct_theSameAtEveryEvaluation() {
    Echoing g = new Echoing();
    Evaluator ev =
        new Evaluator(
            EchoTask::new,
            new EchoTask.DigitTokenizer(),
            w -> g,
            7,
            6,
            new SamplingParams(0.05f, 1f, 2, EchoTask.EOS, 0));
    assertThat(ev.evaluate(0, null).episodes()).isEqualTo(6);
    assertThat(ev.evaluate(1, null).episodes()).isEqualTo(6);
    Set<String> distinct = new HashSet<>();
    g.asked.forEach(p -> distinct.add(Arrays.toString(p)));
    assertThat(distinct).hasSize(6); // the second evaluation asked the same six
  }
}
