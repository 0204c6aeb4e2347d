"""Methods: themes, profiles, shifts, keyness, continuity, targets and indicators over processed tables."""
