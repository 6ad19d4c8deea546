package dev.r3.env.tasks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.r3.env.CharTokenizer;
import dev.r3.env.EnvConfigException;
import dev.r3.env.Environment;
import dev.r3.env.Environments;
import dev.r3.env.Episode;
import dev.r3.env.Outcome;
import dev.r3.env.Reasons;
import dev.r3.env.SftExample;
import dev.r3.env.Split;
import dev.r3.env.TaskSpec;
import dev.r3.env.Turn;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** Formats, defaults and every grading reason, one example each. */
class TaskExamplesTest {

  private static Outcome score(Environment env, TaskSpec task, String completion) {
    return env.reward().score(task, completion);
  }

  @Nested
  class Add {
    final Environment env = Environments.create("add", Map.of());
    final TaskSpec task = new TaskSpec("add", Split.TRAIN, 0, "12+34=", "46", "");

    @Test
    void defaults_areTwoTwoDigitOperands() {
      TaskSpec t = env.task(1, Split.TRAIN);
      assertThat(t.prompt()).matches("\\d{1,2}\\+\\d{1,2}=");
      assertThat(Integer.parseInt(t.expected()))
          .isEqualTo(
              Arrays.stream(t.prompt().replace("=", "").split("\\+"))
                  .mapToInt(Integer::parseInt)
                  .sum());
      assertThat(env.multiTurn()).isFalse();
      assertThat(env.maxTurns()).isEqualTo(1);
    }

    @Test
    void grading_reasons() {
      assertThat(score(env, task, "46").reason()).isEqualTo(Reasons.CORRECT);
      assertThat(score(env, task, " 46\n").reward()).isEqualTo(1.0);
      assertThat(score(env, task, "47"))
          .extracting(Outcome::reward, Outcome::reason)
          .containsExactly(0.0, Reasons.WRONG_ANSWER);
      assertThat(score(env, task, "").reason()).isEqualTo(Reasons.NO_ANSWER);
      assertThat(score(env, task, "4 6").reason()).isEqualTo(Reasons.NOT_A_NUMBER);
      assertThat(score(env, task, "forty").reason()).isEqualTo(Reasons.NOT_A_NUMBER);
      assertThat(score(env, task, "4646464").reason()).isEqualTo(Reasons.TOO_LONG);
    }

    @Test
    void digitsAndTerms_areSettings() {
      Environment big = Environments.create("add", Map.of("digits", "4", "terms", "3"));
      assertThat(big.task(5, Split.TRAIN).prompt()).matches("\\d{1,4}\\+\\d{1,4}\\+\\d{1,4}=");
    }

    @Test
    void singleTurnEpisode_endsOnFirstStep_andRejectsASecond() {
      Episode e = env.start(task);
      assertThat(e.firstObservation()).isEqualTo("12+34=");
      assertThat(e.outcome()).isEmpty();
      assertThat(e.step("46")).isEqualTo(new Turn.Done(Outcome.correct("46")));
      assertThatThrownBy(() -> e.step("46")).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void taskOfAnotherEnvironment_isACallerError() {
      TaskSpec foreign = new TaskSpec("mul", Split.TRAIN, 0, "2*3=", "6", "");
      assertThatThrownBy(() -> env.start(foreign))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("mul");
    }
  }

  @Nested
  class Mul {
    @Test
    void defaults_areTwoDigitsTimesOneDigit() {
      Environment env = Environments.create("mul", Map.of());
      for (long s = 0; s < 50; s++) {
        TaskSpec t = env.task(s, Split.TRAIN);
        assertThat(t.prompt()).matches("\\d{1,2}\\*\\d=");
        String[] f = t.prompt().replace("=", "").split("\\*");
        assertThat(Long.parseLong(t.expected()))
            .isEqualTo(Long.parseLong(f[0]) * Long.parseLong(f[1]));
      }
    }
  }

  @Nested
  class Sort {
    final Environment env = Environments.create("sort", Map.of());
    final TaskSpec task = new TaskSpec("sort", Split.TRAIN, 0, "sort 3142=", "1234", "");

    @Test
    void format_isDigitsWithoutSeparators() {
      assertThat(env.task(3, Split.TRAIN).prompt()).matches("sort \\d{4}=");
      assertThat(Environments.create("sort", Map.of("length", "7")).task(3, Split.TRAIN).prompt())
          .matches("sort \\d{7}=");
    }

