package dev.r3.actors.testkit;

import dev.r3.actors.config.R3Config;
import dev.r3.actors.ports.PolicyTrainer;
import dev.r3.model.ModelWeights;
import dev.r3.model.RoutingMode;
import dev.r3.model.RoutingRecord;
import dev.r3.model.ScoreResult;
import dev.r3.model.Sequence;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/** Records, in order, every mini-batch a trainer is stepped on (sequence ids and tokens). */
public final class RecordingTrainers implements PolicyTrainer.Factory {
  private final PolicyTrainer.Factory delegate;
  private final List<String> log = Collections.synchronizedList(new ArrayList<>());

  public RecordingTrainers(PolicyTrainer.Factory delegate) {
    this.delegate = delegate;
  }

  /** One line per trained sequence: "ministep id tokens advantage". */
  public List<String> log() {
    return List.copyOf(log);
  }

  @Override
  public PolicyTrainer open(ModelWeights init, R3Config config) {
    PolicyTrainer t = delegate.open(init, config);
    return new PolicyTrainer() {
      private int steps;

      @Override
      public ScoreResult score(List<Sequence> s, RoutingMode mode, List<RoutingRecord> replay) {
        return t.score(s, mode, replay);
      }

      @Override
      public MiniStepResult step(MiniBatch b) {
        steps++;
        for (int i = 0; i < b.sequences().size(); i++) {
          Sequence q = b.sequences().get(i);
          log.add(
              steps + " " + q.id() + " " + Arrays.toString(q.tokens()) + " " + b.advantages()[i]);
        }
        return t.step(b);
      }

      @Override
      public ModelWeights weights() {
        return t.weights();
      }
    };
  }
}
