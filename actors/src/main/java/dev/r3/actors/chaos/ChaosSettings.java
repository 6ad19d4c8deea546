package dev.r3.actors.chaos;

import com.typesafe.config.Config;
import dev.r3.actors.config.ConfigReader;
import java.time.Duration;

/**
 * The {@code r3.chaos} section: fault injection for the chaos experiment ({@code
 * config/chaos.conf}). Off by default; every rate is a probability per event.
 *
 * @param killsPerStep probability, at each learner step, that a rollout worker is killed
 * @param killMaxDelay the kill lands at a uniformly random moment within this delay after the step
 * @param staleGroups probability that a finished group is held back until it is past the staleness
 *     bound
 * @param envThrow probability that a reward call throws
 * @param envTimeout probability that a reward call hangs past {@code envBudget}
 * @param envMalformed probability that a reward call returns no outcome
 * @param envAbsurdReward probability that a reward call reports NaN, 1e30 or a negative reward
 * @param envBudget the environment guard's time budget per call while chaos is on
 * @param corruptFrames probability that a worker's result frame is corrupted on the Kryo wire
 * @param learnerFailureStep the learner fails once at this step; 0 = never
 */
public record ChaosSettings(
    boolean enabled,
    long seed,
    double killsPerStep,
    Duration killMaxDelay,
    double staleGroups,
    double envThrow,
    double envTimeout,
    double envMalformed,
    double envAbsurdReward,
    Duration envBudget,
    double corruptFrames,
    int learnerFailureStep) {

  public static final ChaosSettings OFF =
      new ChaosSettings(false, 0, 0, Duration.ZERO, 0, 0, 0, 0, 0, Duration.ofSeconds(5), 0, 0);

  /** Reads and validates {@code r3.chaos} (keys named in every error). */
  public static ChaosSettings from(Config root) {
    ConfigReader r = ConfigReader.of(root);
    ChaosSettings s =
        new ChaosSettings(
            r.bool("r3.chaos.enabled"),
            r.longValue("r3.chaos.seed"),
            r.inRange("r3.chaos.worker-kills.per-step", 0, 1),
            r.durationOrZero("r3.chaos.worker-kills.max-delay"),
            r.inRange("r3.chaos.stale-groups", 0, 1),
            r.inRange("r3.chaos.env.throw", 0, 1),
            r.inRange("r3.chaos.env.timeout", 0, 1),
            r.inRange("r3.chaos.env.malformed", 0, 1),
            r.inRange("r3.chaos.env.absurd-reward", 0, 1),
            r.duration("r3.chaos.env.budget"),
            r.inRange("r3.chaos.corrupt-frames", 0, 1),
            r.atLeast("r3.chaos.learner-failure-step", 0));
    double env = s.envThrow + s.envTimeout + s.envMalformed + s.envAbsurdReward;
    if (env > 1) {
      throw new IllegalArgumentException(
          "r3.chaos.env rates (throw + timeout + malformed + absurd-reward) must sum to <= 1, got "
              + env);
    }
    return s;
  }

  /** Whether workers are killed at all (chaos on and a non-zero interval). */
  public boolean killsWorkers() {
    return enabled && killsPerStep > 0;
  }

  public boolean faultyEnvironment() {
    return enabled && envThrow + envTimeout + envMalformed + envAbsurdReward > 0;
  }
}
