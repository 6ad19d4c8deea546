package dev.r3.env.tasks;

import dev.r3.env.Outcome;
import dev.r3.env.ParamSpec;
import dev.r3.env.Params;
import dev.r3.env.Reasons;
import dev.r3.env.RewardFunction;
import dev.r3.env.TaskSpec;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Sort a list of digits: {@code sort 3142=} answered {@code 1234}. Digits may repeat. No
 * separators: each digit is one token, and the model learns counting, not parsing.
 */
final class SortTask extends SingleTurnTask {
  static final String NAME = "sort";
  static final String DESCRIPTION = "sort a list of digits: sort 3142= -> 1234";
  static final List<ParamSpec> PARAMS =
      List.of(ParamSpec.integer("length", 4, 2, 16, "digits in the list"));

  private final int length;

  SortTask(Params params) {
    super(NAME, DESCRIPTION, params);
    this.length = params.getInt("length");
  }

  @Override
  Problem propose(SplittableRandom rng) {
    char[] d = new char[length];
    for (int i = 0; i < length; i++) {
      d[i] = (char) ('0' + rng.nextInt(10));
    }
    String list = new String(d);
    Arrays.sort(d);
    return new Problem("sort " + list + "=", new String(d));
  }

  @Override
  String oracleAnswer(TaskSpec task) {
    return task.expected();
  }

  @Override
  public int maxTokensPerTurn() {
    return length + 2; // the sorted list, EOS, one spare
  }

  @Override
  public RewardFunction reward() {
    int max = maxTokensPerTurn();
    return (task, completion) -> {
      checkOwn(task);
      Outcome tooLong = Grading.tooLong(completion, max);
      if (tooLong != null) {
        return tooLong;
      }
      String a = completion.strip();
      if (a.isEmpty()) {
        return Outcome.zero("", Reasons.NO_ANSWER, "empty answer");
      }
      if (!a.chars().allMatch(c -> c >= '0' && c <= '9')) {
        return Outcome.zero(Grading.shown(a), Reasons.BAD_FORMAT, "expected digits only");
      }
      return a.equals(task.expected())
          ? Outcome.correct(a)
          : Outcome.zero(a, Reasons.WRONG_ANSWER, "expected " + task.expected());
    };
  }
}
