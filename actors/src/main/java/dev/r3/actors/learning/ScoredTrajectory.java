package dev.r3.actors.learning;

/** A trajectory with its reward; {@code failed} ones are never trained on. */
public record ScoredTrajectory(
    Trajectory trajectory, float reward, boolean correct, boolean failed, String reason) {}
