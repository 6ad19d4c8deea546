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

  public Evaluator(
      Task.Factory tasks,
      Tokenizer tokenizer,
      Generator.Factory generators,
      long runSeed,
      int size,
      SamplingParams params) {
    this.tasks = tasks;
    this.tokenizer = tokenizer;
    this.generators = generators;
    this.runSeed = runSeed;
    this.size = size;
    this.params = params;
  }

  /**
   * @param accuracy fraction of correct answers; failed episodes count as wrong
   */
  public record Result(
      long version, double accuracy, double rewardMean, int episodes, double seconds) {}

  public Result evaluate(long version, ModelWeights weights) {
    long t0 = System.nanoTime();
    Task task = tasks.open();
    List<int[]> prompts = new ArrayList<>(size);
    long[] seeds = new long[size];
    for (int i = 0; i < size; i++) {
      seeds[i] = Seeds.evalEpisode(runSeed, i);
      prompts.add(tokenizer.encodePrompt(task.prompt(seeds[i], Split.EVAL)));
    }
    List<Generation> out;
    try (Generator g = generators.open(weights)) {
      out = g.generate(prompts, params.withSeed(runSeed));
    }
    int correct = 0;
    double reward = 0;
    for (int i = 0; i < size; i++) {
      Generation c = out.get(i);
      Task.Verdict v;
      try {
        v =
            task.score(
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
        version, (double) correct / size, reward / size, size, (System.nanoTime() - t0) / 1e9);
  }
}
