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

  /**
   * @param pieces receives each trajectory's routing record in pieces as the rollout produces them
   *     (sample j as j); the returned trajectories carry their whole records as well
   */
  List<Trajectory> play(
      Generator generator,
      long version,
      long groupId,
      long episodeSeed,
      int[] prompt,
      int samples,
      long samplingSeed,
      RoutingSink pieces);

  /** One turn per sample ({@link GroupWork#generate}): each record is one piece. */
  static GroupPlayer singleTurn(SamplingParams sampling) {
    return (g, version, groupId, episodeSeed, prompt, samples, samplingSeed, pieces) -> {
      List<Trajectory> out =
          GroupWork.generate(
              g, version, groupId, episodeSeed, prompt, samples, sampling, samplingSeed);
      for (Trajectory t : out) {
        pieces.piece(t.sample(), 0, t.routing());
      }
      return out;
    };
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
    return (g, version, groupId, episodeSeed, prompt, samples, samplingSeed, pieces) ->
        episodes(
            episodes,
            g,
            version,
            groupId,
            episodeSeed,
            prompt,
            samples,
            sampling,
            samplingSeed,
            pieces);
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
      long samplingSeed,
      RoutingSink pieces) {
    List<EpisodePlayer.Start> starts = new ArrayList<>(samples);
    for (int j = 0; j < samples; j++) {
      starts.add(
          new EpisodePlayer.Start("g" + groupId + "-s" + j, episodeSeed, Split.TRAIN, prompt, j));
    }
    List<EpisodePlayer.Played> played =
        player.play(g, sampling.withSeed(samplingSeed), starts, pieces);
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
