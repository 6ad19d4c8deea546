package dev.r3.actors.learning;

import java.util.List;

/** The G scored samples of one prompt: the unit GRPO normalises advantages over. */
public record ScoredGroup(
    long groupId, long episodeSeed, long version, List<ScoredTrajectory> members) {

  public ScoredGroup {
    members = List.copyOf(members);
  }

  public int generatedTokens() {
    int n = 0;
    for (ScoredTrajectory m : members) {
      n += m.trajectory().generatedTokens();
    }
    return n;
  }
}
