package dev.r3.env.tasks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.r3.env.CharTokenizer;
import dev.r3.env.Environment;
import dev.r3.env.Environments;
import dev.r3.env.Episode;
import dev.r3.env.Outcome;
import dev.r3.env.SftExample;
import dev.r3.env.Split;
import dev.r3.env.TaskSpec;
import dev.r3.env.Turn;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.GenerationMode;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/** Properties every built-in task must have, checked for all of them with default settings. */
class BuiltinTaskProperties {
  static final List<String> NAMES = List.of("add", "mul", "sort", "countdown", "calc", "lookup");

  static Environment env(String name) {
    return Environments.create(name, Map.of());
  }

  /** Plays the given model turns; returns the final outcome (fails if the episode does not end). */
  static Outcome play(Environment env, TaskSpec task, List<String> turns) {
    Episode e = env.start(task);
    for (String t : turns) {
      Turn turn = e.step(t);
      if (turn instanceof Turn.Done d) {
        assertThat(e.outcome()).contains(d.outcome());
        return d.outcome();
      }
    }
    throw new AssertionError("episode did not end after " + turns);
  }

  @Provide
  Arbitrary<String> names() {
    return Arbitraries.of(NAMES);
  }

  @Provide
  Arbitrary<Split> splits() {
    return Arbitraries.of(Split.values());
  }

  @Property(tries = 400)
  void oracle_alwaysScoresOne(
      @ForAll("names") String name, @ForAll long seed, @ForAll("splits") Split split) {
    Environment env = env(name);
    TaskSpec task = env.task(seed, split);
    List<String> turns = env.oracle(task).orElseThrow();
    Outcome o = play(env, task, turns);
    assertThat(o.reward()).as("%s on %s: %s", turns, task, o).isEqualTo(1.0);
    assertThat(o.isCorrect()).isTrue();
  }

  @Property(tries = 400)
  void oracle_scoresOneThroughRewardFunctionAlone(@ForAll("names") String name, @ForAll long seed) {
    Environment env = env(name);
    TaskSpec task = env.task(seed, Split.TRAIN);
    SftExample ex = SftExample.fromOracle(env, task);
    // The reward actor sees only the spec and the completion transcript.
    assertThat(env.reward().score(task, ex.completionText()).reward()).isEqualTo(1.0);
  }

  @Property(tries = 400)
  void oracle_fitsTheTurnTokenLimit(@ForAll("names") String name, @ForAll long seed) {
    Environment env = env(name);
    TaskSpec task = env.task(seed, Split.TRAIN);
    for (String turn : env.oracle(task).orElseThrow()) {
      // the turn plus its EOS (or stop token already inside it) must fit
      assertThat(CharTokenizer.standard().length(turn) + 1)
          .isLessThanOrEqualTo(env.maxTokensPerTurn());
    }
    assertThat(env.oracle(task).orElseThrow()).hasSizeLessThanOrEqualTo(env.maxTurns());
  }

  @Property(tries = 600)
  void mutatedAnswer_scoresLessThanOne(
      @ForAll("names") String name,
      @ForAll long seed,
      @ForAll @IntRange(min = 0, max = 5) int kind,
      @ForAll @IntRange(min = 1, max = 9) int digit) {
    Environment env = env(name);
    TaskSpec task = env.task(seed, Split.TRAIN);
    List<String> turns = new ArrayList<>(env.oracle(task).orElseThrow());
    String answer = turns.get(turns.size() - 1);
    turns.set(turns.size() - 1, Mutations.mutate(name, answer, kind, digit));
    Outcome o = play(env, task, turns);
    assertThat(o.reward()).as("mutated %s -> %s on %s", answer, turns, task).isLessThan(1.0);
    assertThat(o.failed()).isFalse();
  }

  @Property(tries = 300)
  void sameSeed_givesSameEpisode(
      @ForAll("names") String name, @ForAll long seed, @ForAll("splits") Split split) {
    TaskSpec a = env(name).task(seed, split);
    TaskSpec b = env(name).task(seed, split);
    assertThat(a).isEqualTo(b);
    assertThat(env(name).start(seed, split).firstObservation()).isEqualTo(a.prompt());
    assertThat(env(name).oracle(a)).isEqualTo(env(name).oracle(b));
  }

