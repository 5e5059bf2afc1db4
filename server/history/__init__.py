"""The household's status history (issue 22's layering): which status a household had when, its
lifecycle events and its movement between statuses. Below the register (a register import records
statuses) and below the process (meetings and decisions add to the history)."""
