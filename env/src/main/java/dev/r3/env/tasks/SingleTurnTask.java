package dev.r3.env.tasks;

import dev.r3.env.Episode;
import dev.r3.env.Outcome;
import dev.r3.env.Params;
import dev.r3.env.TaskSpec;
import dev.r3.env.Turn;
import java.util.List;
import java.util.Optional;

/** A task answered in one turn: the episode's only step is graded by the reward function. */
abstract class SingleTurnTask extends TaskBase {

  SingleTurnTask(String name, String description, Params params) {
    super(name, description, params);
  }

  /** The correct completion for a task (without EOS). */
  abstract String oracleAnswer(TaskSpec task);

  @Override
  public final boolean multiTurn() {
    return false;
  }

  @Override
  public final int maxTurns() {
    return 1;
  }

  @Override
  public final Episode start(TaskSpec task) {
    checkOwn(task);
    return new OneStep(task);
  }

  @Override
  public final Optional<List<String>> oracle(TaskSpec task) {
    checkOwn(task);
    return Optional.of(List.of(oracleAnswer(task)));
  }

  private final class OneStep implements Episode {
    private final TaskSpec task;
    private Outcome outcome;

    OneStep(TaskSpec task) {
      this.task = task;
    }

    @Override
    public TaskSpec task() {
      return task;
    }

    @Override
    public String firstObservation() {
      return task.prompt();
    }

    @Override
    public Turn step(String modelOutput) {
      if (outcome != null) {
        throw new IllegalStateException(
            "single-turn episode of '" + name() + "' is over: " + outcome);
      }
      outcome = reward().score(task, modelOutput == null ? "" : modelOutput);
      return new Turn.Done(outcome);
    }

    @Override
    public Optional<Outcome> outcome() {
      return Optional.ofNullable(outcome);
    }
  }
}