  @Property(tries = 10)
  void seeds_giveVariedProblems(@ForAll long base) {
    for (String name : NAMES) {
      Environment env = env(name);
      Set<String> prompts = new HashSet<>();
      for (int i = 0; i < 50; i++) {
        prompts.add(env.task(base + i, Split.TRAIN).prompt());
      }
      assertThat(prompts).as(name).hasSizeGreaterThan(30);
    }
  }

  @Property(tries = 300)
  void task_isInTheRequestedSplit(
      @ForAll("names") String name, @ForAll long seed, @ForAll("splits") Split split) {
    TaskSpec t = env(name).task(seed, split);
    assertThat(t.split()).isEqualTo(split);
    assertThat(Split.of(t.prompt())).isEqualTo(split);
    assertThat(t.env()).isEqualTo(name);
    assertThat(t.seed()).isEqualTo(seed);
  }

  @Property(tries = 300)
  void prompts_useOnlyTheSharedVocabulary(@ForAll("names") String name, @ForAll long seed) {
    Environment env = env(name);
    SftExample ex = SftExample.fromOracle(env, env.task(seed, Split.EVAL));
    CharTokenizer.standard().encode(ex.text()); // throws on an unknown character
    assertThat(CharTokenizer.standard().encodePrompt(ex.prompt()).length).isLessThanOrEqualTo(32);
  }

  /** Any text, including tool tokens and junk, ends in a valid outcome; nothing is thrown. */
  @Property(tries = 1500)
  void malformedOutput_neverThrows(
      @ForAll("names") String name, @ForAll long seed, @ForAll("modelJunk") List<String> turns) {
    Environment env = env(name);
    TaskSpec task = env.task(seed, Split.TRAIN);
    Episode e = env.start(task);
    Outcome last = null;
    for (String t : turns) {
      Turn turn = e.step(t);
      if (turn instanceof Turn.Done d) {
        last = d.outcome();
        break;
      }
    }
    if (last != null) {
      assertThat(last.reward()).isBetween(0.0, 1.0);
      assertThat(last.reason()).isNotBlank();
      assertThat(last.failed()).isFalse();
    }
    Outcome direct = env.reward().score(task, String.join("", turns));
    assertThat(direct.reward()).isBetween(0.0, 1.0);
  }

  @Provide
  Arbitrary<List<String>> modelJunk() {
    Arbitrary<String> chars =
        Arbitraries.strings()
            .withChars("0123456789+-*/() =<>abcxé\n".toCharArray())
            .ofMaxLength(12);
    Arbitrary<String> tokens =
        Arbitraries.of("<calc>", "</calc>", "<result>", "</result>", "<eos>");
    Arbitrary<String> turn =
        Arbitraries.oneOf(chars, chars, tokens).list().ofMaxSize(6).map(l -> String.join("", l));
    Arbitrary<String> longTurn = Arbitraries.strings().numeric().ofMinLength(20).ofMaxLength(300);
    return Arbitraries.oneOf(turn, turn, turn, longTurn).list().ofMinSize(1).ofMaxSize(5);
  }

  @Property(generation = GenerationMode.EXHAUSTIVE)
  void evalProblems_neverAppearInTrain(@ForAll("names") String name) {
    Environment env = env(name);
    Set<String> train = new HashSet<>();
    for (long s = 0; s < 5000; s++) {
      train.add(env.task(s, Split.TRAIN).prompt());
    }
    for (long s = 0; s < 1000; s++) {
      assertThat(train).doesNotContain(env.task(s, Split.EVAL).prompt());
    }
  }

  @Property(tries = 5)
  void sftCorpus_isDeterministicAndFromTrain(@ForAll long seed) {
    for (String name : NAMES) {
      List<SftExample> a = env(name).sftCorpus(40, seed);
      assertThat(a).hasSize(40).isEqualTo(env(name).sftCorpus(40, seed));
      assertThat(a).allSatisfy(ex -> assertThat(Split.of(ex.prompt())).isEqualTo(Split.TRAIN));
      assertThat(a.stream().map(SftExample::prompt).distinct().count()).as(name).isGreaterThan(20);
    }
  }
}
