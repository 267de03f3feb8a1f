"""Guarded rollouts: a BPMN process ramps a rollout's rate step by step and rolls back on its own.

- process.py: the BPMN contract (ids, messages, job types, variables)
- plan.py: step plans from the command line, validated, as start variables
- analysis.py: the pure verdict (rollback, continue or promote) with its figures
- figures.py: the one query that reads a step's figures from the recorded outcomes
"""
