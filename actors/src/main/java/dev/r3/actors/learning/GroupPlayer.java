package dev.r3.actors.learning;

import dev.r3.actors.ports.Generator;
import dev.r3.actors.ports.Task;
import dev.r3.actors.ports.Tokenizer;
import dev.r3.env.Split;
import dev.r3.model.SamplingParams;
import java.util.ArrayList;
import java.util.List;

/**
 * How a rollout worker turns one group request into its G trajectories on one generator (so with
 * one version of the weights, every turn included): one batched call for a single-turn task, whole
 * episodes ({@link EpisodePlayer}) for a multi-turn one.
 */
@FunctionalInterface
public interface GroupPlayer {

  List<Trajectory> play(
      Generator generator,
      long version,
      long groupId,
      long episodeSeed,
      int[] prompt,
      int samples,
      long samplingSeed);

  /** One turn per sample: {@link GroupWork#generate}. */
  static GroupPlayer singleTurn(SamplingParams sampling) {
    return (g, version, groupId, episodeSeed, prompt, samples, samplingSeed) ->
        GroupWork.generate(
            g, version, groupId, episodeSeed, prompt, samples, sampling, samplingSeed);
  }

  /**
   * The player {@code task} needs: whole episodes when its rules allow more than one turn.
   *
   * @param task used from one thread at a time (a worker's batches run one after another)
   */
  static GroupPlayer of(
      Task task, Tokenizer tokenizer, SamplingParams sampling, EpisodePlayer.Budgets budgets) {
    if (!task.rules().multiTurn()) {
      return singleTurn(sampling);
    }
    EpisodePlayer episodes = new EpisodePlayer(task, tokenizer, budgets);
    return (g, version, groupId, episodeSeed, prompt, samples, samplingSeed) ->
        episodes(
            episodes, g, version, groupId, episodeSeed, prompt, samples, sampling, samplingSeed);
  }

  /** G episodes of one task with one seed; sample j is stream j. */
  static List<Trajectory> episodes(
      EpisodePlayer player,
      Generator g,
      long version,
      long groupId,
      long episodeSeed,
      int[] prompt,
      int samples,
      SamplingParams sampling,
      long samplingSeed) {
    List<EpisodePlayer.Start> starts = new ArrayList<>(samples);
    for (int j = 0; j < samples; j++) {
      starts.add(
          new EpisodePlayer.Start("g" + groupId + "-s" + j, episodeSeed, Split.TRAIN, prompt, j));
    }
    List<EpisodePlayer.Played> played = player.play(g, sampling.withSeed(samplingSeed), starts);
    List<Trajectory> out = new ArrayList<>(samples);
    for (int j = 0; j < samples; j++) {
      EpisodePlayer.Played p = played.get(j);
      out.add(
          new Trajectory(
              groupId,
              j,
              episodeSeed,
              version,
              p.tokens(),
              p.promptLength(),
              p.logProbs(),
              p.routing(),
              p.stoppedAtEos(),
              p.lossMask(),
              p.turns(),
              p.envFailure()));
    }
    return out;
  }
}
