package dev.r3.actors.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Configs with every kind of wrong value, counted: wrong types, values out of range, unknown enum
 * names, empty strings, bad durations, unknown keys, settings that contradict each other, malformed
 * files and overrides. Each fails at load with an IllegalArgumentException naming the key (or the
 * file), so a run never starts on a setting it would misread.
 */
class BadConfigInputTest {
  @TempDir Path tmp;

  /** A bad setting and what the error must name. */
  record Case(List<String> sets, String names) {
    static Case of(String set, String names) {
      return new Case(List.of(set), names);
    }
  }

  static List<Case> cases() {
    List<Case> c = new ArrayList<>();
    // wrong types
    c.add(Case.of("experiment.total-steps=abc", "r3.experiment.total-steps"));
    c.add(Case.of("experiment.total-steps=1.5", "r3.experiment.total-steps"));
    c.add(Case.of("experiment.seed=x", "r3.experiment.seed"));
    c.add(Case.of("experiment.progress-bar=maybe", "r3.experiment.progress-bar"));
    c.add(Case.of("learner.batch-groups=[1, 2]", "r3.learner.batch-groups"));
    c.add(Case.of("learner.lr=abc", "r3.learner.lr"));
    c.add(Case.of("learner.lr=NaN", "r3.learner.lr"));
    c.add(Case.of("rollout.temperature=hot", "r3.rollout.temperature"));
    c.add(Case.of("timeouts.ask=soon", "r3.timeouts.ask"));
    c.add(Case.of("timeouts.generate=10 parsecs", "r3.timeouts.generate"));
    c.add(Case.of("metrics.router-disagreement=2", "r3.metrics.router-disagreement"));
    c.add(Case.of("learner.batch-groups=4.5", "r3.learner.batch-groups"));
    // empty strings
    c.add(Case.of("experiment.name=\"\"", "r3.experiment.name"));
    c.add(Case.of("experiment.out-dir=\"\"", "r3.experiment.out-dir"));
    c.add(Case.of("env.name=\"\"", "r3.env.name"));
    c.add(Case.of("warm-start.cache-dir=\"\"", "r3.warm-start.cache-dir"));
    // out of range
    for (String s :
        List.of(
            "experiment.total-steps=0",
            "experiment.total-steps=-5",
            "warm-start.steps=-1",
            "warm-start.batch-size=0",
            "warm-start.corpus-size=0",
            "warm-start.lr=0",
            "rollout.workers=0",
            "rollout.group-size=1",
            "rollout.temperature=0",
            "rollout.temperature=-1",
            "rollout.top-p=0",
            "rollout.top-p=1.5",
            "rollout.max-new-tokens=-1",
            "algorithm.clip-low=1.5",
            "algorithm.clip-low=-0.1",
            "algorithm.clip-high=-1",
            "algorithm.tis.cap=0",
            "algorithm.kl-coef=-0.1",
            "algorithm.advantage-eps=0",
            "learner.batch-groups=0",
            "learner.mini-steps=0",
            "learner.staleness=-1",
            "learner.lr=0",
            "learner.lr=-1e-3",
            "learner.weight-decay=-1",
            "learner.max-grad-norm=0",
            "eval.every=-1",
            "eval.size=0",
            "eval.temperature=0",
            "checkpoint.every=-1",
            "timeouts.ask=0s",
            "timeouts.env=-1s",
            "timeouts.step=0ms",
            "timeouts.shutdown=0s",
            "timeouts.group-lease=0s",
            "faults.max-retries=-1",
            "faults.backoff-min=0s",
            "faults.backoff-random=1.5",
            "faults.backoff-random=-0.5",
            "watchdog.interval=0s",
            "watchdog.stall-timeout=-2s",
            "metrics.prometheus-port=70000",
            "metrics.prometheus-port=-1")) {
      c.add(Case.of(s, "r3." + s.substring(0, s.indexOf('='))));
    }
    // unknown names
    c.add(Case.of("model.size=huge", "r3.model.size"));
    c.add(Case.of("rollout.precision=fp4", "r3.rollout.precision"));
    c.add(Case.of("algorithm.name=ppo", "r3.algorithm.name"));
    c.add(Case.of("algorithm.routing=r4", "r3.algorithm.routing"));
    // unknown keys (typos)
    c.add(Case.of("learner.ministeps=2", "r3.learner.ministeps"));
    c.add(Case.of("experiment.nmae=x", "r3.experiment.nmae"));
    c.add(Case.of("r3.foo.bar=1", "r3.foo.bar"));
    // settings that contradict each other
    c.add(
        new Case(
            List.of("algorithm.tis.enabled=on", "algorithm.mis.enabled=on"),
            "r3.algorithm.mis.enabled"));
    c.add(
        new Case(
            List.of(
                "algorithm.tis.enabled=off", "algorithm.mis.enabled=on", "algorithm.mis.low=1.5"),
            "r3.algorithm.mis.low"));
    c.add(
        new Case(
            List.of("learner.batch-groups=1", "rollout.group-size=2", "learner.mini-steps=3"),
            "r3.learner.mini-steps"));
    c.add(
        new Case(
            List.of("faults.backoff-min=2s", "faults.backoff-max=1s"), "r3.faults.backoff-max"));
    // malformed overrides
    c.add(Case.of("learner.mini-steps", "key=value"));
    c.add(Case.of("=3", "key=value"));
    return c;
  }

  @Test
  void everyWrongValue_failsAtLoad_namingItsKey() {
    List<Case> cases = cases();
    List<String> wrong = new ArrayList<>();
    for (Case k : cases) {
      Throwable t = catchThrowable(() -> ConfigLoader.load(null, k.sets()));
      if (!(t instanceof IllegalArgumentException)
          || t.getMessage() == null
          || !t.getMessage().contains(k.names())) {
        wrong.add(k.sets() + ": expected an error naming " + k.names() + ", got " + t);
      }
    }
    assertThat(wrong).isEmpty();
    assertThat(cases).hasSizeGreaterThanOrEqualTo(70);
  }

  @Test
  void malformedFiles_failNamingTheFile() throws Exception {
    Path syntax = tmp.resolve("syntax.conf");
    Files.writeString(syntax, "r3 { learner { lr = 1e-3 \n");
    Path include = tmp.resolve("include.conf");
    Files.writeString(include, "include required(\"missing-base.conf\")\n");
    Path value = tmp.resolve("value.conf");
    Files.writeString(value, "r3.learner.mini-steps = zero\n");
    for (Path f : List.of(syntax, include, value, tmp.resolve("absent.conf"))) {
      Throwable t = catchThrowable(() -> ConfigLoader.load(f, List.of()));
      assertThat(t).as(f.toString()).isInstanceOf(IllegalArgumentException.class);
      assertThat(t.getMessage())
          .as(f.toString())
          .containsAnyOf(f.getFileName().toString(), "r3.learner.mini-steps");
    }
  }
}
