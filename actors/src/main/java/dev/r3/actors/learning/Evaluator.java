package dev.r3.actors.learning;

import dev.r3.actors.ports.Generator;
import dev.r3.actors.ports.Task;
import dev.r3.actors.ports.Tokenizer;
import dev.r3.env.Seeds;
import dev.r3.env.Split;
import dev.r3.model.Generation;
import dev.r3.model.ModelWeights;
import dev.r3.model.SamplingParams;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Accuracy on the held-out split: the same {@code size} distinct held-out problems at every
 * evaluation of a run (each once: episode seeds that give a problem already drawn are skipped),
 * decoded near-greedily in one batch. A held-out split with fewer problems than {@code size} is
 * evaluated whole, and the result says how many problems that was.
 */
public final class Evaluator {
  /** Episode seeds tried per problem asked for before the split counts as exhausted. */
  static final int DRAWS_PER_PROBLEM = 20;

  private final Task.Factory tasks;
  private final Tokenizer tokenizer;
  private final Generator.Factory generators;
  private final long runSeed;
  private final int size;
  private final SamplingParams params;
  private final EpisodePlayer.Budgets budgets;
  private List<Long> problems; // drawn at the first evaluation

  public Evaluator(
      Task.Factory tasks,
      Tokenizer tokenizer,
      Generator.Factory generators,
      long runSeed,
      int size,
      SamplingParams params) {
    this(tasks, tokenizer, generators, runSeed, size, params, EpisodePlayer.Budgets.DEFAULT);
  }

  /**
   * @param budgets environment time budgets of multi-turn episodes (played whole)
   */
  public Evaluator(
      Task.Factory tasks,
      Tokenizer tokenizer,
      Generator.Factory generators,
      long runSeed,
      int size,
      SamplingParams params,
      EpisodePlayer.Budgets budgets) {
    this.budgets = budgets;
    this.tasks = tasks;
    this.tokenizer = tokenizer;
    this.generators = generators;
    this.runSeed = runSeed;
    this.size = size;
    this.params = params;
  }

  /**
   * @param accuracy fraction of correct answers; failed episodes count as wrong
   * @param episodes how many distinct held-out problems were evaluated (each once): {@code size},
   *     or fewer when the held-out split has fewer
   * @param turnsMean model turns per episode (1 for a single-turn task)
   */
  public record Result(
      long version,
      double accuracy,
      double rewardMean,
      int episodes,
      double seconds,
      double turnsMean) {
    public Result(long version, double accuracy, double rewardMean, int episodes, double seconds) {
      this(version, accuracy, rewardMean, episodes, seconds, 1.0);
    }
  }

  public Result evaluate(long version, ModelWeights weights) {
    long t0 = System.nanoTime();
    Task task = tasks.open();
    List<Long> seeds = problems(task);
    int n = seeds.size();
    List<int[]> prompts = new ArrayList<>(n);
    for (long seed : seeds) {
      prompts.add(tokenizer.encodePrompt(task.prompt(seed, Split.EVAL)));
    }
    List<Generation> out = new ArrayList<>(n);
    List<String> failures = new ArrayList<>(n);
    long turns = 0;
    try (Generator g = generators.open(weights)) {
      if (task.rules().multiTurn()) {
        List<EpisodePlayer.Start> starts = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          starts.add(
              new EpisodePlayer.Start("eval-" + i, seeds.get(i), Split.EVAL, prompts.get(i), i));
        }
        EpisodePlayer player = new EpisodePlayer(task, tokenizer, budgets);
        for (EpisodePlayer.Played p : player.play(g, params.withSeed(runSeed), starts)) {
          out.add(new Generation(p.tokens(), p.promptLength(), p.logProbs(), p.routing(), false));
          failures.add(p.envFailure());
          turns += p.turns();
        }
      } else {
        out = g.generate(prompts, params.withSeed(runSeed));
        turns = n;
        for (int i = 0; i < n; i++) {
          failures.add(null);
        }
      }
    }
    int correct = 0;
    double reward = 0;
    for (int i = 0; i < n; i++) {
      Generation c = out.get(i);
      Task.Verdict v;
      try {
        v =
            task.score(
                seeds.get(i),
                Split.EVAL,
                tokenizer.decode(c.tokens(), c.promptLength(), c.tokens().length));
      } catch (RuntimeException e) {
        v = new Task.Verdict(0f, false, true, "env-error");
      }
      correct += v.correct() && !v.failed() ? 1 : 0;
      reward += v.reward();
    }
    return new Result(
        version,
        (double) correct / n,
        reward / n,
        n,
        (System.nanoTime() - t0) / 1e9,
        n == 0 ? Double.NaN : (double) turns / n);
  }

  /**
   * The episode seeds of the first {@code size} distinct held-out problems (fewer when the split
   * runs out), drawn once and kept for every later evaluation.
   */
  private synchronized List<Long> problems(Task task) {
    if (problems == null) {
      List<Long> seeds = new ArrayList<>(size);
      Set<String> seen = new HashSet<>();
      long draws = (long) size * DRAWS_PER_PROBLEM;
      for (long i = 0; seeds.size() < size && i < draws; i++) {
        long seed = Seeds.evalEpisode(runSeed, (int) i);
        if (seen.add(task.prompt(seed, Split.EVAL))) {
          seeds.add(seed);
        }
      }
      problems = List.copyOf(seeds);
    }
    return problems;
  }
}
