"""The ward's plan carried out and measured (issue 20): the support ledger, partner accounts per
responsible body, needs and follow-up, the Fund for the Poor, targets from data and the year-end report.
See docs/programme.md."""
