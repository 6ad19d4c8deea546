package dev.r3.env.tasks;

import dev.r3.env.ParamSpec;
import dev.r3.env.Params;
import dev.r3.env.RewardFunction;
import dev.r3.env.TaskSpec;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Small multiplication: {@code 47*6=} answered {@code 282}. A many-digit number times a small
 * factor is long multiplication's inner loop: learnable digit by digit with carries, and large
 * enough a problem space (891 problems by default) that the eval split holds problems the model has
 * not seen.
 */
final class MulTask extends SingleTurnTask {
  static final String NAME = "mul";
  static final String DESCRIPTION = "small multiplication: 47*6= -> 282";
  static final List<ParamSpec> PARAMS =
      List.of(
          ParamSpec.integer("digits", 2, 1, 6, "digits of the first factor, in [1, 10^digits)"),
          ParamSpec.integer("maxFactor", 9, 2, 99, "second factor in [1, maxFactor]"));

  private final int digits;
  private final int maxFactor;

  MulTask(Params params) {
    super(NAME, DESCRIPTION, params);
    this.digits = params.getInt("digits");
    this.maxFactor = params.getInt("maxFactor");
  }

  @Override
  Problem propose(SplittableRandom rng) {
    long a = 1 + rng.nextLong(pow10(digits) - 1);
    long b = 1 + rng.nextLong(maxFactor);
    return new Problem(a + "*" + b + "=", Long.toString(a * b));
  }

  @Override
  String oracleAnswer(TaskSpec task) {
    return task.expected();
  }

  @Override
  public int maxTokensPerTurn() {
    return digits + Integer.toString(maxFactor).length() + 2; // longest product, EOS, one spare
  }

  @Override
  public RewardFunction reward() {
    int max = maxTokensPerTurn();
    return (task, completion) -> {
      checkOwn(task);
      return Grading.integer(completion, task.expected(), max);
    };
  }
}
