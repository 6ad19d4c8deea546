package dev.r3.actors.learning;

import dev.r3.actors.ports.Generator;
import dev.r3.actors.ports.Task;
import dev.r3.actors.ports.Tokenizer;
import dev.r3.env.Split;
import dev.r3.model.Generation;
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
    List<Generation> out = generator.generate(prompts, params.withSeed(samplingSeed));
    if (out.size() != samples) {
      throw new IllegalStateException(
          "generator returned " + out.size() + " completions for " + samples + " prompts");
    }
    return trajectories(groupId, episodeSeed, version, out);
  }

  /** Sample j of group {@code groupId} is completion j, stamped with {@code version}. */
  public static List<Trajectory> trajectories(
      long groupId, long episodeSeed, long version, List<Generation> completions) {
    List<Trajectory> trajs = new ArrayList<>(completions.size());
    for (int j = 0; j < completions.size(); j++) {
      Generation c = completions.get(j);
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

  /** Reason prefix of a sample the rollout engine got wrong (dropped as {@code invalid_sample}). */
  public static final String INVALID = "invalid-sample: ";

  /**
   * Scores every sample; an environment exception or a non-finite reward becomes a failed verdict,
   * never a lost trajectory. A sample the learner could not use (a non-finite log-probability, a
   * token outside the vocabulary, log-probabilities that do not cover the response) is not scored
   * at all: it is marked failed with a reason starting {@link #INVALID}.
   */
  public static List<ScoredTrajectory> score(
      Task task, Tokenizer tokenizer, List<Trajectory> trajs) {
    List<ScoredTrajectory> out = new ArrayList<>(trajs.size());
    for (Trajectory t : trajs) {
      String bad = invalid(t, tokenizer.vocabSize());
      if (bad != null) {
        out.add(new ScoredTrajectory(t, 0f, false, true, INVALID + bad));
        continue;
      }
      if (t.envFailure() != null) {
        out.add(new ScoredTrajectory(t, 0f, false, true, t.envFailure()));
        continue;
      }
      String text = tokenizer.decode(t.tokens(), t.promptLength(), t.tokens().length);
      Task.Verdict v;
      try {
        v = task.score(t.episodeSeed(), Split.TRAIN, text);
        if (!Float.isFinite(v.reward()) && !v.failed()) {
          v = new Task.Verdict(0f, false, true, "env-error: non-finite reward " + v.reward());
        }
      } catch (RuntimeException e) {
        v = new Task.Verdict(0f, false, true, "env-error: " + e.getMessage());
      }
      out.add(new ScoredTrajectory(t, v.reward(), v.correct(), v.failed(), v.reason()));
    }
    return out;
  }

  /** Why the learner cannot use {@code t}, or null when it can. */
  public static String invalid(Trajectory t, int vocabSize) {
    int[] tokens = t.tokens();
    if (t.promptLength() < 1 || t.promptLength() >= tokens.length) {
      return "prompt length " + t.promptLength() + " for " + tokens.length + " tokens";
    }
    if (t.logProbs() == null || t.logProbs().length != tokens.length - t.promptLength()) {
      return (t.logProbs() == null ? "no" : t.logProbs().length)
          + " log-probabilities for "
          + (tokens.length - t.promptLength())
          + " generated tokens";
    }
    if (t.lossMask() != null && t.lossMask().length != tokens.length) {
      return "loss mask of " + t.lossMask().length + " entries for " + tokens.length + " tokens";
    }
    for (int i = 0; i < tokens.length; i++) {
      if (tokens[i] < 0 || tokens[i] >= vocabSize) {
        return "token " + tokens[i] + " at " + i + " outside the vocabulary [0, " + vocabSize + ")";
      }
    }
    for (int i = 0; i < t.logProbs().length; i++) {
      float lp = t.logProbs()[i];
      if (!Float.isFinite(lp)) {
        return "log-probability " + lp + " at generated token " + i;
      }
    }
    return null;
  }

  /**
   * What the buffer keeps of a scored group, or why it keeps nothing.
   *
   * @param failed samples whose environment failed ({@code failed_episode})
   * @param invalid samples the rollout engine got wrong ({@code invalid_sample})
   */
  public record Admission(ScoredGroup kept, int failed, int allEqual, int invalid) {}

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
    int invalid = 0;
    for (ScoredTrajectory m : members) {
      if (!m.failed()) {
        ok.add(m);
      } else if (m.reason() != null && m.reason().startsWith(INVALID)) {
        invalid++;
      }
    }
    int failed = members.size() - ok.size() - invalid;
    if (ok.isEmpty()) {
      return new Admission(null, failed, 0, invalid);
    }
    float[] rewards = new float[ok.size()];
    for (int i = 0; i < rewards.length; i++) {
      rewards[i] = ok.get(i).reward();
    }
    if (dynamicSampling
        && (ok.size() < 2 || Advantages.group(rewards, Advantages.Scale.NONE, 0f).allEqual())) {
      return new Admission(null, failed, ok.size(), invalid);
    }
    return new Admission(new ScoredGroup(groupId, episodeSeed, version, ok), failed, 0, invalid);
  }
}