    @Test
    void grading_reasons() {
      assertThat(score(env, task, "1234").reward()).isEqualTo(1.0);
      assertThat(score(env, task, "1243").reason()).isEqualTo(Reasons.WRONG_ANSWER);
      assertThat(score(env, task, "123").reason()).isEqualTo(Reasons.WRONG_ANSWER);
      assertThat(score(env, task, "12a4").reason()).isEqualTo(Reasons.BAD_FORMAT);
      assertThat(score(env, task, "").reason()).isEqualTo(Reasons.NO_ANSWER);
      assertThat(score(env, task, "12341234").reason()).isEqualTo(Reasons.TOO_LONG);
    }
  }

  @Nested
  class Countdown {
    final Environment env = Environments.create("countdown", Map.of());
    final TaskSpec task =
        new TaskSpec("countdown", Split.TRAIN, 0, "cd 3,5,7>26=", "26", "3,5,7;3*7+5");

    @Test
    void format_listsSortedNumbersAndTarget() {
      TaskSpec t = env.task(11, Split.TRAIN);
      assertThat(t.prompt()).matches("cd \\d,\\d,\\d>\\d{1,2}=");
    }

    @Test
    void correctExpressions_scoreOne_inAnyForm() {
      assertThat(score(env, task, "3*7+5").reward()).isEqualTo(1.0);
      assertThat(score(env, task, "5+7*3").reward()).isEqualTo(1.0);
      assertThat(score(env, task, "(7*3)+5").reward()).isEqualTo(1.0);
    }

    @Test
    void wrongButWellFormed_earnsOnlyTheFormatReward() {
      Outcome o = score(env, task, "3+5+7");
      assertThat(o.reward()).isEqualTo(0.1);
      assertThat(o.reason()).isEqualTo(Reasons.WRONG_ANSWER);
      assertThat(o.detail()).contains("15");
      Environment strict = Environments.create("countdown", Map.of("formatReward", "0"));
      assertThat(strict.reward().score(task, "3+5+7").reward()).isZero();
    }

    @Test
    void numbersNotGivenOrReused_scoreZero() {
      assertThat(score(env, task, "20+6"))
          .extracting(Outcome::reward, Outcome::reason)
          .containsExactly(0.0, Reasons.DISALLOWED_NUMBER);
      assertThat(score(env, task, "3*7+5+3-3").reason()).isEqualTo(Reasons.DISALLOWED_NUMBER);
      assertThat(score(env, task, "3*7+5+3-3").detail()).contains("more often");
    }

    @Test
    void badExpressions_scoreZero() {
      assertThat(score(env, task, "3*7+").reason()).isEqualTo(Reasons.BAD_EXPRESSION);
      assertThat(score(env, task, "5/(7-7)").reason()).isEqualTo(Reasons.BAD_EXPRESSION);
      assertThat(score(env, task, "exit(1)").reason()).isEqualTo(Reasons.BAD_EXPRESSION);
      assertThat(score(env, task, "").reason()).isEqualTo(Reasons.NO_ANSWER);
      assertThat(score(env, task, "(((((3)))))*7+5").reason()).isEqualTo(Reasons.TOO_LONG);
    }

    @Test
    void oracle_isTheConstructedExpression() {
      assertThat(env.oracle(task)).contains(List.of("3*7+5"));
    }
  }

  @Nested
  class Calc {
    final Environment env = Environments.create("calc", Map.of());
    final TaskSpec task = new TaskSpec("calc", Split.TRAIN, 0, "calc 123*456=", "56088", "123*456");

    @Test
    void declaresMultiTurnLimitsAndStopToken() {
      assertThat(env.multiTurn()).isTrue();
      assertThat(env.maxTurns()).isEqualTo(3);
      assertThat(env.stopTokens()).containsExactly("</calc>");
      assertThat(env.task(2, Split.TRAIN).prompt()).matches("calc \\d{3}\\*\\d{3}=");
    }

    @Test
    void toolCall_isAnsweredWithResult_thenFinalAnswerIsGraded() {
      Episode e = env.start(task);
      assertThat(e.step("<calc>123*456</calc>"))
          .isEqualTo(new Turn.Continue("<result>56088</result>"));
      assertThat(e.outcome()).isEmpty();
      Turn last = e.step("56088");
      assertThat(last).isInstanceOf(Turn.Done.class);
      assertThat(((Turn.Done) last).outcome().reward()).isEqualTo(1.0);
    }

