"""The engine itself: state, the flow of tokens, jobs, messages, history, the clock."""
