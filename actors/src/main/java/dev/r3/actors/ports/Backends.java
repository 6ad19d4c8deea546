package dev.r3.actors.ports;

import dev.r3.actors.chaos.Chaos;
import dev.r3.model.ModelWeights;

/**
 * Everything model- and environment-specific that a run plugs into the actors: the production
 * wiring is DJL plus an env module environment; tests plug in small pure-Java stand-ins.
 *
 * @param initialWeights version 0 of the policy (warm-started, or loaded from a checkpoint)
 * @param chaos the fault injection the backends were built with (a faulty environment counts into
 *     it); {@link Chaos#NONE} when off
 */
public record Backends(
    Task.Factory tasks,
    Tokenizer tokenizer,
    Generator.Factory generators,
    PolicyTrainer.Factory trainers,
    Checkpointer checkpointer,
    ModelWeights initialWeights,
    Chaos chaos) {

  public Backends(
      Task.Factory tasks,
      Tokenizer tokenizer,
      Generator.Factory generators,
      PolicyTrainer.Factory trainers,
      Checkpointer checkpointer,
      ModelWeights initialWeights) {
    this(tasks, tokenizer, generators, trainers, checkpointer, initialWeights, Chaos.NONE);
  }
}