    @Test
    void answeringWithoutTheTool_isAllowed() {
      Episode e = env.start(task);
      assertThat(((Turn.Done) e.step("56088")).outcome().isCorrect()).isTrue();
    }

    @Test
    void badToolExpression_getsAnErrorResult() {
      Episode e = env.start(task);
      assertThat(e.step("<calc>123*</calc>"))
          .isEqualTo(new Turn.Continue("<result>error</result>"));
      assertThat(e.step("<calc>1/0</calc>")).isEqualTo(new Turn.Continue("<result>error</result>"));
      assertThat(e.step("<calc>7/2</calc>"))
          .isInstanceOf(Turn.Done.class); // third call: over the limit
    }

    @Test
    void tooManyCalls_endsWithZeroReward() {
      Episode e = env.start(task);
      e.step("<calc>1+1</calc>");
      e.step("<calc>2+2</calc>");
      Outcome o = ((Turn.Done) e.step("<calc>3+3</calc>")).outcome();
      assertThat(o)
          .extracting(Outcome::reward, Outcome::reason)
          .containsExactly(0.0, Reasons.TOO_MANY_CALLS);
    }

    @Test
    void unterminatedCall_isABadToolCall() {
      Outcome o = ((Turn.Done) env.start(task).step("<calc>123*45")).outcome();
      assertThat(o.reason()).isEqualTo(Reasons.BAD_TOOL_CALL);
    }

    @Test
    void overlongTurn_isTooLong() {
      Outcome o =
          ((Turn.Done) env.start(task).step("<calc>" + "1+".repeat(20) + "1</calc>")).outcome();
      assertThat(o.reason()).isEqualTo(Reasons.TOO_LONG);
    }

    @Test
    void rewardFunction_onTranscript_agreesWithEpisode() {
      String transcript = "<calc>123*456</calc><result>56088</result>56088";
      assertThat(env.reward().score(task, transcript).reward()).isEqualTo(1.0);
      assertThat(
              env.reward().score(task, "<calc>123*456</calc><result>56088</result>56089").reason())
          .isEqualTo(Reasons.WRONG_ANSWER);
      assertThat(
              env.reward()
                  .score(
                      task,
                      "<calc>1</calc><result>1</result><calc>1</calc><result>1</result>"
                          + "<calc>1</calc><result>1</result>56088")
                  .reason())
          .isEqualTo(Reasons.TOO_MANY_CALLS);
      assertThat(env.reward().score(task, "<calc>123*456</calc>").reason())
          .isEqualTo(Reasons.NO_ANSWER);
    }

    @Test
    void sftExample_masksToolResults() {
      SftExample ex = SftExample.fromOracle(env, task);
      assertThat(ex.completion())
          .containsExactly(
              new SftExample.Segment("<calc>123*456</calc>", true),
              new SftExample.Segment("<result>56088</result>", false),
              new SftExample.Segment("56088", true));
      CharTokenizer tok = CharTokenizer.standard();
      SftExample.Encoded enc = ex.encode(tok);
      assertThat(tok.decodeWithSpecials(enc.ids()))
          .isEqualTo("<bos>calc 123*456=<calc>123*456</calc><result>56088</result>56088<eos>");
      assertThat(enc.promptLength()).isEqualTo(1 + "calc 123*456=".length());
      StringBuilder trained = new StringBuilder();
      for (int i = 0; i < enc.ids().length; i++) {
        if (enc.lossMask()[i]) {
          trained.append(tok.token(enc.ids()[i]));
        }
      }
      assertThat(trained).hasToString("<calc>123*456</calc>56088<eos>");
    }

    @Test
    void sumVariant_andBadCombination() {
      Environment sum =
          Environments.create("calc", Map.of("op", "add", "terms", "3", "digits", "2"));
      assertThat(sum.task(1, Split.TRAIN).prompt()).matches("calc \\d{2}\\+\\d{2}\\+\\d{2}=");
      assertThatThrownBy(() -> Environments.create("calc", Map.of("digits", "6", "terms", "4")))
          .isInstanceOf(EnvConfigException.class)
          .hasMessageContaining("digits * terms <= 18");
    }
  }
}
