package dev.r3.actors.cluster;

import dev.r3.actors.ports.Generator;
import dev.r3.actors.ports.Task;
import dev.r3.actors.ports.Tokenizer;

/** What a rollout node needs of the run's backends: environments, tokenizer, rollout engines. */
public record RolloutBackends(
    Task.Factory tasks, Tokenizer tokenizer, Generator.Factory generators) {}
