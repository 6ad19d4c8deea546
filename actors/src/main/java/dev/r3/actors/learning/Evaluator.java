package dev.r3.actors.learning;

import dev.r3.actors.ports.Completion;
import dev.r3.actors.ports.Generator;
import dev.r3.actors.ports.Task;
import dev.r3.actors.ports.Tokenizer;
import dev.r3.env.Split;
import dev.r3.model.ModelWeights;
import dev.r3.model.SamplingParams;
import java.util.ArrayList;
import java.util.List;

/**
 * Accuracy on the held-out split: the same {@code size} episodes at every evaluation of a run,
 * decoded near-greedily in one batch.
 */
public final class Evaluator {
  private final Task.Factory tasks;
  private final Tokenizer tokenizer;
  private final Generator.Factory generators;
  private final long runSeed;
  private final int size;
  private final SamplingParams params;
  private final EpisodePlayer.Budgets budgets;

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
   * @param budgets environment time budgets of multi-turn episodes
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
    List<int[]> prompts = new ArrayList<>(size);
    long[] seeds = new long[size];
    for (int i = 0; i < size; i++) {
      seeds[i] = Seeds.evalEpisode(runSeed, i);
      prompts.add(tokenizer.encodePrompt(task.prompt(seeds[i], Split.EVAL)));
    }
    List<Completion> out = new ArrayList<>(size);
    List<String> failures = new ArrayList<>(size);
    long turns = 0;
    try (Generator g = generators.open(weights)) {
      if (task.rules().multiTurn()) {
        List<EpisodePlayer.Start> starts = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
          starts.add(new EpisodePlayer.Start("eval-" + i, seeds[i], Split.EVAL, prompts.get(i), i));
        }
        EpisodePlayer player = new EpisodePlayer(task, tokenizer, budgets);
        for (EpisodePlayer.Played p : player.play(g, params.withSeed(runSeed), starts)) {
          out.add(new Completion(p.tokens(), p.promptLength(), p.logProbs(), p.routing(), false));
          failures.add(p.envFailure());
          turns += p.turns();
        }
      } else {
        out = g.generate(prompts, params.withSeed(runSeed));
        turns = size;
        for (int i = 0; i < size; i++) {
          failures.add(null);
        }
      }
    }
    int correct = 0;
    double reward = 0;
    for (int i = 0; i < size; i++) {
      Completion c = out.get(i);
      Task.Verdict v;
      try {
        v =
            failures.get(i) != null
                ? new Task.Verdict(0f, false, true, failures.get(i))
                : task.score(
                    seeds[i],
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
        (double) correct / size,
        reward / size,
        size,
        (System.nanoTime() - t0) / 1e9,
        (double) turns / size);
  }
}
