"""The annual review cycle (issue 7): review rounds, register import hooks, preload carry-over,
lifecycle events and confirmations, transitions between rounds, eligibility lists, plan targets.
Docs: docs/cycle.md."""
