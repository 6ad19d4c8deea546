package dev.r3.actors.djl;

import dev.r3.actors.chaos.Chaos;
import dev.r3.actors.chaos.ChaosLog;
import dev.r3.actors.chaos.ChaosSettings;
import dev.r3.actors.cluster.RolloutBackends;
import dev.r3.actors.config.R3Config;
import dev.r3.actors.ports.Backends;
import dev.r3.env.CharTokenizer;
import dev.r3.env.Environment;
import dev.r3.env.Environments;
import dev.r3.env.FaultyEnvironment;
import dev.r3.env.GuardedEnvironment;
import dev.r3.env.Plugins;
import dev.r3.model.CoreShare;
import dev.r3.model.ModelWeights;
import dev.r3.model.io.Checkpoint;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;

/**
 * The real wiring: an env-module environment, the character tokenizer, DJL rollout engines and
 * trainer.
 */
public final class ProductionBackends {
  private ProductionBackends() {}

  /** A config whose {@code max-new-tokens = 0} is resolved to the environment's limit per turn. */
  public static R3Config resolve(R3Config c) {
    if (c.rollout().maxNewTokens() > 0) {
      return c;
    }
    Environment env = Environments.create(c.env().name(), c.env().params());
    return c.with("r3.rollout.max-new-tokens", env.maxTokensPerTurn());
  }

  /**
   * What a rollout node needs (environments, tokenizer, engines): no warm start and no weights,
   * which come from the learner. The run's plugin jars ({@code r3.env.plugins}: on a rollout node,
   * this machine's copies of the learner's jars, checked against their SHA-256 or fetched from the
   * learner before this is called) are loaded here first: a missing or broken one fails at start
   * naming it ({@link dev.r3.env.EnvConfigException}).
   */
  public static RolloutBackends rollouts(R3Config c) {
    Plugins.load(c.env().plugins().stream().map(Path::of).toList());
    Environment env = Environments.create(c.env().name(), c.env().params());
    return new RolloutBackends(
        () -> new EnvTask(GuardedEnvironment.wrap(env)),
        new EnvTokenizer(CharTokenizer.standard()),
        new DjlGenerators(
            c.rollout().precision(),
            (long) c.rollout().prefixCacheMb() << 20,
            c.threads().share()));
  }

  /**
   * Builds the backends of a run; the initial weights come from {@code r3.model.init-checkpoint},
   * or the (cached) warm start, or, with warm start off, a random model.
   */
  public static Backends build(R3Config c, PrintStream log) throws IOException {
    Environment env = Environments.create(c.env().name(), c.env().params());
    if (env.multiTurn()) {
      log.println(
          "episodes: "
              + env.name()
              + " is multi-turn: up to "
              + env.maxTurns()
              + " turns of "
              + env.maxTokensPerTurn()
              + " tokens, stopping at EOS or "
              + env.stopTokens());
    }
    CharTokenizer tok = CharTokenizer.standard();
    ModelWeights init;
    if (!c.model().initCheckpoint().isBlank()) {
      init = Checkpoint.load(Path.of(c.model().initCheckpoint()));
      log.println("initial weights: " + c.model().initCheckpoint());
    } else if (c.warmStart().enabled()) {
      init = WarmStart.loadOrTrain(c, env, tok, log);
    } else {
      init = ModelWeights.random(ModelSizes.of(c.model(), tok.vocabSize()), c.experiment().seed());
      log.println("initial weights: random (warm start off)");
    }
    if (init.config().vocabSize() != tok.vocabSize()) {
      throw new IllegalArgumentException(
          "initial weights have vocab_size "
              + init.config().vocabSize()
              + ", the tokenizer has "
              + tok.vocabSize());
    }
    ChaosSettings cs = c.chaos();
    Chaos chaos = cs.enabled() ? new Chaos(cs, new ChaosLog()) : Chaos.NONE;
    Environment guarded;
    if (cs.faultyEnvironment()) {
      FaultyEnvironment.Rates rates =
          new FaultyEnvironment.Rates(
              cs.envThrow(),
              cs.envTimeout(),
              cs.envMalformed(),
              cs.envAbsurdReward(),
              cs.envBudget().multipliedBy(2));
      GuardedEnvironment g =
          GuardedEnvironment.wrap(
              new FaultyEnvironment(env, rates, cs.seed(), chaos.log()::injected), cs.envBudget());
      chaos.log().guard(g.stats());
      guarded = g;
      log.println("chaos: faulty environment " + rates + " under a " + cs.envBudget() + " guard");
    } else {
      guarded = GuardedEnvironment.wrap(env, c.env().callTimeout());
    }
    CoreShare cores = c.threads().share(); // one per JVM: the learner and its workers share it
    return new Backends(
        () -> new EnvTask(guarded),
        new EnvTokenizer(tok),
        new DjlGenerators(c.rollout().precision(), (long) c.rollout().prefixCacheMb() << 20, cores),
        DjlTrainer.factory(cores),
        CheckpointFiles.writer(),
        init,
        chaos);
  }
}
