package dev.r3.actors.learning;

import dev.r3.actors.ports.Completion;
import dev.r3.actors.ports.Generator;
import dev.r3.actors.ports.Task;
import dev.r3.actors.ports.Tokenizer;
import dev.r3.env.Split;
import dev.r3.model.SamplingParams;
import dev.r3.model.rl.Advantages;
import java.util.ArrayList;
import java.util.List;

/**
 * The three things that happen to a group, as plain functions shared by the actors and by the
 * synchronous reference loop: build its prompt, generate its G samples, score them.
 */
public final class GroupWork {
  private GroupWork() {}

  public static int[] prompt(Task task, Tokenizer tokenizer, long episodeSeed) {
    return tokenizer.encodePrompt(task.prompt(episodeSeed, Split.TRAIN));
  }

  /** G samples of one prompt with one seed; sample j is the j-th sequence of the batch. */
  public static List<Trajectory> generate(
      Generator generator,
      long version,
      long groupId,
      long episodeSeed,
      int[] prompt,
      int samples,
      SamplingParams params,
      long samplingSeed) {
    List<int[]> prompts = new ArrayList<>(samples);
    for (int j = 0; j < samples; j++) {
      prompts.add(prompt);
    }
    List<Completion> out = generator.generate(prompts, params.withSeed(samplingSeed));
    if (out.size() != samples) {
      throw new IllegalStateException(
          "generator returned " + out.size() + " completions for " + samples + " prompts");
    }
    List<Trajectory> trajs = new ArrayList<>(samples);
    for (int j = 0; j < samples; j++) {
      Completion c = out.get(j);
      trajs.add(
          new Trajectory(
              groupId,
              j,
              episodeSeed,
              version,
              c.tokens(),
              c.promptLength(),
              c.logProbs(),
              c.routing(),
              c.stoppedAtEos()));
    }
    return trajs;
  }

  /**
   * Scores every sample; an environment exception becomes a failed verdict, never a lost
   * trajectory.
   */
  public static List<ScoredTrajectory> score(
      Task task, Tokenizer tokenizer, List<Trajectory> trajs) {
    List<ScoredTrajectory> out = new ArrayList<>(trajs.size());
    for (Trajectory t : trajs) {
      String text = tokenizer.decode(t.tokens(), t.promptLength(), t.tokens().length);
      Task.Verdict v;
      try {
        v = task.score(t.episodeSeed(), Split.TRAIN, text);
      } catch (RuntimeException e) {
        v = new Task.Verdict(0f, false, true, "env-error: " + e.getMessage());
      }
      out.add(new ScoredTrajectory(t, v.reward(), v.correct(), v.failed(), v.reason()));
    }
    return out;
  }

  /** What the buffer keeps of a scored group, or why it keeps nothing. */
  public record Admission(ScoredGroup kept, int failed, int allEqual) {}

  /**
   * Drops failed samples, then (dynamic sampling) the whole group when its rewards are all equal.
   */
  public static Admission admit(
      long groupId,
      long episodeSeed,
      long version,
      List<ScoredTrajectory> members,
      boolean dynamicSampling) {
    List<ScoredTrajectory> ok = new ArrayList<>();
    for (ScoredTrajectory m : members) {
      if (!m.failed()) {
        ok.add(m);
      }
    }
    int failed = members.size() - ok.size();
    if (ok.isEmpty()) {
      return new Admission(null, failed, 0);
    }
    float[] rewards = new float[ok.size()];
    for (int i = 0; i < rewards.length; i++) {
      rewards[i] = ok.get(i).reward();
    }
    if (dynamicSampling
        && (ok.size() < 2 || Advantages.group(rewards, Advantages.Scale.NONE, 0f).allEqual())) {
      return new Admission(null, failed, ok.size());
    }
    return new Admission(new ScoredGroup(groupId, episodeSeed, version, ok), failed, 0);
  }
}
