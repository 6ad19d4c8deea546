package dev.r3.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class TrainCommandTest {

  private static int run(StringWriter err, String... args) {
    CommandLine cl = R3.commandLine();
    cl.setErr(new PrintWriter(err));
    cl.setOut(new PrintWriter(new StringWriter()));
    return cl.execute(args);
  }

  @Test
  void badSetting_failsAtStart_withOneLineNamingTheKey() {
    StringWriter err = new StringWriter();
    int code = run(err, "train", "--set", "learner.mini-steps=0");
    assertThat(code).isEqualTo(2);
    assertThat(err.toString())
        .contains("r3.learner.mini-steps must be >= 1, got 0")
        .doesNotContain("\tat ");
  }

  @Test
  void unknownKey_failsAtStart() {
    StringWriter err = new StringWriter();
    assertThat(run(err, "train", "--set", "learner.ministeps=2")).isEqualTo(2);
    assertThat(err.toString()).contains("unknown config key r3.learner.ministeps");
  }

  @Test
  void trainAndPretrain_areRegistered() {
    CommandLine cl = R3.commandLine();
    assertThat(cl.getSubcommands()).containsKeys("train", "pretrain");
  }

  @Test
  void setEnvName_toAnotherEnvironment_failsSayingToUseEnvAndEnvParam() {
    StringWriter err = new StringWriter();
    // the default experiment sets add's parameters (digits, terms), which sort does not take
    String experiment =
        Path.of("")
            .toAbsolutePath()
            .getParent()
            .resolve(TrainCommand.DEFAULT_EXPERIMENT)
            .toString();
    assertThat(run(err, "train", "--config", experiment, "--set", "env.name=sort")).isEqualTo(2);
    assertThat(err.toString())
        .contains("sort")
        .contains("--env sort")
        .contains("--env-param key=value")
        .doesNotContain("\tat ");
  }

  @Test
  void trainPretrainAndMismatch_takeEnvAndEnvParam() {
    CommandLine cl = R3.commandLine();
    for (String command : List.of("train", "pretrain", "mismatch")) {
      var spec = cl.getSubcommands().get(command).getCommandSpec();
      assertThat(spec.findOption("--env")).as(command + " --env").isNotNull();
      assertThat(spec.findOption("--env-param")).as(command + " --env-param").isNotNull();
    }
  }

  @Test
  void forceWithoutResume_andResumeOfAFolderThatIsNoRun_failWithTheReason() {
    StringWriter err = new StringWriter();
    assertThat(run(err, "train", "--force")).isEqualTo(2);
    assertThat(err.toString()).contains("--force only applies with --resume");
    StringWriter err2 = new StringWriter();
    assertThat(run(err2, "train", "--resume", "/nonexistent/run")).isEqualTo(2);
    assertThat(err2.toString()).contains("no run-config.json").doesNotContain("\tat ");
  }
}
