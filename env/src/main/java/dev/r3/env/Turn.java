package dev.r3.env;

import java.util.Objects;

/** What an {@link Episode} answers to one model turn: more context, or the end. */
public sealed interface Turn {

  /** The episode goes on; {@code observation} (e.g. a tool result) is appended to the context. */
  record Continue(String observation) implements Turn {
    public Continue {
      Objects.requireNonNull(observation, "observation");
    }
  }

  /** The episode is over. */
  record Done(Outcome outcome) implements Turn {
    public Done {
      Objects.requireNonNull(outcome, "outcome");
    }
  }
}
