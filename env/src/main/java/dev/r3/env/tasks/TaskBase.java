package dev.r3.env.tasks;

import dev.r3.env.CharTokenizer;
import dev.r3.env.Environment;
import dev.r3.env.Params;
import dev.r3.env.Seeds;
import dev.r3.env.Split;
import dev.r3.env.TaskSpec;
import java.util.SplittableRandom;

/**
 * What every built-in task shares: a name, checked parameters, and seeded problem sampling that
 * respects the split.
 *
 * <p>Sampling: a random stream derived from (seed, split) proposes problems until one falls into
 * the requested split ({@link Split#of} hashes the prompt). Train takes about 1.25 proposals on
 * average, eval about 5.
 */
abstract class TaskBase implements Environment {
  /** Proposals before giving up: only reached when the settings leave a split empty. */
  private static final int MAX_PROPOSALS = 10_000;

  /** Token counting for length limits; the shared vocabulary of all built-in tasks. */
  static final CharTokenizer TOKENS = CharTokenizer.standard();

  private final String name;
  private final String description;
  final Params params;

  TaskBase(String name, String description, Params params) {
    this.name = name;
    this.description = description;
    this.params = params;
  }

  /** Proposes a problem; may return null to reject the draw. */
  abstract Problem propose(SplittableRandom rng);

  @Override
  public final String name() {
    return name;
  }

  @Override
  public final String description() {
    return description;
  }

  @Override
  public final TaskSpec task(long seed, Split split) {
    SplittableRandom rng = new SplittableRandom(Seeds.derive(seed, split.ordinal()));
    for (int attempt = 0; attempt < MAX_PROPOSALS; attempt++) {
      Problem p = propose(rng);
      if (p != null && Split.of(p.prompt()) == split) {
        return new TaskSpec(name, split, seed, p.prompt(), p.expected(), p.data());
      }
    }
    throw new IllegalStateException(
        "environment '"
            + name
            + "' found no "
            + split
            + " problem in "
            + MAX_PROPOSALS
            + " proposals with parameters "
            + params
            + "; the problem space is too small");
  }

  /** A task from another environment is a caller bug, not model output. */
  final void checkOwn(TaskSpec task) {
    if (!name.equals(task.env())) {
      throw new IllegalArgumentException(
          "environment '" + name + "' was given a task of '" + task.env() + "'");
    }
  }

  @Override
  public String toString() {
    return name + params;
  }

  static int pow10(int digits) {
    int p = 1;
    for (int i = 0; i < digits; i++) {
      p *= 10;
    }
    return p;
  }
}
