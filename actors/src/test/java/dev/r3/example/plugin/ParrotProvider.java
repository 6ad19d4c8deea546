package dev.r3.example.plugin;

import dev.r3.env.Environment;
import dev.r3.env.EnvironmentProvider;
import dev.r3.env.Episode;
import dev.r3.env.Outcome;
import dev.r3.env.ParamSpec;
import dev.r3.env.RewardFunction;
import dev.r3.env.Split;
import dev.r3.env.TaskSpec;
import dev.r3.env.Turn;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An environment plugin written against the public SPI only (nothing from dev.r3.env.tasks): a tool
 * that repeats what it is given. {@code parrot 42=}: the model may call {@code <calc>42</calc>},
 * the tool answers {@code <result>42</result>}, and the final turn must say {@code 42}. Packed into
 * a jar by the test with its own {@code META-INF/services} entry; not registered on the class path.
 */
public final class ParrotProvider implements EnvironmentProvider {
  @Override
  public String name() {
    return "parrot";
  }

  @Override
  public String description() {
    return "a plugin tool that repeats its input: <calc>42</calc> -> <result>42</result>";
  }

  @Override
  public List<ParamSpec> parameters() {
    return List.of();
  }

  @Override
  public Environment create(Map<String, String> params) {
    return new Parrot();
  }

  static final class Parrot implements Environment {
    @Override
    public String name() {
      return "parrot";
    }

    @Override
    public String description() {
      return "repeat a number through a tool";
    }

    @Override
    public boolean multiTurn() {
      return true;
    }

    @Override
    public int maxTurns() {
      return 2;
    }

    @Override
    public int maxTokensPerTurn() {
      return 6;
    }

    @Override
    public List<String> stopTokens() {
      return List.of("</calc>");
    }

    @Override
    public TaskSpec task(long seed, Split split) {
      for (long s = seed; ; s++) {
        String n = Long.toString(Math.floorMod(s * 7919, 100));
        String prompt = "parrot " + n + "=";
        if (Split.of(prompt) == split) {
          return new TaskSpec("parrot", split, seed, prompt, n, "");
        }
      }
    }

    @Override
    public Episode start(TaskSpec task) {
      return new Episode() {
        private Outcome outcome;

        @Override
        public TaskSpec task() {
          return task;
        }

        @Override
        public String firstObservation() {
          return task.prompt();
        }

        @Override
        public Turn step(String out) {
          if (out.startsWith("<calc>") && out.endsWith("</calc>") && outcome == null) {
            return new Turn.Continue("<result>" + out.substring(6, out.length() - 7) + "</result>");
          }
          outcome = grade(task, out);
          return new Turn.Done(outcome);
        }

        @Override
        public Optional<Outcome> outcome() {
          return Optional.ofNullable(outcome);
        }
      };
    }

    @Override
    public RewardFunction reward() {
      return (task, transcript) -> {
        int r = transcript.lastIndexOf("</result>");
        return grade(task, r < 0 ? transcript : transcript.substring(r + 9));
      };
    }

    @Override
    public Optional<List<String>> oracle(TaskSpec task) {
      return Optional.of(List.of("<calc>" + task.expected() + "</calc>", task.expected()));
    }

    private static Outcome grade(TaskSpec task, String answer) {
      return answer.strip().equals(task.expected())
          ? Outcome.correct(answer.strip())
          : Outcome.zero(answer.strip(), "wrong_answer", "expected " + task.expected());
    }
  }
}
