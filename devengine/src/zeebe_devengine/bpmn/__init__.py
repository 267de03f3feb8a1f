"""BPMN: the model the engine runs, the parser and checks that build it, a builder for tests."""
