"""Pure catalog rules: workflow state machine, search terms, quiz grading, path progress."""
