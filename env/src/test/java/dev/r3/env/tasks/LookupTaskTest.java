package dev.r3.env.tasks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.r3.env.CharTokenizer;
import dev.r3.env.Environment;
import dev.r3.env.Environments;
import dev.r3.env.Episode;
import dev.r3.env.Outcome;
import dev.r3.env.Reasons;
import dev.r3.env.SftExample;
import dev.r3.env.Split;
import dev.r3.env.TaskSpec;
import dev.r3.env.Turn;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The two-tool agent task: look values up, compute with the calculator, answer. */
class LookupTaskTest {
  final Environment env = Environments.create("lookup", Map.of());
  final TaskSpec task = new TaskSpec("lookup", Split.TRAIN, 0, "kv p*q=", "1776", "p=37,q=48");

  @Test
  void declaresMultiTurnLimits_andHidesTheStore() {
    assertThat(env.multiTurn()).isTrue();
    assertThat(env.maxTurns()).isEqualTo(5);
    assertThat(env.stopTokens()).containsExactly("</calc>");
    TaskSpec t = env.task(3, Split.TRAIN);
    assertThat(t.prompt()).matches("kv [a-z]\\*[a-z]=");
    assertThat(t.data()).matches("[a-z]=\\d{2},[a-z]=\\d{2}");
    assertThat(t.prompt()).doesNotContainPattern("\\d");
  }

  @Test
  void bothTools_answer_thenTheFinalAnswerIsGraded() {
    Episode e = env.start(task);
    assertThat(e.step("<calc>look p</calc>")).isEqualTo(new Turn.Continue("<result>37</result>"));
    assertThat(e.step("<calc>look q</calc>")).isEqualTo(new Turn.Continue("<result>48</result>"));
    assertThat(e.step("<calc>look z</calc>"))
        .isEqualTo(new Turn.Continue("<result>error</result>"));
    assertThat(e.step("<calc>37*48</calc>")).isEqualTo(new Turn.Continue("<result>1776</result>"));
    Outcome o = ((Turn.Done) e.step("1776")).outcome();
    assertThat(o.reward()).isEqualTo(1.0);
  }

  @Test
  void oracle_looksUpEveryKey_computes_andAnswers_inTermsPlusTwoTurns() {
    assertThat(env.oracle(task))
        .contains(
            List.of("<calc>look p</calc>", "<calc>look q</calc>", "<calc>37*48</calc>", "1776"));
    Environment three = Environments.create("lookup", Map.of("terms", "3", "maxCalls", "5"));
    TaskSpec t = three.task(9, Split.TRAIN);
    List<String> turns = three.oracle(t).orElseThrow();
    assertThat(turns).hasSize(5);
    Episode e = three.start(t);
    Turn last = null;
    for (String turn : turns) {
      last = e.step(turn);
    }
    assertThat(((Turn.Done) last).outcome().reward()).isEqualTo(1.0);
  }

  @Test
  void rewardFunction_gradesTheTranscriptLikeTheEpisode() {
    String transcript =
        "<calc>look p</calc><result>37</result><calc>look q</calc><result>48</result>"
            + "<calc>37*48</calc><result>1776</result>1776";
    assertThat(env.reward().score(task, transcript).reward()).isEqualTo(1.0);
    assertThat(env.reward().score(task, "1775").reason()).isEqualTo(Reasons.WRONG_ANSWER);
    assertThat(env.reward().score(task, "<calc>look p</calc>").reason())
        .isEqualTo(Reasons.NO_ANSWER);
    String tooMany = "<calc>1</calc><result>1</result>".repeat(5) + "1776";
    assertThat(env.reward().score(task, tooMany).reason()).isEqualTo(Reasons.TOO_MANY_CALLS);
  }

  @Test
  void sftCorpus_trainsOnModelTurnsOnly() {
    SftExample ex = SftExample.fromOracle(env, task);
    SftExample.Encoded enc = ex.encode(CharTokenizer.standard());
    CharTokenizer tok = CharTokenizer.standard();
    StringBuilder trained = new StringBuilder();
    for (int i = 0; i < enc.ids().length; i++) {
      if (enc.lossMask()[i]) {
        trained.append(tok.token(enc.ids()[i]));
      }
    }
    assertThat(trained)
        .hasToString("<calc>look p</calc><calc>look q</calc><calc>37*48</calc>1776<eos>");
    assertThat(env.sftCorpus(20, 1)).hasSize(20);
  }
}
