package dev.r3.env.tasks;

/** A generated problem before it becomes a {@link dev.r3.env.TaskSpec}. */
record Problem(String prompt, String expected, String data) {
  Problem(String prompt, String expected) {
    this(prompt, expected, "");
  }
}
