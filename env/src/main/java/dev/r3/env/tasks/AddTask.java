package dev.r3.env.tasks;

import dev.r3.env.ParamSpec;
import dev.r3.env.Params;
import dev.r3.env.RewardFunction;
import dev.r3.env.TaskSpec;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Multi-digit addition: {@code 12+34=} answered {@code 46}. Each operand is uniform in [0,
 * 10^digits), so the default (2 digits, 2 terms) mixes 1- and 2-digit numbers: easy enough that a
 * short supervised warm-up gets part of it right, hard enough (carries) that RL has something to
 * improve.
 */
final class AddTask extends SingleTurnTask {
  static final String NAME = "add";
  static final String DESCRIPTION = "multi-digit addition: 12+34= -> 46";
  static final List<ParamSpec> PARAMS =
      List.of(
          ParamSpec.integer("digits", 2, 1, 9, "digits per operand"),
          ParamSpec.integer("terms", 2, 2, 5, "number of operands"));

  private final int digits;
  private final int terms;

  AddTask(Params params) {
    super(NAME, DESCRIPTION, params);
    this.digits = params.getInt("digits");
    this.terms = params.getInt("terms");
  }

  @Override
  Problem propose(SplittableRandom rng) {
    StringBuilder prompt = new StringBuilder();
    long sum = 0;
    for (int t = 0; t < terms; t++) {
      long x = rng.nextLong(pow10(digits));
      sum += x;
      prompt.append(t == 0 ? "" : "+").append(x);
    }
    return new Problem(prompt.append('=').toString(), Long.toString(sum));
  }

  @Override
  String oracleAnswer(TaskSpec task) {
    return task.expected();
  }

  @Override
  public int maxTokensPerTurn() {
    return digits + 1 + 2; // the longest sum (terms <= 10 adds one digit), plus EOS and one spare
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
