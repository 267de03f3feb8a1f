"""What an operator runs once: Camunda REST client, status, deploy, load, report.

`camunda_rest` is the REST API v2 client; `status` collects per-version counts and
`status_view` renders them; `deploy` deploys the BPMN models; `load` starts instances with
synthetic applicants; `report/` reads recorded outcomes and gives a verdict.
"""
