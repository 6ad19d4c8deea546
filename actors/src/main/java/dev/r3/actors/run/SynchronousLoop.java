package dev.r3.actors.run;

import dev.r3.actors.config.R3Config;
import dev.r3.actors.learning.EpisodePlayer;
import dev.r3.actors.learning.GroupPlayer;
import dev.r3.actors.learning.GroupWork;
import dev.r3.actors.learning.RlStep;
import dev.r3.actors.learning.RoutingSink;
import dev.r3.actors.learning.ScoredGroup;
import dev.r3.actors.learning.StepStats;
import dev.r3.actors.learning.Trajectory;
import dev.r3.actors.pipeline.CrewActors;
import dev.r3.actors.ports.Backends;
import dev.r3.actors.ports.Generator;
import dev.r3.actors.ports.PolicyTrainer;
import dev.r3.actors.ports.Task;
import dev.r3.env.Seeds;
import dev.r3.model.ModelWeights;
import dev.r3.model.SamplingParams;
import java.util.ArrayList;
import java.util.List;

/**
 * The plain synchronous GRPO loop, one thread, no actors: generate groups in id order with the
 * current weights until B are kept, train M mini-steps, repeat. The reference that the actor
 * pipeline with eta = 0 must reproduce exactly (same trajectories, same weights) for the same seed.
 */
public final class SynchronousLoop {
  private SynchronousLoop() {}

  public record Result(List<StepStats> steps, ModelWeights weights) {}

  public static Result run(R3Config c, Backends b) {
    var r = c.rollout();
    long seed = c.experiment().seed();
    SamplingParams sampling = CrewActors.sampling(c, b.tokenizer().eosId());
    RlStep rlStep =
        new RlStep(c.algorithm(), c.learner().miniSteps(), c.metrics().routerDisagreement());
    Task task = b.tasks().open();
    GroupPlayer player = GroupPlayer.of(task, b.tokenizer(), sampling, EpisodePlayer.Budgets.of(c));
    List<StepStats> steps = new ArrayList<>();
    try (PolicyTrainer trainer = b.trainers().open(b.initialWeights(), c);
        PolicyTrainer reference =
            c.algorithm().klCoef() > 0 ? b.trainers().open(b.initialWeights(), c) : null) {
      ModelWeights weights = b.initialWeights();
      long nextGroup = 0;
      for (long version = 0; version < c.experiment().totalSteps(); version++) {
        List<ScoredGroup> batch = new ArrayList<>();
        try (Generator g = b.generators().open(weights)) {
          while (batch.size() < c.learner().batchGroups()) {
            long id = nextGroup++;
            long episode = Seeds.episode(seed, id);
            int[] prompt = GroupWork.prompt(task, b.tokenizer(), episode);
            List<Trajectory> trajs =
                player.play(
                    g,
                    version,
                    id,
                    episode,
                    prompt,
                    r.groupSize(),
                    Seeds.sampling(seed, id),
                    RoutingSink.NONE);
            GroupWork.Admission a =
                GroupWork.admit(
                    id,
                    episode,
                    version,
                    GroupWork.score(task, b.tokenizer(), trajs),
                    c.algorithm().dynamicSampling());
            if (a.kept() != null) {
              batch.add(a.kept());
            }
          }
        }
        steps.add(rlStep.run(trainer, reference, version, batch));
        weights = trainer.weights();
      }
      return new Result(steps, weights);
    }
  }
}
