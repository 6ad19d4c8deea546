package dev.r3.actors.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.r3.actors.config.R3Config;
import dev.r3.actors.djl.DjlGenerators;
import dev.r3.actors.djl.DjlTrainer;
import dev.r3.actors.djl.ModelSizes;
import dev.r3.actors.ports.Backends;
import dev.r3.actors.run.Run;
import dev.r3.actors.run.RunFiles.RunSummary;
import dev.r3.actors.testkit.EchoTask;
import dev.r3.actors.testkit.Fixtures;
import dev.r3.model.CoreShare;
import dev.r3.model.CoreShare.Role;
import dev.r3.model.ModelWeights;
import dev.r3.model.RolloutPrecision;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code r3.threads.policy = shared} on the real DJL engines: the learner's trainer calls and the
 * rollout worker's engine calls compute in sections of one {@link CoreShare}, and in a synchronous
 * run (the workers wait for every new version while the learner trains) the learner gets both
 * cores.
 */
class SharedCoresPipelineTest {

  @TempDir Path tmp;

  @Test
  void synchronousRun_givesTheLearnerBothCoresWhileTheWorkersWait() throws Exception {
    R3Config c =
        Fixtures.config(
            tmp,
            "r3.experiment.total-steps=4",
            "r3.env.params.terms=3",
            "r3.rollout.group-size=8",
            "r3.rollout.workers=1",
            "r3.rollout.max-batch-rows=16",
            "r3.learner.batch-groups=4",
            "r3.learner.mini-steps=2",
            "r3.learner.staleness=0",
            "r3.eval.every=0",
            "r3.eval.size=10",
            "r3.checkpoint.every=0",
            "r3.threads.policy=shared",
            "r3.threads.cores=2",
            "r3.threads.linger=0ms",
            "r3.timeouts.generate=60s",
            "r3.watchdog.stall-timeout=60s");
    CoreShare cores = c.threads().share();
    assertThat(cores.policy()).isEqualTo(CoreShare.Policy.SHARED);
    Backends b =
        new Backends(
            EchoTask::new,
            new EchoTask.DigitTokenizer(),
            new DjlGenerators(RolloutPrecision.BF16, 0, cores),
            DjlTrainer.factory(cores),
            (dir, w, tokenizer, meta) -> Files.createDirectories(dir),
            ModelWeights.random(ModelSizes.of("tiny", EchoTask.VOCAB), 3));
    RunSummary s = Run.start(c, b, tmp.resolve("run")).await(Duration.ofSeconds(240));

    assertThat(s.ledger().closed()).as("ledger %s", s.ledger()).isTrue();
    assertThat(s.ledger().trained()).isEqualTo(4 * 4 * 8);
    // Per step: one score of pi_prox (R3 replay) and two mini-steps, all while the worker waits.
    assertThat(cores.sections(Role.LEARNER, 2))
        .as(
            "learner sections with both cores (by threads 0,1,2: learner %d %d %d, rollout %d %d %d)",
            cores.sections(Role.LEARNER, 0),
            cores.sections(Role.LEARNER, 1),
            cores.sections(Role.LEARNER, 2),
            cores.sections(Role.ROLLOUT, 0),
            cores.sections(Role.ROLLOUT, 1),
            cores.sections(Role.ROLLOUT, 2))
        .isGreaterThanOrEqualTo(4 * 3);
    assertThat(cores.sections(Role.ROLLOUT, 1) + cores.sections(Role.ROLLOUT, 2))
        .as("rollout slices computed in sections")
        .isPositive();
    assertThat(cores.sections(Role.LEARNER, 0)).as("nothing left to the fixed setting").isZero();
  }
}
